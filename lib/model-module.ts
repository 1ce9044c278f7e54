/**
 * The model a CLI run samples: a built-in problem, or a likelihood module
 * and what it exports — the likelihood and prior; optionally paramNames
 * and paramLabels (LaTeX), vectorized, setup(options) (run once per
 * process, worker thread and MPI rank, with the config's `model:` section
 * and `data` path), and derived(theta) with derivedNames / derivedLabels.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RunConfig } from './config.js';
import type { Prior } from './priors.js';
import { BUILTIN_PROBLEMS, type BuiltinProblemName } from './problems.js';
import { importModule, moduleExports, runSetup, type LikelihoodModule } from './sampler/likelihood-module.js';
import type { BatchLogLikelihood, PointLogLikelihood } from './sampler/index.js';

/** Raised for a bad command line, configuration or model module: exit code 2. */
export class UsageError extends Error {}

export interface Model {
  name: string;
  /** The module's path (a built-in problem has none). */
  module?: string;
  /** What the module's setup was given (workers and ranks give it to theirs). */
  setupOptions?: Record<string, unknown>;
  logLikelihood: BatchLogLikelihood | PointLogLikelihood;
  vectorized: boolean;
  prior: Prior;
  paramNames?: string[];
  /** LaTeX labels: the parameters', then the derived ones'. */
  labels?: string[];
  derived?: (theta: Float64Array) => ArrayLike<number>;
  derivedNames?: string[];
  referenceLogZ?: number;
}

const strings = (v: unknown, what: string, module: string, length?: number): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`likelihood module ${module}: ${what} must be an array of strings`);
  if (length !== undefined && v.length !== length) throw new UsageError(`likelihood module ${module}: ${what} has ${v.length} entries, expected ${length}`);
  return v as string[];
};

/** Loads the run's model (in every process and worker that evaluates it); module problems are UsageErrors. */
export async function loadModel(config: RunConfig): Promise<Model> {
  if (config.problem !== undefined) {
    const p = BUILTIN_PROBLEMS[config.problem as BuiltinProblemName](config.dim ?? 2);
    return { name: p.name, logLikelihood: p.logLikelihood, vectorized: true, prior: p.prior, referenceLogZ: p.logZ };
  }
  const path = resolve(config.likelihood!);
  if (!existsSync(path)) throw new UsageError(`likelihood module ${config.likelihood} does not exist`);
  if (config.data !== undefined && !existsSync(config.data)) throw new UsageError(`data file ${config.data} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(path);
  } catch (err) {
    // A module that does not load (syntax error, a bad prior at import) is the user's input: exit 2.
    throw new UsageError(`cannot load likelihood module ${config.likelihood}: ${(err as Error).message}`);
  }
  const m = moduleExports(mod);
  const setupOptions = { ...(config.model ?? {}), ...(config.data !== undefined ? { data: resolve(config.data) } : {}) };
  try {
    await runSetup(m, config.likelihood!, setupOptions);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (typeof m.logLikelihood !== 'function') throw new UsageError(`likelihood module ${config.likelihood} must export a function logLikelihood`);
  // Read after setup: setup may set the prior (an exported let).
  const prior = m.prior as Prior | undefined;
  if (!prior || typeof prior.transform !== 'function' || typeof prior.dim !== 'number')
    throw new UsageError(`likelihood module ${config.likelihood} must export a prior (e.g. priors.uniform(lower, upper))`);
  if (config.dim !== undefined && config.dim !== prior.dim)
    throw new UsageError(`dim is ${config.dim} but the module's prior has dim ${prior.dim}`);
  const module = config.likelihood!;
  const paramNames = strings(m.paramNames, 'paramNames', module, prior.dim);
  const paramLabels = strings(m.paramLabels, 'paramLabels', module, prior.dim);
  if (m.derived !== undefined && typeof m.derived !== 'function') throw new UsageError(`likelihood module ${module}: derived must be a function (theta) => number[]`);
  const derivedNames = strings(m.derivedNames, 'derivedNames', module);
  if ((m.derived === undefined) !== (derivedNames === undefined))
    throw new UsageError(`likelihood module ${module}: derived and derivedNames go together (the function, and one name per value it returns)`);
  const derivedLabels = strings(m.derivedLabels, 'derivedLabels', module, derivedNames?.length);
  const names = paramNames ?? Array.from({ length: prior.dim }, (_, i) => `theta${i}`);
  const labels = paramLabels || derivedLabels ? [...(paramLabels ?? names), ...(derivedLabels ?? derivedNames ?? [])] : undefined;
  return {
    name: path.replace(/^.*[/\\]/, '').replace(/\.[^.]+$/, ''),
    module: path,
    setupOptions,
    logLikelihood: m.logLikelihood as BatchLogLikelihood,
    vectorized: m.vectorized !== false,
    prior,
    ...(paramNames ? { paramNames } : {}),
    ...(labels ? { labels } : {}),
    ...(derivedNames ? { derived: m.derived as Model['derived'], derivedNames } : {}),
  };
}

/** What evaluates the model in this process: its module, for worker threads to load themselves (with setup's options), else its function. */
export function likelihoodFor(model: Model, workers: number): Model['logLikelihood'] | LikelihoodModule {
  return model.module !== undefined && workers > 1 ? { module: model.module, options: model.setupOptions ?? {} } : model.logLikelihood;
}

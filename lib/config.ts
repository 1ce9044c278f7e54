/**
 * The `nestflow run` configuration: a YAML or JSON file and/or flags,
 * validated by a schema so that an error names the field and what was wrong.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { BACKEND_NAMES } from './native.js';
import { BUILTIN_PROBLEMS } from './problems.js';
import { CHECKPOINT_DEFAULTS } from './sampler/checkpointing.js';
import { OPTION_RULES as R, SAMPLER_DEFAULTS } from './sampler/options.js';
import { intFrom, POSITIVE, zodNumber } from './validate.js';

const positiveInt = zodNumber(intFrom(1));

/** The schema of a run configuration (camelCase keys, as in the library; the sampler's rules and defaults). */
export const RunConfigSchema = z
  .object({
    problem: z.enum(Object.keys(BUILTIN_PROBLEMS) as [string, ...string[]]).optional(),
    dim: positiveInt.optional(),
    likelihood: z.string().min(1).optional(),
    /** A data file for the module's setup (`options.data`, an absolute path). */
    data: z.string().min(1).optional(),
    /** Options for the module's setup(options). */
    model: z.record(z.string(), z.unknown()).optional(),
    nLive: zodNumber(R.nLive).default(SAMPLER_DEFAULTS.nLive),
    seed: zodNumber(R.seed).default(SAMPLER_DEFAULTS.seed),
    tolerance: zodNumber(R.tolerance).default(SAMPLER_DEFAULTS.tolerance),
    folds: zodNumber(R.folds).optional(),
    killFraction: zodNumber(R.killFraction).optional(),
    envelopeQuantile: zodNumber(R.envelopeQuantile).optional(),
    temperedFraction: zodNumber(R.temperedFraction).optional(),
    checkpointEvery: positiveInt.default(CHECKPOINT_DEFAULTS.everyIterations),
    checkpointSeconds: zodNumber(POSITIVE).optional(),
    maxFlowCallsPerPoint: zodNumber(R.maxFlowCallsPerPoint).optional(),
    localSteps: zodNumber(R.localSteps).optional(),
    maxCalls: zodNumber(R.maxCalls).optional(),
    maxIterations: zodNumber(R.maxIterations).optional(),
    maxSeconds: zodNumber(R.maxSeconds).optional(),
    workers: zodNumber(R.workers).optional(),
    outputDir: z.string().min(1).default('chains'),
    fileRoot: z.string().min(1).regex(/^[^/\\]+$/, 'must be a file name, not a path').optional(),
    flow: z
      .object({
        hidden: z.array(positiveInt).min(1).optional(),
        threads: positiveInt.optional(),
        odeSteps: positiveInt.optional(),
        trainSteps: positiveInt.optional(),
        backend: z.enum(BACKEND_NAMES).optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.problem === undefined && c.likelihood === undefined)
      ctx.addIssue({ code: 'custom', path: ['problem'], message: 'give a built-in problem or a likelihood module' });
    if (c.problem !== undefined && c.likelihood !== undefined)
      ctx.addIssue({ code: 'custom', path: ['likelihood'], message: 'give either problem or likelihood, not both' });
    if ((c.problem === 'gaussian' || c.problem === 'rosenbrock' || c.problem === 'mixture') && c.dim === undefined)
      ctx.addIssue({ code: 'custom', path: ['dim'], message: `required by problem ${c.problem}` });
    if (c.problem !== undefined && (c.data !== undefined || c.model !== undefined))
      ctx.addIssue({ code: 'custom', path: [c.data !== undefined ? 'data' : 'model'], message: 'applies to a likelihood module, not a built-in problem' });
    if (c.problem === 'rosenbrock' && c.dim !== undefined && c.dim < 2)
      ctx.addIssue({ code: 'custom', path: ['dim'], message: 'rosenbrock needs dim ≥ 2' });
  });

export type RunConfig = z.infer<typeof RunConfigSchema>;

/** A configuration error: `.message` lists each bad field; `.code` is stable. */
export class ConfigError extends Error {
  readonly code: 'CONFIG_INVALID' | 'CONFIG_UNREADABLE';
  constructor(code: ConfigError['code'], message: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
  }
}

/** Reads a YAML or JSON config file into a plain object (not yet validated). */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError('CONFIG_UNREADABLE', `config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError('CONFIG_INVALID', `config file ${path} must hold a mapping of settings`);
  return value as Record<string, unknown>;
}

/** Validates a merged configuration; throws a ConfigError naming every bad field. */
export function validateConfig(raw: Record<string, unknown>): RunConfig {
  const parsed = RunConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const field = issue.path.length ? issue.path.join('.') : '(config)';
    return `  ${field}: ${issue.message}`;
  });
  throw new ConfigError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`);
}

/**
 * A likelihood given as a module rather than a function: what worker
 * threads can load for themselves (a closure cannot be sent to another
 * thread). The module exports `logLikelihood` (or the export named) and,
 * for a per-point function, `vectorized = false` — the same exports as a
 * CLI model module.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { BatchLogLikelihood, PointLogLikelihood } from './likelihood.js';
import { resolveNestflowFromAnywhere } from './self-resolve.js';

/** Where a likelihood lives: a module path (JavaScript or TypeScript) and the export to call. */
export interface LikelihoodModule {
  module: string;
  /** Default 'logLikelihood'. */
  export?: string;
  /**
   * Handed to the module's `setup(options)` export, if it has one, once in
   * every thread that loads it, before its first likelihood call (a
   * structured-cloneable object: it travels to worker threads).
   */
  options?: Record<string, unknown>;
}

export interface LoadedLikelihood {
  logLikelihood: BatchLogLikelihood | PointLogLikelihood;
  vectorized: boolean;
}

export function isLikelihoodModule(v: unknown): v is LikelihoodModule {
  return typeof v === 'object' && v !== null && typeof (v as LikelihoodModule).module === 'string';
}

/** Imports a module by path: TypeScript through tsx, JavaScript directly. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  resolveNestflowFromAnywhere();
  const url = pathToFileURL(resolve(path)).href;
  if (/\.[cm]?ts$/.test(path)) {
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
  return (await import(url)) as Record<string, unknown>;
}

/** The module's exports, or its default export when that is the object holding them. */
export function moduleExports(mod: Record<string, unknown>, name = 'logLikelihood'): Record<string, unknown> {
  return (mod.default && typeof mod.default === 'object' && !(name in mod) ? mod.default : mod) as Record<string, unknown>;
}

/** Loads the likelihood a module exports; throws a TypeError naming what is missing. */
export async function loadLikelihoodModule(spec: LikelihoodModule): Promise<LoadedLikelihood> {
  const name = spec.export ?? 'logLikelihood';
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(spec.module);
  } catch (err) {
    throw new Error(`cannot load likelihood module ${spec.module}: ${(err as Error).message}`, { cause: err });
  }
  const m = moduleExports(mod, name);
  if (typeof m[name] !== 'function') throw new TypeError(`likelihood module ${spec.module} must export a function ${name}`);
  await runSetup(m, spec.module, spec.options ?? {});
  return { logLikelihood: m[name] as BatchLogLikelihood, vectorized: m.vectorized !== false };
}

/** Calls the module's `setup(options)` export, if any; an error in it names the module. */
export async function runSetup(m: Record<string, unknown>, module: string, options: Record<string, unknown>): Promise<void> {
  if (m.setup === undefined) return;
  if (typeof m.setup !== 'function') throw new TypeError(`likelihood module ${module}: setup must be a function (options) => void | Promise<void>`);
  try {
    await (m.setup as (o: Record<string, unknown>) => unknown)(options);
  } catch (err) {
    throw new Error(`likelihood module ${module}: setup failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

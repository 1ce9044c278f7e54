/**
 * A likelihood module kept outside this package (its own project, a job
 * folder) that does `import { priors } from 'nestflow'` finds no nestflow
 * in its own node_modules. When that bare name fails to resolve from there,
 * it resolves to the nestflow that is running — for ES modules through a
 * loader hook, for CommonJS (tsx compiles a .ts file outside an ESM package
 * to CommonJS) through the require resolver. A nestflow the module's own
 * folder does resolve is left alone.
 */
import Module, { register } from 'node:module';
import { fileURLToPath } from 'node:url';

let installed = false;

// The hook runs on Node's loader thread: plain JavaScript, given by value.
const HOOK = `let entry;
export function initialize(data) { entry = data.entry; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (specifier === 'nestflow' && err && err.code === 'ERR_MODULE_NOT_FOUND') return next(entry, context);
    throw err;
  }
}`;

/** Installs the fallback once per thread (each worker thread loads modules itself). */
export function resolveNestflowFromAnywhere(): void {
  if (installed) return;
  installed = true;
  // This file sits in lib/sampler/ beside lib/index (.ts from source, .js built).
  const entry = new URL(`../index${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url).href;
  register(`data:text/javascript,${encodeURIComponent(HOOK)}`, { data: { entry } });
  const resolver = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = resolver._resolveFilename;
  const entryPath = fileURLToPath(entry);
  resolver._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if (request === 'nestflow' && (err as { code?: string }).code === 'MODULE_NOT_FOUND') return entryPath;
      throw err;
    }
  };
}

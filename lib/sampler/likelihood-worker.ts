/**
 * A worker thread of the likelihood pool: loads the likelihood module once
 * (with whatever data it reads at import), then evaluates the slices of
 * batches it is handed, checked as on the main thread. Errors travel back
 * as values: an Error's class and code do not survive the thread boundary.
 */
import { workerData } from 'node:worker_threads';
import { callLikelihood, LikelihoodError } from './likelihood.js';
import { loadLikelihoodModule, type LikelihoodModule, type LoadedLikelihood } from './likelihood-module.js';

/** What the pool hands every worker (tinypool puts its own data first). */
export interface WorkerSetup {
  spec: LikelihoodModule;
  dim: number;
}

export type SliceResult = { logL: Float64Array } | { error: { code: LikelihoodError['code'] | 'LIKELIHOOD_MODULE'; message: string } };

const setup = (Array.isArray(workerData) ? workerData[1] : workerData) as WorkerSetup;
let loaded: Promise<LoadedLikelihood> | undefined;

export default async function evaluateSlice({ theta, n }: { theta: Float64Array; n: number }): Promise<SliceResult> {
  try {
    loaded ??= loadLikelihoodModule(setup.spec);
    const { logLikelihood, vectorized } = await loaded;
    return { logL: await callLikelihood(logLikelihood, vectorized, theta, n, setup.dim) };
  } catch (err) {
    const code = err instanceof LikelihoodError ? err.code : 'LIKELIHOOD_MODULE';
    return { error: { code, message: err instanceof Error ? err.message : String(err) } };
  }
}

/**
 * What every rank but 0 does in an MPI run: evaluate the slices of the
 * likelihood batches that rank 0 sends, until it says stop. Errors are
 * answered, not thrown, so rank 0 can name this rank and end the job.
 */
import type { BatchLogLikelihood, PointLogLikelihood } from '../sampler/likelihood.js';
import type { LikelihoodModule } from '../sampler/likelihood-module.js';
import { openLikelihood, type LikelihoodSource } from '../sampler/likelihood-source.js';
import { encodeRankError, MPI_TAGS } from './messages.js';
import type { MpiWorld } from './world.js';

/** The likelihood a serving rank evaluates: the same as rank 0's. */
export interface ServeOptions {
  logLikelihood: BatchLogLikelihood | PointLogLikelihood | LikelihoodModule;
  /** `false`: a per-point function. Default true. */
  vectorized?: boolean;
  dim: number;
  /** Worker threads on this rank (a module only). Default 1. */
  workers?: number;
}

/** What a serving rank did. */
export interface ServeSummary {
  batches: number;
  points: number;
  /** Whether any slice failed (rank 0 has been told). */
  failed: boolean;
}

/**
 * Serves rank 0 until it finalizes (call this on every rank > 0, then
 * `world.finalize()`). `options` may be the error that kept this rank from
 * setting up its likelihood: every slice is then answered with it.
 */
export async function serveLikelihood(world: MpiWorld, options: ServeOptions | Error): Promise<ServeSummary> {
  if (world.rank === 0) throw new RangeError('serveLikelihood runs on ranks other than 0 (rank 0 runs the sampler with { mpi: world })');
  let source: LikelihoodSource | Error;
  if (options instanceof Error) source = options;
  else {
    try {
      source = await openLikelihood(options.logLikelihood, options.vectorized ?? true, options.dim, options.workers ?? 1);
    } catch (err) {
      source = err instanceof Error ? err : new Error(String(err));
    }
  }
  const dim = options instanceof Error ? 1 : options.dim;
  const summary: ServeSummary = { batches: 0, points: 0, failed: false };
  try {
    for (;;) {
      const msg = await world.recv(0);
      if (msg.tag === MPI_TAGS.stop) break;
      if (msg.tag !== MPI_TAGS.batch) continue;
      const theta = new Float64Array(msg.data);
      const n = theta.length / dim;
      summary.batches++;
      summary.points += n;
      try {
        if (source instanceof Error) throw source;
        world.send(0, MPI_TAGS.result, await source.evaluate(theta, n));
      } catch (err) {
        summary.failed = true;
        world.send(0, MPI_TAGS.error, encodeRankError(err));
      }
    }
  } finally {
    if (!(source instanceof Error)) await source.close();
  }
  return summary;
}

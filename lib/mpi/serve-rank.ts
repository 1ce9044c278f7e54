/**
 * The CLI on a rank other than 0: set up the same likelihood as rank 0 and
 * serve its batches, silently — rank 0 reports every error, this rank's
 * included (it is answered to rank 0, which names the rank).
 */
import { serveLikelihood, type ServeOptions } from './serve.js';
import type { MpiWorld } from './world.js';

const IGNORED = ['SIGINT', 'SIGTERM', 'SIGUSR1'] as const;

/** Serves until rank 0 says stop; returns this rank's exit code (1 when a slice or the set-up failed). */
export async function serveRank(world: MpiWorld, setUp: () => Promise<ServeOptions>): Promise<number> {
  // Rank 0 decides when the job stops (a signal reaches every rank): keep
  // serving until it has written its checkpoint and said so.
  const ignore = (): void => {};
  for (const sig of IGNORED) process.on(sig, ignore);
  try {
    let options: ServeOptions | Error;
    try {
      options = await setUp();
    } catch (err) {
      options = err instanceof Error ? err : new Error(String(err));
    }
    const summary = await serveLikelihood(world, options);
    return summary.failed || options instanceof Error ? 1 : 0;
  } finally {
    for (const sig of IGNORED) process.off(sig, ignore);
  }
}

/**
 * Rank 0's likelihood in an MPI run: each batch is cut into contiguous
 * slices, one per rank; rank 0 evaluates the first itself while the others
 * evaluate theirs, and the values are put back in row order — so the run is
 * the same, bit for bit, whatever the number of ranks.
 */
import type { LikelihoodSource } from '../sampler/likelihood.js';
import { decodeRankError, MPI_TAGS, rankError, type RankError } from './messages.js';
import type { MpiWorld } from './world.js';

export function acrossRanks(world: MpiWorld, local: LikelihoodSource, dim: number): LikelihoodSource {
  return {
    workers: local.workers,
    ranks: world.size,
    async evaluate(theta, n) {
      const k = Math.max(1, Math.min(world.size, n));
      const starts = Array.from({ length: k + 1 }, (_, i) => Math.round((i * n) / k));
      for (let r = 1; r < k; r++) world.send(r, MPI_TAGS.batch, theta.subarray(starts[r]! * dim, starts[r + 1]! * dim));
      // Collect every answer before raising any error: no reply is left in flight.
      const replies = (async () => {
        const got: Array<{ rank: number; logL?: Float64Array; error?: RankError }> = [];
        for (let i = 1; i < k; i++) {
          const msg = await world.recv();
          got.push(msg.tag === MPI_TAGS.result ? { rank: msg.source, logL: new Float64Array(msg.data) } : { rank: msg.source, error: decodeRankError(msg.data) });
        }
        return got;
      })();
      let own: Float64Array | undefined;
      let ownError: unknown;
      try {
        own = await local.evaluate(theta.subarray(0, starts[1]! * dim), starts[1]!);
      } catch (err) {
        ownError = err;
      }
      const got = (await replies).sort((a, b) => a.rank - b.rank);
      if (ownError !== undefined) throw ownError;
      const out = new Float64Array(n);
      out.set(own!, 0);
      for (const g of got) {
        if (g.error) throw rankError(g.error, g.rank, world.size);
        if (g.logL!.length !== starts[g.rank + 1]! - starts[g.rank]!) throw new Error(`MPI rank ${g.rank} answered ${g.logL!.length} values for ${starts[g.rank + 1]! - starts[g.rank]!} points`);
        out.set(g.logL!, starts[g.rank]!);
      }
      return out;
    },
    close: () => local.close(),
  };
}

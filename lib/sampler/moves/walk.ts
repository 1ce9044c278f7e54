/**
 * Random-walk Metropolis steps inside the contour for a set of chains, from
 * where each chain stands now (it.newU): the walk of the random-walk move
 * and the second stage of the delayed-rejection move.
 */
import type { Iteration } from '../iteration.js';
import { gatherRows } from '../rows.js';
import { localProposal, retuneScale, shapedProposal } from './local-step.js';
import type { StepShape } from './neighbour-shapes.js';

/** Below this many walking chains the step is retuned once, after the iteration. */
export const RETUNE_WHILE_WALKING = 50;

/**
 * `steps` steps for each chain (one likelihood call per step inside the
 * cube). With `retune`, the step is retuned as the walk goes when enough
 * chains walk (the region shrinks every iteration). Returns, per chain,
 * whether any step moved it.
 */
export async function walkChains(it: Iteration, chains: readonly number[], steps: number, retune: boolean): Promise<Uint8Array> {
  const { dim, counters: rec, contour } = it;
  const y = new Float64Array(chains.length * dim);
  const movedChain = new Uint8Array(chains.length);
  // With walkNeighbours, each chain's step shape where it stands, and that of its proposal.
  const shapes = chains.map((c) => it.groups[it.chainGroup[c]!]!.neighbours?.at(it.newU, c));
  const proposedShapes: (StepShape | undefined)[] = new Array(chains.length);
  for (let step = 0; step < steps; step++) {
    const rows: number[] = [];
    chains.forEach((c, b) => {
      const shape = shapes[b];
      if (shape === undefined) {
        if (localProposal(it, c, it.newU, c, y, b)) rows.push(b);
        return;
      }
      proposedShapes[b] = shapedProposal(it, c, it.newU, c, shape, y, b);
      if (proposedShapes[b] !== undefined) rows.push(b);
    });
    rec.localTries += chains.length;
    let moved = 0;
    if (rows.length > 0) {
      const u = gatherRows(y, rows, dim);
      const { theta, logL } = await it.evaluate(u, rows.length);
      rec.localCalls += rows.length;
      rows.forEach((b, k) => {
        if (!(logL[k]! > contour)) return;
        moved++;
        movedChain[b] = 1;
        if (shapes[b] !== undefined) shapes[b] = proposedShapes[b];
        it.setNew(chains[b]!, u, theta, logL, k);
      });
    }
    rec.localMoved += moved;
    if (retune && chains.length >= RETUNE_WHILE_WALKING) it.localScale = retuneScale(it.localScale, moved / chains.length, 0.05);
  }
  return movedChain;
}

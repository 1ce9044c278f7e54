/**
 * The random-walk move: chains whose flow candidates all fell outside the
 * contour walk from their start, localSteps random-walk Metropolis steps
 * inside it (one likelihood call per step inside the cube).
 */
import type { Iteration } from '../iteration.js';
import { gatherRows } from '../rows.js';
import { localProposal, retuneScale } from './local-step.js';
import type { HandOff, Move } from './move.js';

/** Below this many walking chains the step is retuned once, after the iteration ({@link retuneAfterIteration}). */
const RETUNE_WHILE_WALKING = 50;

export class RandomWalkMove implements Move {
  readonly kind = 'random-walk';

  async run(it: Iteration, unfound: number[]): Promise<HandOff> {
    const { dim, counters: rec, contour } = it;
    for (const c of unfound) it.copyStart(c);
    const y = new Float64Array(unfound.length * dim);
    for (let step = 0; step < it.options.localSteps; step++) {
      const rows: number[] = [];
      unfound.forEach((c, b) => {
        if (localProposal(it, c, it.newU, c, y, b)) rows.push(b);
      });
      rec.localTries += unfound.length;
      let moved = 0;
      if (rows.length > 0) {
        const u = gatherRows(y, rows, dim);
        const { theta, logL } = await it.evaluate(u, rows.length);
        rec.localCalls += rows.length;
        rows.forEach((b, k) => {
          if (!(logL[k]! > contour)) return;
          moved++;
          it.setNew(unfound[b]!, u, theta, logL, k);
        });
      }
      rec.localMoved += moved;
      // The region shrinks every iteration: retune the step as the walk goes.
      if (unfound.length >= RETUNE_WHILE_WALKING) it.localScale = retuneScale(it.localScale, moved / unfound.length, 0.05);
    }
    rec.unfound = unfound.length;
    return {};
  }
}

/** The step for the next iteration: aim at a quarter of this iteration's local steps inside the contour. */
export function retuneAfterIteration(it: Iteration): number {
  const rec = it.counters;
  if (rec.unfound < RETUNE_WHILE_WALKING && rec.localTries >= 20) return retuneScale(it.localScale, rec.localMoved / rec.localTries, 0.5);
  return it.localScale;
}

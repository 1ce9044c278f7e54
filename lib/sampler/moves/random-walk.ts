/**
 * The random-walk move: chains whose flow candidates all fell outside the
 * contour walk from their start, localSteps random-walk Metropolis steps
 * inside it (one likelihood call per step inside the cube).
 */
import type { Iteration } from '../iteration.js';
import { retuneScale } from './local-step.js';
import type { HandOff, Move } from './move.js';
import { RETUNE_WHILE_WALKING, walkChains } from './walk.js';

export class RandomWalkMove implements Move {
  readonly kind = 'random-walk';

  async run(it: Iteration, unfound: number[]): Promise<HandOff> {
    for (const c of unfound) it.copyStart(c);
    await walkChains(it, unfound, it.options.localSteps, true);
    it.counters.unfound = unfound.length;
    return {};
  }
}

/** The step for the next iteration: aim at a quarter of this iteration's local steps inside the contour. */
export function retuneAfterIteration(it: Iteration): number {
  const rec = it.counters;
  if (rec.unfound < RETUNE_WHILE_WALKING && rec.localTries >= 20) return retuneScale(it.localScale, rec.localMoved / rec.localTries, 0.5);
  return it.localScale;
}

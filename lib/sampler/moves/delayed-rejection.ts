/**
 * The delayed-rejection move: a chain that refused its flow candidate y1
 * gets a second, local proposal y2 = x + s·L·ε, accepted (Tierney & Mira
 * 1999) with probability 1_C(y2) · (1 − W̃1/W̃2)⁺ / (1 − W̃1/W̃x),
 * W̃ = max(w, W): the flow proposal cancels (it does not depend on the
 * start) and the random walk is symmetric. The ratio needs only the flow, so
 * the likelihood is called only for a step that the ratio lets through.
 * A chain refused again keeps its start.
 *
 * Where the flow refuses many chains (a flow far from the contour's shape,
 * as at Gaussian 32-D with 500 live points), single steps leave most chains
 * on their start, and copies collapse the live set. The second stage is
 * then a walk of `localSteps` random-walk Metropolis steps inside the contour:
 * reversible for the uniform law, so symmetric as a proposal, and the same
 * acceptance holds, with W̃2 at the walk's end.
 */
import type { Iteration } from '../iteration.js';
import { mixtureLogW } from '../mixture.js';
import type { IterationRecord } from '../records.js';
import { gatherRows } from '../rows.js';
import { localProposal } from './local-step.js';
import type { HandOff, Move } from './move.js';
import { walkChains } from './walk.js';

/**
 * Share of an iteration's chains refusing their flow candidate above which
 * the next iteration's refused chains walk. Refusals, not stays, decide: a
 * walking iteration leaves few chains on their start, and the next must walk
 * too while the flow refuses as many.
 */
export const REFUSED_SHARE_TO_WALK = 0.25;

/** Whether refused chains walk this iteration, from the last iteration's record (so not from any chain's start). */
export function refusalsWalk(last: Pick<IterationRecord, 'delayedTries' | 'killed'> | undefined): boolean {
  return last !== undefined && last.delayedTries > REFUSED_SHARE_TO_WALK * last.killed;
}

export class DelayedRejectionMove implements Move {
  readonly kind = 'delayed-rejection';

  /** One step (screened by the weights before the likelihood), or a walk of it.delayedSteps steps. */
  async run(it: Iteration, refused: number[]): Promise<HandOff> {
    if (it.delayedSteps > 1) return this.#walk(it, refused);
    const { dim, rng, counters: rec, contour } = it;
    const survU = it.kill.survivors.u;
    const y2 = new Float64Array(refused.length * dim);
    const inCube = refused.map((c, b) => localProposal(it, c, survU, it.chainStart[c]!, y2, b));
    const logW2 = await logWAt(it, refused, y2, (b) => (inCube[b] ? b : -1));
    const toEvaluate: number[] = [];
    for (let b = 0; b < refused.length; b++) {
      const c = refused[b]!;
      rec.delayedTries++;
      if (!inCube[b]) {
        it.copyStart(c);
        continue;
      }
      if (rng.uniform() < acceptance(it, c, logW2[b]!)) toEvaluate.push(b);
      else it.copyStart(c);
    }
    if (toEvaluate.length > 0) {
      const u = gatherRows(y2, toEvaluate, dim);
      const { theta, logL } = await it.evaluate(u, toEvaluate.length);
      rec.localCalls += toEvaluate.length;
      toEvaluate.forEach((b, k) => {
        const c = refused[b]!;
        rec.localTries++;
        if (logL[k]! > contour) {
          rec.delayedMoved++;
          rec.localMoved++;
          it.setNew(c, u, theta, logL, k);
        } else it.copyStart(c);
      });
    }
    rec.stayed = refused.length - rec.delayedMoved;
    return {};
  }

  /** The second stage as a walk of it.delayedSteps steps from the start, then the acceptance at its end. */
  async #walk(it: Iteration, refused: number[]): Promise<HandOff> {
    const { rng, counters: rec } = it;
    for (const c of refused) it.copyStart(c);
    const walked = await walkChains(it, refused, it.delayedSteps, false);
    const logW2 = await logWAt(it, refused, it.newU, (b) => refused[b]!);
    let moved = 0;
    refused.forEach((c, b) => {
      rec.delayedTries++;
      if (!(rng.uniform() < acceptance(it, c, logW2[b]!))) it.copyStart(c);
      else if (walked[b]) moved++;
    });
    rec.delayedMoved += moved;
    rec.stayed = refused.length - moved;
    return {};
  }
}

/**
 * log w of each refused chain's second-stage point, row `rowOf(b)` of `u`
 * (−1: none, left at +∞), under the mixture of the chain's own group.
 */
async function logWAt(it: Iteration, refused: readonly number[], u: Float64Array, rowOf: (b: number) => number): Promise<Float64Array> {
  const { dim, groups } = it;
  const logW2 = new Float64Array(refused.length).fill(Infinity);
  for (let h = 0; h < groups.length; h++) {
    const rows = refused.map((c, b) => (it.chainGroup[c] === h && rowOf(b) >= 0 ? b : -1)).filter((b) => b >= 0);
    if (rows.length === 0) continue;
    const g = groups[h]!;
    const inv = await it.timed(() => g.flow.inverse(gatherRows(u, rows.map(rowOf), dim)));
    const lw2 = mixtureLogW(inv.logProb, inv.z, dim, g.tau, it.options.temperedFraction);
    rows.forEach((b, k) => (logW2[b] = lw2[k]!));
  }
  return logW2;
}

/** Chain c's second-stage acceptance (1 − W̃₁/W̃₂)⁺ / (1 − W̃₁/W̃ₛ), W̃ = max(w, W), given log w₂. */
function acceptance(it: Iteration, c: number, logW2: number): number {
  const lw = it.chainLogW[c]!;
  const t1 = Math.max(it.refusedLogW[c]!, lw);
  const tx = Math.max(it.chainStartLogW[c]!, lw);
  const t2 = Math.max(logW2, lw);
  return t2 > t1 ? Math.min(1, -Math.expm1(t1 - t2) / -Math.expm1(t1 - tx)) : 0;
}

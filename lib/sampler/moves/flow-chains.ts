/**
 * The flow move: independence Metropolis–Hastings (Tierney 1994's
 * rejection-Metropolis). Chain c starts at a survivor s (uniform inside the
 * contour) and proposes y from Q_W ∝ min(Q, 1/W) restricted to the contour —
 * mixture draws passing the free cube and weight tests, only then the
 * likelihood — and moves with probability min(1, max(w_y, W) / max(w_s, W)).
 * That is 1 unless the survivor lies where the flow under-covers (w_s > W),
 * so W need not bound w: a low W saves proposals and calls, and the rare
 * chain that stays keeps every new point uniform.
 *
 * Refused chains go on to the delayed-rejection move; chains whose
 * candidates kept falling outside the contour go on to the random walk.
 */
import { NestedSamplingError } from '../errors.js';
import type { Iteration } from '../iteration.js';
import { drawMixture, insideCube } from '../mixture.js';
import type { ProposalGroup } from '../group.js';
import { capGroup } from '../proposal.js';
import type { HandOff, Move } from './move.js';

/** Share of the chains that still try a flow that is not worth its calls. */
export const PROBE_SHARE = 0.1;

/** The smallest refill: small enough that the last refills of an iteration leave few candidates unused. */
export const MIN_REFILL_DRAWS = 64;

/** The largest first refill of a group, drawn before its own pass rate is known. */
export const FIRST_REFILL_MAX_DRAWS = 4096;

export class FlowChainsMove implements Move {
  readonly kind = 'flow';

  /**
   * @param weightPassRate last iteration's fraction of draws passing the cube and weight tests
   * @param flowContourRate last iteration's fraction of flow candidates inside the contour
   */
  constructor(
    readonly weightPassRate: number,
    readonly flowContourRate: number,
  ) {}

  async run(it: Iteration, chains: number[]): Promise<HandOff> {
    const { dim, rng, groups, counters: rec, contour } = it;
    const o = it.options;
    const refused: number[] = [];
    const unfound: number[] = [];
    // A chain gives up on the flow after maxFlowCalls candidates outside the
    // contour; whether it does depends on the draws alone, not on its start,
    // so the chain may then move by local steps instead (a state-independent
    // mixture of two kernels that both keep the contour's uniform law).
    // Each further flow try costs one call and lands inside with rate r
    // (last iteration's), saving a walk of localSteps calls: worth it while
    // r · localSteps ≥ 1. Below that the flow costs more calls than it
    // saves, and its draws cost time (they dominate the wall time): then
    // only a random share of the chains (chosen without looking at their
    // starts, so the kernel stays a fixed mixture) try it once, enough to
    // see it recover; the rest walk at once.
    const worthIt = this.flowContourRate * o.localSteps >= 1;
    const maxFlowCalls = worthIt ? o.maxFlowCallsPerPoint : 1;
    const chainFlowCalls = new Int32Array(it.m);
    let pending = chains.slice();
    if (!worthIt) {
      const share = Math.max(PROBE_SHARE, this.flowContourRate * o.localSteps);
      pending = [];
      for (const c of chains) (rng.uniform() < share ? pending : unfound).push(c);
    }
    const need = (h: number, b: number): number => groupNeed(it, h, pending, b, chainFlowCalls, maxFlowCalls, this.flowContourRate);

    while (pending.length > 0) {
      // One candidate from Q_W per pending chain, in chain order.
      const batchU = new Float64Array(pending.length * dim);
      const batchLogW = new Float64Array(pending.length);
      for (let b = 0; b < pending.length; b++) {
        const c = pending[b]!;
        const h = it.chainGroup[c]!;
        const g = groups[h]!;
        const i = await this.#take(it, c, () => this.#refill(it, g, need(h, b), pending.length));
        batchU.set(g.queue.u.subarray(i * dim, (i + 1) * dim), b * dim);
        batchLogW[b] = g.queue.logW[i]!;
      }
      // Only now the likelihood, once per pending chain.
      const { theta, logL } = await it.evaluate(batchU, pending.length);
      rec.flowCalls += pending.length;
      const still: number[] = [];
      for (let b = 0; b < pending.length; b++) {
        const c = pending[b]!;
        if (!(logL[b]! > contour)) {
          rec.contour++;
          if (++chainFlowCalls[c]! >= maxFlowCalls) unfound.push(c);
          else still.push(c);
          continue;
        }
        const logWChain = it.chainLogW[c]!;
        const logAccept = Math.max(batchLogW[b]!, logWChain) - Math.max(it.chainStartLogW[c]!, logWChain);
        if (logAccept >= 0 || Math.log(rng.uniform()) < logAccept) it.setNew(c, batchU, theta, logL, b);
        else {
          it.refusedLogW[c] = batchLogW[b]!;
          refused.push(c);
        }
      }
      pending = still;
    }
    rec.flowInside = rec.flowCalls - rec.contour;
    return { 'delayed-rejection': refused, 'random-walk': unfound };
  }

  /**
   * The queue index of chain c's next candidate from Q_W. The chain's W
   * follows its group's down if a late pilot capped it, and is stored: the
   * acceptance and the delayed-rejection step need the W that the chain's
   * candidate was drawn under.
   */
  async #take(it: Iteration, c: number, refill: () => Promise<void>): Promise<number> {
    const g = it.groups[it.chainGroup[c]!]!;
    for (;;) {
      while (g.head >= g.queue.size) await refill();
      const logWChain = Math.min(it.chainLogW[c]!, g.logWHigh);
      it.chainLogW[c] = logWChain;
      const i = g.head++;
      const logw = g.queue.logW[i]!;
      // Chains with the smaller envelope thin the queue further.
      if (logWChain < g.logWHigh) {
        const keep = Math.min(0, logw - logWChain) - Math.min(0, logw - g.logWHigh);
        if (Math.log(it.rng.uniform()) >= keep) {
          it.counters.weight++;
          continue;
        }
      }
      return i;
    }
  }

  /** Draws a batch from group g's mixture for `need` candidates and queues those passing the cube and (larger-envelope) weight tests. */
  async #refill(it: Iteration, g: ProposalGroup, need: number, pending: number): Promise<void> {
    const { dim, rng, counters: rec } = it;
    const o = it.options;
    if (rec.proposals > o.maxProposalsPerIteration)
      throw new NestedSamplingError(
        'SAMPLER_STALLED',
        `nested sampling stalled at iteration ${it.index}: ${rec.proposals} flow proposals left ${pending} of ${it.m} new points unfound inside the contour logL > ${it.contour} ` +
          `(${it.calls} likelihood calls). Is the likelihood flat above the contour, or the posterior unresolvable at this nLive?`,
      );
    // A group that skipped its pilot and passes too few draws takes it now;
    // a capped envelope passes more, so its rate is measured afresh.
    if (!g.piloted && g.drawn >= g.pilotDraws && g.queued < o.minWeightPassRate * g.drawn) {
      if (await capGroup(it, g)) g.drawn = g.queued = 0;
    }
    // This group's pass rate so far, shrunk toward the last iteration's (all
    // groups') by one candidate's worth of draws. One poor flow drags that
    // rate down, so a group's first refill is capped until it has its own.
    const passRate = (g.queued + 1) / (g.drawn + 1 / this.weightPassRate);
    const nCand = Math.min(g.drawn === 0 ? FIRST_REFILL_MAX_DRAWS : 200_000, Math.max(MIN_REFILL_DRAWS, Math.ceil(need / passRate)));
    const draws = await it.timed(() => drawMixture(g.flow, g.tau, o.temperedFraction, nCand, rng));
    g.drawn += nCand;
    rec.proposals += nCand;
    g.queue.reset(nCand);
    g.head = 0;
    for (let c = 0; c < nCand; c++) {
      if (!insideCube(draws.x, c, dim)) {
        rec.outside++;
        continue;
      }
      const logw = draws.logW[c]!;
      // Free weight test against the group's larger envelope.
      if (Math.log(rng.uniform()) >= logw - g.logWHigh) {
        rec.weight++;
        continue;
      }
      g.queue.push(draws.x, c, logw);
      g.queued++;
    }
    rec.refillDrawn += nCand;
    rec.refillQueued += g.queue.size;
  }
}

/**
 * Candidates that group h's pending chains still expect, halved (but at
 * least one for each chain of this round still waiting): a refill draws for
 * that, so what is left unused at the end of an iteration stays small. A
 * chain with k tries left takes a geometric number of candidates capped at
 * k, (1 − (1 − r)^k)/r on average; chains before b already hold this
 * round's candidate and go on only if it misses.
 */
function groupNeed(it: Iteration, h: number, round: readonly number[], b: number, tries: Int32Array, maxTries: number, contourRate: number): number {
  const r = Math.min(1, contourRate);
  const expected = (left: number): number => (1 - (1 - r) ** left) / r;
  let need = 0;
  let now = 0;
  for (let j = 0; j < round.length; j++) {
    const c = round[j]!;
    if (it.chainGroup[c] !== h) continue;
    const left = maxTries - tries[c]!;
    if (j < b) need += (1 - r) * expected(left - 1);
    else {
      need += expected(left);
      now++;
    }
  }
  return Math.max(now, need / 2);
}

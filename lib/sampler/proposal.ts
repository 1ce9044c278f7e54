/**
 * The flow proposals of one iteration, one group per fold: the chains of a
 * group start in one fold and draw from the flow trained on the others, so a
 * chain's kernel is independent of its start. Each group holds its tempering
 * τ, the starts' weights and the envelope W of the weight test.
 */
import type { Flow } from '../flow.js';
import type { FoldPlan } from './folds.js';
import { capEnvelope } from './envelope.js';
import { CandidateQueue, type ProposalGroup } from './group.js';
import type { Iteration } from './iteration.js';
import { NeighbourShapes } from './moves/neighbour-shapes.js';
import { drawMixture, insideCube, mixtureLogW, sumSquares } from './mixture.js';
import { gatherRows } from './rows.js';
import type { IterationRecord } from './records.js';

export type { ProposalGroup };

/** Flow draws per group and iteration that size the envelope cap. */
export const PILOT_DRAWS = 1000;

/** Pilot draws per group: {@link PILOT_DRAWS} shared by the groups, at least 250 each. */
export const pilotDraws = (groups: number): number => Math.max(250, Math.round((2 * PILOT_DRAWS) / Math.max(2, groups)));

/**
 * Whether this iteration's groups draw their pilot up front: unless the last
 * iteration's flows were uncapped and passed the weight test at a healthy
 * rate (decided from its record alone, not from any start or draw of this
 * one). A group whose refills then pass too few draws takes its pilot late.
 */
export function pilotUpFront(last: IterationRecord | undefined, lastPassRate: number, minWeightPassRate: number): boolean {
  return last === undefined || last.envelopeCapped || lastPassRate < PILOT_SKIP_RATE_FACTOR * minWeightPassRate;
}

/** Multiple of minWeightPassRate that the last iteration's pass rate must reach for the pilot to wait. */
export const PILOT_SKIP_RATE_FACTOR = 5;

/**
 * One group per fold (group k: the chains starting in fold k, served by the
 * flow trained on the other folds), or one group when the survivors could
 * not be split. Sets τ, the starts' weights and the envelope of each (its
 * cap only with `pilot`).
 */
export async function buildGroups(it: Iteration, flows: readonly Flow[], plan: FoldPlan, pilot: boolean): Promise<void> {
  const { dim, options: o } = it;
  const u = it.kill.survivors.u;
  const split = plan.serves[0] !== -1;
  const nGroups = split ? plan.foldRows.length : 1;
  const pilotN = pilotDraws(nGroups);
  for (let h = 0; h < nGroups; h++) {
    const starts = split ? Int32Array.from(plan.foldRows[h]!) : plan.training[0]!;
    const flowIndex = split ? plan.serves.indexOf(h) : 0;
    const flow = flows[flowIndex]!;
    const localFactor = flow.whitening.chol;
    const inv = await it.timed(() => flow.inverse(gatherRows(u, starts, dim)));
    // A flow fitted to one fold is too narrow for the other (its points sit
    // at |z|² well above dim): widen the tempered component to match.
    const zz = Float64Array.from({ length: starts.length }, (_, k) => sumSquares(inv.z, k, dim)).sort();
    const tau = Math.min(4, Math.max(1.25, 1.25 * Math.sqrt(zz[zz.length >> 1]! / dim)));
    const logWStart = mixtureLogW(inv.logProb, inv.z, dim, tau, o.temperedFraction);
    const n = starts.length;
    const sorted = Float64Array.from(logWStart).sort();
    // W for a chain comes from the other starts of its group (leave-one-out),
    // so it is independent of the chain's own start.
    const q = Math.min(n - 2, Math.floor(o.envelopeQuantile * (n - 1)));
    const g: ProposalGroup = {
      starts,
      flow,
      localFactor,
      // The flow's own training points: fixed for the iteration and never the chain's fold.
      neighbours: o.walkNeighbours > 0 ? new NeighbourShapes(gatherRows(u, plan.training[flowIndex]!, dim), dim, o.walkNeighbours, localFactor) : undefined,
      tau,
      logWStart,
      logWHigh: (n < 2 ? sorted[0]! : sorted[q + 1]!) + o.envelopeMargin, // starts ranked ≤ q
      logWLow: (n < 2 ? sorted[0]! : sorted[q]!) + o.envelopeMargin, // starts ranked > q
      threshold: n < 2 ? Infinity : sorted[q]!,
      order: new Int32Array(0),
      queue: new CandidateQueue(dim, 0),
      head: 0,
      drawn: 0,
      queued: 0,
      pilotDraws: pilotN,
      piloted: false,
    };
    if (pilot) await capGroup(it, g);
    it.groups.push(g);
  }
}

/**
 * A flow that misses part of the contour puts some starts at huge w: cap W
 * where a pilot of the flow's own draws (independent of the starts) would
 * pass the weight test at minWeightPassRate, so a bad flow costs chains
 * that stay rather than a stalled iteration. Called late, between refills
 * (the queue empty), it lowers the envelope of the candidates drawn from
 * then on (each chain's W follows when it takes one). Returns whether it
 * capped.
 */
export async function capGroup(it: Iteration, g: ProposalGroup): Promise<boolean> {
  const { dim, options: o } = it;
  const pilotN = g.pilotDraws;
  g.piloted = true;
  const pilot = await it.timed(() => drawMixture(g.flow, g.tau, o.temperedFraction, pilotN, it.rng));
  it.counters.proposals += pilotN;
  const pilotLogW: number[] = [];
  for (let c = 0; c < pilotN; c++) if (insideCube(pilot.x, c, dim)) pilotLogW.push(pilot.logW[c]!);
  const cap = capEnvelope(pilotLogW, pilotN, g.logWHigh, o.minWeightPassRate);
  if (cap === undefined) return false;
  g.logWHigh = Math.min(g.logWHigh, cap);
  g.logWLow = Math.min(g.logWLow, cap);
  it.counters.capped = true;
  return true;
}

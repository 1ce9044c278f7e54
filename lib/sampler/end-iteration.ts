/**
 * The end of an iteration: the adaptive rates for the next one, the
 * insertion-index test, the new live set, the totals and the record.
 */
import { logSumExp } from '../evidence.js';
import { insertionPValue, insertionUniforms } from './insertion.js';
import type { Iteration } from './iteration.js';
import { replaceLive } from './kill.js';
import { retuneAfterIteration } from './moves/random-walk.js';
import { addCounts, type IterationRecord } from './records.js';
import type { RunState } from './state.js';

/** What the loop measured around the moves. */
export interface IterationTimes {
  trainMs: number;
  /** Final training loss of each flow. */
  losses: number[];
  logEnvelope: number;
  /** The run's likelihood milliseconds when the iteration began. */
  likelihoodMsBefore: number;
}

/** Folds a finished iteration into the state; returns its record (already appended to state.iterations). */
export function endIteration(state: RunState, it: Iteration, times: IterationTimes, warn: (m: string) => void): IterationRecord {
  const rec = it.counters;
  const { m, dim } = it;
  const nLive = state.live.logL.length;
  const calls = it.calls;
  const likelihoodMs = state.timings.likelihood - times.likelihoodMsBefore;
  state.timings.sample += it.sampleMs;
  // The refills' own pass rate (pilot draws and the chains' extra thinning left out): it sizes the next refills.
  if (rec.refillDrawn > 0) state.rates.weightPassRate = Math.max(1e-5, rec.refillQueued / rec.refillDrawn);
  state.rates.flowContourRate = Math.max(0.01, rec.flowInside / Math.max(1, rec.flowCalls));
  state.rates.localScale = retuneAfterIteration(it);

  const survivors = it.kill.survivors;
  const uniforms = insertionUniforms(survivors.logL, it.newLogL, state.rng);
  state.insertionU.push(...uniforms);
  const pValue = insertionPValue(uniforms, m, survivors.n);
  replaceLive(state, survivors, { u: it.newU, theta: it.newTheta, logL: it.newLogL, fold: it.chainFold }, it.contour, dim);

  // Many chains keeping their survivor mean the flow misses much of the
  // region; copies then feed both flows and can collapse the live set
  // (Rosenbrock 8-D: from 25% stayed on, log Z ended 8σ low). Refused
  // chains then walk (the delayed-rejection move); if they still stay, say so.
  if (it.delayedSteps > 1 && rec.stayed > 0.25 * m && !state.staysWarned) {
    state.staysWarned = true;
    warn(`iteration ${it.index}: ${rec.stayed} of ${m} chains kept their survivor even after a ${it.delayedSteps}-step walk (the flow under-covers the contour); log Z may be biased from here on`);
  }
  const { logX, logZ, meanLogL } = state.evidence;
  const record: IterationRecord = {
    iteration: it.index,
    nLive,
    killed: m,
    logX,
    contour: it.contour,
    logZ,
    logZErr: Math.sqrt(Math.max(0, meanLogL - logZ) / nLive),
    logRemaining: logX + logSumExp(state.live.logL) - Math.log(nLive) - logZ,
    proposals: rec.proposals,
    rejectedOutsidePrior: rec.outside,
    rejectedByWeight: rec.weight,
    rejectedByContour: rec.contour,
    stayed: rec.stayed,
    unfound: rec.unfound,
    delayedTries: rec.delayedTries,
    delayedMoved: rec.delayedMoved,
    localTries: rec.localTries,
    localMoved: rec.localMoved,
    localCalls: rec.localCalls,
    localScale: it.localScale,
    likelihoodCalls: calls,
    efficiency: m / Math.max(1, calls),
    logEnvelope: times.logEnvelope,
    envelopeCapped: rec.capped,
    insertionPValue: pValue,
    trainLoss: times.losses.length ? times.losses.reduce((x, y) => x + y, 0) / times.losses.length : NaN,
    trainMs: times.trainMs,
    sampleMs: it.sampleMs,
    likelihoodMs,
  };
  addCounts(state.counts, record);
  state.iterations.push(record);
  return record;
}

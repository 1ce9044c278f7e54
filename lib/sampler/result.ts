/**
 * A finished run: the final live points die one by one, the evidence is
 * computed from every death and birth, and the result carries the posterior.
 */
import { computeEvidence, equalWeightIndices } from '../evidence.js';
import { runInsertionPValue } from './insertion.js';
import { summarizePosterior, type ParameterSummary } from '../summary.js';
import type { ResolvedOptions } from './options.js';
import type { IterationRecord, RunCounts, RunTimings, StopReason } from './records.js';
import type { RunState } from './state.js';

/** Dead points, in death order. */
export interface DeadPoints {
  /** Parameters, row-major [n × dim]. */
  theta: Float64Array;
  logL: Float64Array;
  /** Contour the point was born in (−Infinity for prior draws). */
  logLBirth: Float64Array;
  /** Normalised log posterior weights. */
  logWeight: Float64Array;
  /** Live points at each death. */
  nLive: Int32Array;
  /** Derived parameters of each point, row-major [n × derivedNames.length] (empty without `derived`). */
  derived: Float64Array;
}

/** The outcome of {@link NestedSampler.run}. */
export interface NestedSamplingResult {
  logZ: number;
  logZErr: number;
  /** Every likelihood evaluation, the start included. */
  nLike: number;
  nIterations: number;
  /** KL information H (nats). */
  information: number;
  /** Kish effective sample size. */
  ess: number;
  dead: DeadPoints;
  dim: number;
  paramNames: string[];
  /** Names of the derived parameters (empty without `derived`). */
  derivedNames: string[];
  iterations: IterationRecord[];
  /** KS p-value of all insertion indices of the run. */
  insertionPValue: number;
  stopReason: StopReason;
  warnings: string[];
  /** Totals. */
  counts: RunCounts;
  /** Milliseconds spent. */
  timings: RunTimings;
  /** Each parameter's posterior, then each derived one's: mean, sd, median, 68% and 95% intervals, value at the highest logL. */
  parameters: ParameterSummary[];
  /** Equal-weight posterior samples (systematic resampling), row-major [n × dim]. Default n: ESS. */
  posteriorSamples(n?: number): Float64Array;
}

/** Systematic resampling of weighted points into n equally weighted ones. */
export function equalWeightSamples(theta: Float64Array, logWeight: Float64Array, dim: number, n: number, seed: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const out = new Float64Array(n * dim);
  equalWeightIndices(logWeight, n, seed).forEach((i, k) => out.set(theta.subarray(i * dim, (i + 1) * dim), k * dim));
  return out;
}

/** Ends a run: the live points die in order of logL and the result is built (the state's dead store and stream move on). */
export function finishRun(state: RunState, o: ResolvedOptions, mNominal: number, warn: (m: string) => void): NestedSamplingResult {
  const { dim } = o;
  const live = state.live;
  const idx = Array.from({ length: live.logL.length }, (_, i) => i).sort((a, b) => live.logL[a]! - live.logL[b]!);
  for (const i of idx) state.dead.push(live.theta, i, live.logL[i]!, live.birth[i]!);
  const { theta, logL, birth: logLBirth } = state.dead.toData();
  const ev = computeEvidence(logL, logLBirth, { simulations: 200, seed: state.rng.nextSeed() });
  const insertionPValue = runInsertionPValue(state.insertionU, o.nLive, mNominal);
  if (state.insertionU.length > 0 && insertionPValue < 0.01)
    warn(`insertion-index KS p-value over the run is ${insertionPValue.toExponential(2)} (< 0.01): the new points may not be uniform inside the contours`);
  const resampleSeed = state.rng.nextSeed();
  const nDerived = o.derivedNames.length;
  const derived = o.derived ? derivedValues(o.derived, theta, dim, nDerived) : new Float64Array(0);
  return {
    logZ: ev.logZ,
    logZErr: ev.logZErr,
    nLike: state.nLike,
    nIterations: state.iterations.length,
    information: ev.information,
    ess: ev.ess,
    dead: { theta, logL, logLBirth, logWeight: ev.logWeight, nLive: ev.nLive, derived },
    dim,
    paramNames: o.paramNames,
    derivedNames: o.derivedNames,
    iterations: state.iterations,
    insertionPValue,
    stopReason: state.stopReason,
    warnings: state.warnings,
    counts: state.counts,
    timings: state.timings,
    parameters: [
      ...summarizePosterior(theta, ev.logWeight, logL, dim, o.paramNames),
      ...(nDerived > 0 ? summarizePosterior(derived, ev.logWeight, logL, nDerived, o.derivedNames) : []),
    ],
    posteriorSamples(n?: number): Float64Array {
      return equalWeightSamples(theta, ev.logWeight, dim, n ?? Math.max(1, Math.floor(ev.ess)), resampleSeed);
    },
  };
}

/** The derived parameters of every point, checked: one number per name. */
function derivedValues(fn: (theta: Float64Array) => ArrayLike<number>, theta: Float64Array, dim: number, nDerived: number): Float64Array {
  const n = theta.length / dim;
  const out = new Float64Array(n * nDerived);
  for (let i = 0; i < n; i++) {
    const point = theta.slice(i * dim, (i + 1) * dim);
    let values: ArrayLike<unknown>;
    try {
      values = fn(point) as ArrayLike<unknown>;
    } catch (err) {
      throw new TypeError(`derived threw at theta = [${Array.from(point).join(', ')}]: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (values === null || typeof values !== 'object' || values.length !== nDerived)
      throw new TypeError(`derived must return ${nDerived} numbers (one per derivedNames entry), got ${values === null || typeof values !== 'object' ? typeof values : `${values.length} values`} at theta = [${Array.from(point).join(', ')}]`);
    for (let k = 0; k < nDerived; k++) {
      const v = values[k];
      if (typeof v !== 'number') throw new TypeError(`derived returned a ${typeof v} at index ${k}, expected a number`);
      out[i * nDerived + k] = v;
    }
  }
  return out;
}

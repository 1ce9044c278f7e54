/**
 * A restored run state is checked against itself and the run's settings
 * before the run continues: the checkpoint's SHA-256 catches accidents, not
 * edits (anyone can recompute it), and a state that parses can still say
 * `logZ: Infinity` or `finished: true` after three iterations. Everything
 * the state records twice is compared — the evidence is recomputed from the
 * dead points bit for bit, the counters from the iteration records — so an
 * edited checkpoint is refused rather than resumed to a wrong answer.
 */
import { CheckpointError } from '../checkpoint.js';
import { logSumExp } from '../evidence.js';
import type { Flow } from '../flow.js';
import type { LikelihoodSource } from './likelihood-source.js';
import type { ResolvedOptions } from './options.js';
import { newRunState, recordDeath, type RunState } from './state.js';

/** Throws a CheckpointError (code CHECKPOINT_INCONSISTENT, `field` set) for the first thing that does not hold. */
export function checkRestoredState(state: RunState, flows: readonly Flow[], hidden: readonly number[], o: ResolvedOptions, mNominal: number, source: string): void {
  const fail = (field: string, what: string): never => {
    throw new CheckpointError('CHECKPOINT_INCONSISTENT', `${source}: ${field} ${what}`, { field });
  };
  const { dim, nLive } = o;
  const live = state.live;
  const n = live.logL.length;
  if (n !== nLive) fail('live', `holds ${n} points; the run has nLive ${nLive}`);
  if (live.u.length !== n * dim) fail('live.u', `holds ${live.u.length} values for ${n} points of dim ${dim}`);
  checkFlows(flows, hidden, o, fail);
  checkLive(state, o, fail);
  checkDead(state, fail);
  checkRecords(state, o, fail);
  checkEvidence(state, o, fail);
  const rates = state.rates;
  if (!(rates.weightPassRate > 0 && rates.weightPassRate <= 1)) fail('rates.weightPassRate', `is ${rates.weightPassRate}, outside (0, 1]`);
  if (!(rates.flowContourRate >= 0 && rates.flowContourRate <= 1)) fail('rates.flowContourRate', `is ${rates.flowContourRate}, outside [0, 1]`);
  if (!(rates.localScale > 0 && rates.localScale <= 2)) fail('rates.localScale', `is ${rates.localScale}, outside (0, 2]`);
  if (state.rng.state.every((w) => w === 0)) fail('rng', 'is all zero (the generator would never leave that state)');
  for (const [k, v] of Object.entries(state.timings)) if (!(v >= 0 && v < Infinity)) fail(`timings.${k}`, `is ${v}`);
  if (state.finished) checkFinished(state, o, mNominal, fail);
}

type Fail = (field: string, what: string) => never;

/** The flows: one per fold, each of the run's dimension and network shape (`hidden`). */
function checkFlows(flows: readonly Flow[], hidden: readonly number[], o: ResolvedOptions, fail: Fail): void {
  if (flows.length !== o.folds) fail('flows', `holds ${flows.length} flows for ${o.folds} folds`);
  const want = JSON.stringify(hidden);
  flows.forEach((f, j) => {
    if (f.dim !== o.dim) fail(`flows[${j}]`, `has dim ${f.dim}; the run has dim ${o.dim}`);
    const have = JSON.stringify(f.info.hidden);
    if (have !== want) fail(`flows[${j}]`, `has hidden layers ${have}; the run has ${want}`);
  });
}

function checkLive(state: RunState, o: ResolvedOptions, fail: Fail): void {
  const { u, theta, logL, birth, fold } = state.live;
  const n = logL.length;
  const dim = o.dim;
  for (let i = 0; i < u.length; i++) if (!(u[i]! >= 0 && u[i]! <= 1)) fail(`live.u[${i}]`, `is ${u[i]}, outside the unit cube`);
  // θ is the prior's transform of u, exactly: a live point moved by hand, or a
  // resume with another prior, shows here.
  const expected = new Float64Array(n * dim);
  o.prior.transform(u, expected, n);
  for (let i = 0; i < theta.length; i++)
    if (!Object.is(theta[i], expected[i])) fail(`live.theta[${i}]`, `is ${theta[i]}, but the prior maps live.u there to ${expected[i]}`);
  const contour = state.dead.size > 0 ? state.dead.logL[state.dead.size - 1]! : -Infinity;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logL[i]) || logL[i] === Infinity) fail(`live.logL[${i}]`, `is ${logL[i]}`);
    if (logL[i]! < contour) fail(`live.logL[${i}]`, `is ${logL[i]}, below the last dead point's ${contour}`);
    if (!(birth[i] === -Infinity || birth[i]! < logL[i]!)) fail(`live.birth[${i}]`, `is ${birth[i]}, not below the point's logL ${logL[i]}`);
    if (fold[i]! >= o.folds) fail(`live.fold[${i}]`, `is ${fold[i]}; the run has ${o.folds} folds`);
  }
}

function checkDead(state: RunState, fail: Fail): void {
  const d = state.dead;
  for (let i = 0; i < d.size * d.dim; i++) if (!Number.isFinite(d.theta[i])) fail(`dead.theta[${i}]`, `is ${d.theta[i]}`);
  for (let i = 0; i < d.size; i++) {
    const l = d.logL[i]!;
    if (Number.isNaN(l) || l === Infinity) fail(`dead.logL[${i}]`, `is ${l}`);
    if (i > 0 && l < d.logL[i - 1]!) fail(`dead.logL[${i}]`, `is ${l}, below the point that died before it (${d.logL[i - 1]})`);
    if (!(d.logLBirth[i] === -Infinity || d.logLBirth[i]! < l)) fail(`dead.birth[${i}]`, `is ${d.logLBirth[i]}, not below the point's logL ${l}`);
  }
}

/** Prior draws at the start: the worst nInit − nLive of them are the first dead points. */
const initialDraws = (o: ResolvedOptions): number => Math.max(o.nLive, Math.round(o.nLive * o.priorBoost));

function checkRecords(state: RunState, o: ResolvedOptions, fail: Fail): void {
  const recs = state.iterations;
  if (recs.length !== state.iteration) fail('iteration', `is ${state.iteration}, but the state holds ${recs.length} iteration records`);
  let calls = initialDraws(o);
  let deaths = initialDraws(o) - o.nLive;
  recs.forEach((r, t) => {
    if (r.iteration !== t || r.nLive !== o.nLive || !(r.killed >= 1 && r.killed < o.nLive)) fail(`iterations[${t}]`, `is not iteration ${t} of a run with nLive ${o.nLive}`);
    calls += r.likelihoodCalls;
    deaths += r.killed;
  });
  if (state.nLike !== calls) fail('nLike', `is ${state.nLike}, but the prior draws and the iteration records add up to ${calls} calls`);
  if (state.dead.size !== deaths) fail('dead', `holds ${state.dead.size} points, but the prior draws and the iteration records killed ${deaths}`);
  const born = deaths - (initialDraws(o) - o.nLive);
  if (state.insertionU.length !== born) fail('insertionU', `holds ${state.insertionU.length} values for ${born} new points`);
  state.insertionU.forEach((v, i) => {
    if (!(v >= 0 && v <= 1)) fail(`insertionU[${i}]`, `is ${v}, outside [0, 1]`);
  });
}

/** The evidence accumulators, recomputed from the dead points in death order with the same arithmetic. */
function checkEvidence(state: RunState, o: ResolvedOptions, fail: Fail): void {
  const replay = newRunState(o.dim, o.nLive, 0);
  const logL = state.dead.logL;
  let i = 0;
  const nInit = initialDraws(o);
  for (let k = 0; k < nInit - o.nLive; k++) recordDeath(replay, logL[i++]!, nInit - k);
  for (const r of state.iterations) for (let k = 0; k < r.killed; k++) recordDeath(replay, logL[i++]!, o.nLive - k);
  for (const key of ['logX', 'logZ', 'meanLogL'] as const) {
    const have = state.evidence[key];
    const want = replay.evidence[key];
    if (!Object.is(have, want)) fail(`evidence.${key}`, `is ${have}, but the dead points give ${want}`);
  }
}

/** A finished state must have met its stopping rule. */
function checkFinished(state: RunState, o: ResolvedOptions, mNominal: number, fail: Fail): void {
  const logL = state.live.logL;
  const sorted = Float64Array.from(logL).sort();
  if (state.stopReason === 'plateau') {
    if (sorted[mNominal - 1] !== sorted[sorted.length - 1]) fail('finished', 'is true with stop reason plateau, but the live points do not share one top likelihood');
    return;
  }
  const logLiveMean = logSumExp(logL) - Math.log(o.nLive);
  const converged = state.evidence.logX + logLiveMean < Math.log(o.tolerance) + state.evidence.logZ;
  if (state.stopReason !== 'converged' || !converged)
    fail('finished', `is true, but the run has not met its stopping rule (stop reason ${state.stopReason}; the live points still hold more than tolerance ${o.tolerance} of the evidence)`);
}

/**
 * The live points' likelihoods, evaluated again (once per resume, nLive
 * calls not counted in nLike): an edited likelihood value, or a resume with
 * another likelihood or other data, would otherwise carry on to an answer
 * that belongs to neither run. Agreement to 1e-9 (relative) leaves room for
 * a likelihood that sums in another order.
 */
export async function checkLiveLikelihood(state: RunState, likelihood: LikelihoodSource, source: string): Promise<number> {
  const { theta, logL } = state.live;
  const n = logL.length;
  const t0 = performance.now();
  const again = await likelihood.evaluate(theta.slice(), n);
  for (let i = 0; i < n; i++) {
    const a = again[i]!;
    const b = logL[i]!;
    if (!(a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))))
      throw new CheckpointError(
        'CHECKPOINT_INCONSISTENT',
        `${source}: live.logL[${i}] is ${b}, but the likelihood gives ${a} at that point (another likelihood or other data than the run had, or an edited checkpoint)`,
        { field: `live.logL[${i}]` },
      );
  }
  return performance.now() - t0;
}

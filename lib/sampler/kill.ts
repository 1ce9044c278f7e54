/**
 * The kill step: the worst live points die (ties with the contour too), the
 * evidence accumulators take them, and the survivors are packed for the
 * flows and the chains that start from them.
 */
import type { Evaluate } from './likelihood.js';
import { recordDeath, type RunState } from './state.js';

/** The live points that survived the kill, packed (row-major [n × dim]). */
export interface Survivors {
  n: number;
  u: Float64Array;
  theta: Float64Array;
  logL: Float64Array;
  birth: Float64Array;
  fold: Uint8Array;
}

/** A kill: the contour, how many died, who survived. */
export interface Kill {
  contour: number;
  killed: number;
  survivors: Survivors;
}

/**
 * Kills the worst `mNominal` live points and any tied with the contour (a
 * point at L* is not inside L > L*). Returns undefined, killing nothing, on a
 * likelihood plateau at the top: no point can beat the contour, and the live
 * points share their volume equally, as the final kill assumes.
 */
export function killWorst(state: RunState, mNominal: number, dim: number): Kill | undefined {
  const live = state.live;
  const nLive = live.logL.length;
  const idx = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => live.logL[a]! - live.logL[b]!);
  const contour = live.logL[idx[mNominal - 1]!]!;
  if (contour === live.logL[idx[nLive - 1]!]!) return undefined;
  let m = mNominal;
  while (live.logL[idx[m]!]! === contour) m++;
  for (let k = 0; k < m; k++) {
    const i = idx[k]!;
    state.dead.push(live.theta, i, live.logL[i]!, live.birth[i]!);
    recordDeath(state, live.logL[i]!, nLive - k);
  }
  const n = nLive - m;
  const s: Survivors = { n, u: new Float64Array(n * dim), theta: new Float64Array(n * dim), logL: new Float64Array(n), birth: new Float64Array(n), fold: new Uint8Array(n) };
  for (let k = 0; k < n; k++) {
    const i = idx[m + k]!;
    s.u.set(live.u.subarray(i * dim, (i + 1) * dim), k * dim);
    s.theta.set(live.theta.subarray(i * dim, (i + 1) * dim), k * dim);
    s.logL[k] = live.logL[i]!;
    s.birth[k] = live.birth[i]!;
    s.fold[k] = live.fold[i]!;
  }
  return { contour, killed: m, survivors: s };
}

/** The new live set: the survivors, then the chains' new points (born at the contour, in their chains' folds). */
export function replaceLive(
  state: RunState,
  s: Survivors,
  fresh: { u: Float64Array; theta: Float64Array; logL: Float64Array; fold: Uint8Array },
  contour: number,
  dim: number,
): void {
  const nLive = s.n + fresh.logL.length;
  const live = { u: new Float64Array(nLive * dim), theta: new Float64Array(nLive * dim), logL: new Float64Array(nLive), birth: new Float64Array(nLive), fold: new Uint8Array(nLive) };
  live.fold.set(s.fold);
  live.fold.set(fresh.fold, s.n);
  live.u.set(s.u);
  live.theta.set(s.theta);
  live.logL.set(s.logL);
  live.birth.set(s.birth);
  live.u.set(fresh.u, s.n * dim);
  live.theta.set(fresh.theta, s.n * dim);
  live.logL.set(fresh.logL, s.n);
  // Born inside L > −∞ after the −∞ deaths: a birth just above −∞ keeps them
  // out of the live counts of those deaths (birth −∞ would mean a prior draw).
  live.birth.fill(contour === -Infinity ? -Number.MAX_VALUE : contour, s.n);
  state.live = live;
}

/** The start: nLive × boost prior draws; the best nLive live (folds in turn), the rest dead. */
export async function drawFromPrior(
  state: RunState,
  nInit: number,
  dim: number,
  folds: number,
  evaluate: Evaluate,
): Promise<void> {
  const live = state.live;
  const nLive = live.logL.length;
  const uInit = new Float64Array(nInit * dim);
  for (let i = 0; i < uInit.length; i++) uInit[i] = state.rng.uniform();
  const init = await evaluate(uInit, nInit);
  const order = Array.from({ length: nInit }, (_, i) => i).sort((a, b) => init.logL[a]! - init.logL[b]!);
  for (let k = 0; k < nInit - nLive; k++) state.dead.push(init.theta, order[k]!, init.logL[order[k]!]!, -Infinity);
  for (let k = 0; k < nLive; k++) live.fold[k] = k % folds;
  for (let k = 0; k < nLive; k++) {
    const src = order[nInit - nLive + k]!;
    live.u.set(uInit.subarray(src * dim, (src + 1) * dim), k * dim);
    live.theta.set(init.theta.subarray(src * dim, (src + 1) * dim), k * dim);
    live.logL[k] = init.logL[src]!;
  }
  for (let k = 0; k < nInit - nLive; k++) recordDeath(state, init.logL[order[k]!]!, nInit - k);
}

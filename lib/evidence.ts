/**
 * Evidence from a nested-sampling run's dead points, from their log-likelihoods
 * and birth contours alone (the way anesthetic reads PolyChord files), so any
 * kill schedule — one at a time, half the live set at once, the final live
 * points one by one — is accounted for exactly.
 */
import { Random } from './random.js';

/** What {@link computeEvidence} returns. */
export interface Evidence {
  /** Live points at each death (including the one dying). */
  nLive: Int32Array;
  /** Expected log prior volume after each death: Σ −1/n_k. */
  logX: Float64Array;
  /** Normalised log posterior weight of each dead point. */
  logWeight: Float64Array;
  logZ: number;
  /** Standard deviation of log Z over simulated shrinkages t_i ~ Beta(n_i, 1). */
  logZErr: number;
  /** Kullback–Leibler information H = Σ p_i log(L_i / Z), nats. */
  information: number;
  /** Kish effective sample size of the weights. */
  ess: number;
}

export function logSumExp(values: ArrayLike<number>): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i]! > max) max = values[i]!;
  if (max === -Infinity) return -Infinity;
  let s = 0;
  for (let i = 0; i < values.length; i++) s += Math.exp(values[i]! - max);
  return max + Math.log(s);
}

/** log(1 − e^x) for x < 0, accurate near 0. */
export function log1mExp(x: number): number {
  return x > -Math.LN2 ? Math.log(-Math.expm1(x)) : Math.log1p(-Math.exp(x));
}

/**
 * Live points at each death: n_i = #{ j : logLBirth_j < logL_i } − i, the
 * points born below the dying one's contour less those already dead. Points
 * must be in death order (non-decreasing logL). Equal to
 * #{ j : logLBirth_j < logL_i ≤ logL_j } without ties; with ties (plateaus, or
 * several −∞ prior points) it counts down one per death, as it must. Prior
 * points (birth −∞) are alive from the start, even where logL = −∞.
 */
export function liveCounts(logL: ArrayLike<number>, logLBirth: ArrayLike<number>): Int32Array {
  const n = logL.length;
  if (logLBirth.length !== n) throw new RangeError(`logLBirth has ${logLBirth.length} entries, logL ${n}`);
  const births = Float64Array.from(logLBirth).sort();
  const out = new Int32Array(n);
  let b = 0;
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const L = logL[i]!;
    if (L < prev) throw new RangeError(`dead points must be in death order: logL[${i}] = ${L} < logL[${i - 1}] = ${prev}`);
    prev = L;
    while (b < n && (births[b]! < L || births[b] === -Infinity)) b++;
    out[i] = b - i;
    if (out[i]! < 1) throw new RangeError(`point ${i} (logL ${L}) has no live point at its death: check the birth contours`);
  }
  return out;
}

/** log Z for given log X_i (X_0 = 1), with ΔX_i = X_{i−1} − X_i. */
function logZFrom(logL: ArrayLike<number>, logX: ArrayLike<number>, logDx: Float64Array): number {
  let prevLogX = 0;
  for (let i = 0; i < logL.length; i++) {
    logDx[i] = prevLogX + log1mExp(logX[i]! - prevLogX);
    prevLogX = logX[i]!;
  }
  const terms = new Float64Array(logL.length);
  for (let i = 0; i < logL.length; i++) terms[i] = logL[i]! + logDx[i]!;
  return logSumExp(terms);
}

/**
 * The evidence, its simulated error, information and ESS from dead points in
 * death order. `simulations` ≥ 100 draws of the shrinkage factors give the error.
 */
export function computeEvidence(
  logL: Float64Array,
  logLBirth: Float64Array,
  options: { simulations?: number; seed?: number } = {},
): Evidence {
  const n = logL.length;
  const nLive = liveCounts(logL, logLBirth);
  const logX = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc -= 1 / nLive[i]!;
    logX[i] = acc;
  }
  const logDx = new Float64Array(n);
  const logZ = n === 0 ? -Infinity : logZFrom(logL, logX, logDx);
  const logWeight = new Float64Array(n);
  let information = 0;
  let sumW2 = 0;
  for (let i = 0; i < n; i++) {
    logWeight[i] = logL[i]! + logDx[i]! - logZ;
    const p = Math.exp(logWeight[i]!);
    if (p > 0) information += p * (logL[i]! - logZ);
    sumW2 += p * p;
  }
  const sims = Math.max(100, options.simulations ?? 200);
  const rng = new Random(options.seed ?? 0);
  const simLogX = new Float64Array(n);
  const draws = new Float64Array(sims);
  for (let s = 0; s < sims; s++) {
    let lx = 0;
    for (let i = 0; i < n; i++) {
      let u = rng.uniform();
      while (u <= 0) u = rng.uniform();
      lx += Math.log(u) / nLive[i]!; // log t, t ~ Beta(n, 1)
      simLogX[i] = lx;
    }
    draws[s] = n === 0 ? -Infinity : logZFrom(logL, simLogX, logDx);
  }
  let mean = 0;
  for (const v of draws) mean += v / sims;
  let varSum = 0;
  for (const v of draws) varSum += (v - mean) ** 2;
  return {
    nLive,
    logX,
    logWeight,
    logZ,
    logZErr: Math.sqrt(varSum / (sims - 1)),
    information,
    ess: sumW2 > 0 ? 1 / sumW2 : 0,
  };
}

/** Indices of n equally weighted draws by systematic resampling of log weights. */
export function equalWeightIndices(logWeight: ArrayLike<number>, n: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const out = new Int32Array(n);
  const start = rng.uniform() / n;
  let cum = 0;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const target = start + k / n;
    while (i < logWeight.length - 1 && cum + Math.exp(logWeight[i]!) < target) {
      cum += Math.exp(logWeight[i]!);
      i++;
    }
    out[k] = i;
  }
  return out;
}

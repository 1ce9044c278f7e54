/**
 * Weighted posterior moments of a run's dead points, and how far they sit
 * from exact marginals: the check behind `bench:sampler`'s posterior columns.
 */
import type { MarginalMoments } from './problems.js';

/** Each coordinate's weighted mean and sd; `logWeight` need not be normalised. */
export function weightedMoments(theta: Float64Array, logWeight: Float64Array, dim: number): MarginalMoments[] {
  let max = -Infinity;
  for (const v of logWeight) max = Math.max(max, v);
  const s1 = new Float64Array(dim);
  const s2 = new Float64Array(dim);
  let total = 0;
  for (let i = 0; i < logWeight.length; i++) {
    const w = Math.exp(logWeight[i]! - max);
    if (w === 0) continue;
    total += w;
    for (let k = 0; k < dim; k++) {
      const v = theta[i * dim + k]!;
      s1[k]! += w * v;
      s2[k]! += w * v * v;
    }
  }
  return Array.from({ length: dim }, (_, k) => {
    const mean = s1[k]! / total;
    return { mean, sd: Math.sqrt(Math.max(0, s2[k]! / total - mean * mean)) };
  });
}

/** Per coordinate: (run mean − exact mean) / exact sd, and run sd / exact sd. */
export interface MarginalDeviation {
  meanShift: number;
  sdRatio: number;
}

export function marginalDeviations(run: readonly MarginalMoments[], exact: readonly MarginalMoments[]): MarginalDeviation[] {
  if (run.length !== exact.length) throw new RangeError(`run has ${run.length} coordinates, exact ${exact.length}`);
  return run.map((r, k) => ({ meanShift: (r.mean - exact[k]!.mean) / exact[k]!.sd, sdRatio: r.sd / exact[k]!.sd }));
}

/**
 * Each deviation in standard errors of an iid sample of size `ess` (the
 * run's Kish effective sample size): a mean's is sd/√ESS, an sd's
 * sd·√((κ − 1)/4)/√ESS (κ the exact marginal's kurtosis, 3 where unknown).
 * Dead points that share a start are correlated, so for a sampler the
 * figures are a floor on the noise, not its size.
 */
export function deviationsInStandardErrors(dev: readonly MarginalDeviation[], exact: readonly MarginalMoments[], ess: number): { mean: number; sd: number }[] {
  if (dev.length !== exact.length) throw new RangeError(`dev has ${dev.length} coordinates, exact ${exact.length}`);
  if (!(ess > 0)) throw new RangeError(`ess must be positive, got ${ess}`);
  const root = Math.sqrt(ess);
  return dev.map((d, k) => ({
    mean: d.meanShift * root,
    sd: ((d.sdRatio - 1) * root) / sdErrorFactor(exact[k]!),
  }));
}

/** An sd's standard error, in sds, times √(sample size): √((κ − 1)/4), κ = 3 where unknown. */
function sdErrorFactor(m: MarginalMoments): number {
  return Math.sqrt(((m.kurtosis ?? 3) - 1) / 4);
}

/** P(|Z| < a) for Z ~ N(0, 1) (Abramowitz & Stegun 7.1.26 for erf: error below 1.5e-7). */
function twoSidedNormal(a: number): number {
  const x = Math.abs(a) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  return 1 - poly * Math.exp(-x * x);
}

/**
 * The chance that an exact sampler whose posterior has effective sample size
 * `ess` puts every coordinate's mean within `meanTolerance` exact sds and
 * its sd within a ratio `sdTolerance` of the exact (normal approximation,
 * the standard errors of {@link deviationsInStandardErrors}, coordinates
 * taken as independent). A fixed tolerance is a test of the sample size as
 * much as of the sampler: this says how much.
 */
export function chanceWithinTolerance(exact: readonly MarginalMoments[], ess: number, meanTolerance: number, sdTolerance: number): number {
  if (!(ess > 0)) throw new RangeError(`ess must be positive, got ${ess}`);
  const root = Math.sqrt(ess);
  return exact.reduce((p, m) => p * twoSidedNormal(meanTolerance * root) * twoSidedNormal((sdTolerance * root) / sdErrorFactor(m)), 1);
}

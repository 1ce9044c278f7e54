/**
 * The insertion-index test: if the new points are uniform inside the
 * contour, their ranks among the survivors' log-likelihoods are uniform.
 * All new points of an iteration share the same survivors, so their ranks
 * scatter like a two-sample test's: the KS test uses the effective size
 * m·n/(m + n).
 */
import { ksUniform } from '../ks.js';
import type { Random } from '../random.js';

/** Each new point's rank among the survivors, jittered to a uniform on (0, 1). */
export function insertionUniforms(survivorLogL: Float64Array, newLogL: Float64Array, rng: Random): number[] {
  const nSurv = survivorLogL.length;
  const sorted = Float64Array.from(survivorLogL).sort();
  const out: number[] = [];
  for (const L of newLogL) {
    let lo = 0;
    let hi = nSurv;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < L) lo = mid + 1;
      else hi = mid;
    }
    out.push((lo + rng.uniform()) / (nSurv + 1));
  }
  return out;
}

/** KS p-value of insertion uniforms of m new points among n survivors per iteration. */
export function insertionPValue(uniforms: readonly number[], m: number, nSurvivors: number): number {
  return ksUniform(uniforms, (m * nSurvivors) / (m + nSurvivors)).pValue;
}

/** KS p-value of every insertion uniform of a run that killed about mNominal of nLive points per iteration. */
export function runInsertionPValue(uniforms: readonly number[], nLive: number, mNominal: number): number {
  return ksUniform(uniforms, (uniforms.length * (nLive - mNominal)) / nLive).pValue;
}

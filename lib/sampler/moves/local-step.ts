/**
 * The local random-walk step shared by the delayed-rejection and the
 * random-walk moves: y = x + s · L · ε, ε ~ N(0, I), L the Cholesky factor
 * of the points the chain's flow was trained on, s tuned for a quarter of
 * the steps inside the contour.
 */
import type { Iteration } from '../iteration.js';

/**
 * Lower Cholesky factor (row-major dim×dim) of the sample covariance of n rows;
 * a small ridge keeps it defined when the points are few or repeated.
 */
export function covarianceCholesky(x: Float64Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]! / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const dj = x[i * dim + j]! - mean[j]!;
      for (let k = 0; k <= j; k++) cov[j * dim + k]! += (dj * (x[i * dim + k]! - mean[k]!)) / Math.max(1, n - 1);
    }
  let trace = 0;
  for (let j = 0; j < dim; j++) trace += cov[j * dim + j]!;
  const ridge = 1e-9 * Math.max(trace / dim, 1e-12) + 1e-15;
  const L = new Float64Array(dim * dim);
  for (let j = 0; j < dim; j++) {
    for (let k = 0; k <= j; k++) {
      let v = cov[j * dim + k]! + (j === k ? ridge : 0);
      for (let p = 0; p < k; p++) v -= L[j * dim + p]! * L[k * dim + p]!;
      L[j * dim + k] = j === k ? Math.sqrt(Math.max(v, ridge)) : v / L[k * dim + k]!;
    }
  }
  return L;
}

/** Per group, the factor L of the local step (computed once per iteration). */
const factors = new WeakMap<Iteration, Float64Array[]>();
function localFactor(it: Iteration, h: number): Float64Array {
  let f = factors.get(it);
  if (!f) {
    const u = it.kill.survivors.u;
    f = it.groups.map((g) => {
      const rows = g.trainedOn;
      const x = new Float64Array(rows.length * it.dim);
      for (let k = 0; k < rows.length; k++) x.set(u.subarray(rows[k]! * it.dim, (rows[k]! + 1) * it.dim), k * it.dim);
      return covarianceCholesky(x, rows.length, it.dim);
    });
    factors.set(it, f);
  }
  return f[h]!;
}

let eps = new Float64Array(0); // reused by every local proposal

/**
 * Writes chain c's local proposal from row `fromRow` of `from` into row
 * `outRow` of `out`; returns whether it lies inside the unit cube.
 */
export function localProposal(it: Iteration, c: number, from: Float64Array, fromRow: number, out: Float64Array, outRow: number): boolean {
  const dim = it.dim;
  const L = localFactor(it, it.chainGroup[c]!);
  if (eps.length !== dim) eps = new Float64Array(dim);
  for (let j = 0; j < dim; j++) eps[j] = it.rng.normal();
  let inside = true;
  for (let j = 0; j < dim; j++) {
    let v = from[fromRow * dim + j]!;
    for (let k = 0; k <= j; k++) v += it.localScale * L[j * dim + k]! * eps[k]!;
    out[outRow * dim + j] = v;
    if (!(v > 0 && v < 1)) inside = false;
  }
  return inside;
}

/**
 * Random-walk step for a quarter of the steps inside the contour: across a
 * thin region the acceptance is about width/step, so scale by acceptance/0.25.
 */
export function retuneScale(scale: number, acceptance: number, minFactor: number): number {
  const factor = Math.min(2, Math.max(minFactor, acceptance / 0.25));
  return Math.min(2, Math.max(1e-6, scale * factor));
}

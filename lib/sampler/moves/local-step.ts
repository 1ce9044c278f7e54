/**
 * The local random-walk step shared by the delayed-rejection and the
 * random-walk moves: y = x + s · L · ε, ε ~ N(0, I), L the Cholesky factor
 * of the covariance of the points the chain's flow was trained on (its
 * whitening map), s tuned for a quarter of the steps inside the contour.
 */
import type { Iteration } from '../iteration.js';
import { logStepRatio, type StepShape } from './neighbour-shapes.js';

let eps = new Float64Array(0); // reused by every local proposal

/**
 * Writes chain c's local proposal from row `fromRow` of `from` into row
 * `outRow` of `out`; returns whether it lies inside the unit cube.
 */
export function localProposal(it: Iteration, c: number, from: Float64Array, fromRow: number, out: Float64Array, outRow: number): boolean {
  drawEps(it);
  return step(it, it.groups[it.chainGroup[c]!]!.localFactor, from, fromRow, out, outRow);
}

/**
 * Chain c's step shaped where it stands (row `fromRow` of `from`, shape
 * `shapeX`): y = x + s · L_x · ε into row `outRow` of `out`. Returns y's
 * shape when y lies in the cube and passes the Metropolis–Hastings test of
 * the shaped proposal (so it is worth a likelihood call), else undefined.
 */
export function shapedProposal(it: Iteration, c: number, from: Float64Array, fromRow: number, shapeX: StepShape, out: Float64Array, outRow: number): StepShape | undefined {
  const epsSquared = drawEps(it);
  if (!step(it, shapeX.chol, from, fromRow, out, outRow)) return undefined;
  const shapeY = it.groups[it.chainGroup[c]!]!.neighbours!.at(out, outRow);
  const logRatio = logStepRatio(from, fromRow, out, outRow, it.dim, shapeX, shapeY, it.localScale, epsSquared);
  return logRatio >= 0 || it.rng.uniform() < Math.exp(logRatio) ? shapeY : undefined;
}

/** Draws ε ~ N(0, I); returns |ε|². */
function drawEps(it: Iteration): number {
  const dim = it.dim;
  if (eps.length !== dim) eps = new Float64Array(dim);
  let squared = 0;
  for (let j = 0; j < dim; j++) {
    eps[j] = it.rng.normal();
    squared += eps[j]! * eps[j]!;
  }
  return squared;
}

/** out = from + s · L · ε (L lower-triangular); whether it lies inside the unit cube. */
function step(it: Iteration, L: Float64Array, from: Float64Array, fromRow: number, out: Float64Array, outRow: number): boolean {
  const dim = it.dim;
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

/**
 * Walk steps shaped by the nearest neighbours. One step shape per flow is
 * too wide across a thin, curved region and too short along it; here the
 * step from x is y = x + s · L_x · ε, C_x = L_x L_xᵀ the covariance of the
 * k reference points nearest x, shrunk toward the flow's global covariance
 * so it never degenerates. The proposal then depends on where the chain
 * stands, so a step is kept only with the Metropolis–Hastings ratio
 * N(x; y, s²C_y) / N(y; x, s²C_x), which keeps the uniform law on the
 * contour invariant whatever the reference points are, as long as they stay
 * fixed during the walk and do not depend on the chain's start.
 */

/** The step shape at one point: C = chol · cholᵀ, halfLogDet = ½ log det C. */
export interface StepShape {
  chol: Float64Array;
  halfLogDet: number;
}

/** Weight of the global covariance in each local one: keeps C positive definite when the neighbours lie on a line. */
export const GLOBAL_SHRINKAGE = 0.05;

export class NeighbourShapes {
  readonly dim: number;
  readonly k: number;
  readonly #u: Float64Array;
  readonly #white: Float64Array;
  readonly #n: number;
  readonly #globalCov: Float64Array;
  readonly #globalShape: StepShape;
  readonly #globalChol: Float64Array;
  readonly #dist: Float64Array;
  readonly #index: Int32Array;
  readonly #w: Float64Array;
  readonly #mean: Float64Array;
  readonly #cov: Float64Array;

  /**
   * `reference`: n rows of dim in the unit cube; `globalChol`: the lower
   * Cholesky factor (row-major) of their covariance, which also whitens the
   * distances (neighbours by Mahalanobis distance, so the units of the
   * coordinates do not matter). k is capped at n.
   */
  constructor(reference: Float64Array, dim: number, k: number, globalChol: Float64Array) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${dim}`);
    if (reference.length % dim !== 0) throw new RangeError(`reference has ${reference.length} values, not rows of dim ${dim}`);
    if (globalChol.length !== dim * dim) throw new RangeError(`globalChol must hold dim² = ${dim * dim} values, got ${globalChol.length}`);
    if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer ≥ 2, got ${k}`);
    this.dim = dim;
    this.#n = reference.length / dim;
    this.k = Math.min(k, this.#n);
    this.#u = reference;
    this.#globalChol = globalChol;
    this.#globalCov = lowerTimesTranspose(globalChol, dim);
    this.#globalShape = { chol: globalChol, halfLogDet: halfLogDet(globalChol, dim) };
    this.#white = new Float64Array(reference.length);
    for (let i = 0; i < this.#n; i++) forwardSolve(globalChol, dim, reference, i * dim, this.#white, i * dim);
    this.#dist = new Float64Array(this.#n);
    this.#index = new Int32Array(this.#n);
    this.#w = new Float64Array(dim);
    this.#mean = new Float64Array(dim);
    this.#cov = new Float64Array(dim * dim);
  }

  /** The step shape at row `row` of `x`. */
  at(x: Float64Array, row: number): StepShape {
    const { dim, k } = this;
    const n = this.#n;
    if (k < 2) return this.#globalShape;
    const w = this.#w;
    forwardSolve(this.#globalChol, dim, x, row * dim, w, 0);
    for (let i = 0; i < n; i++) {
      let d2 = 0;
      for (let j = 0; j < dim; j++) {
        const t = this.#white[i * dim + j]! - w[j]!;
        d2 += t * t;
      }
      this.#dist[i] = d2;
      this.#index[i] = i;
    }
    selectSmallest(this.#dist, this.#index, k);
    const cov = this.#neighbourCovariance(k);
    for (let j = 0; j < dim * dim; j++) cov[j] = (1 - GLOBAL_SHRINKAGE) * cov[j]! + GLOBAL_SHRINKAGE * this.#globalCov[j]!;
    const chol = cholesky(cov, dim);
    if (chol === undefined) return this.#globalShape;
    return { chol, halfLogDet: halfLogDet(chol, dim) };
  }

  /** Sample covariance of the reference rows in the first k entries of #index (into a buffer reused by the next call). */
  #neighbourCovariance(k: number): Float64Array {
    const dim = this.dim;
    const u = this.#u;
    const mean = this.#mean.fill(0);
    for (let a = 0; a < k; a++) for (let j = 0; j < dim; j++) mean[j] = mean[j]! + u[this.#index[a]! * dim + j]!;
    for (let j = 0; j < dim; j++) mean[j] = mean[j]! / k;
    const cov = this.#cov.fill(0);
    for (let a = 0; a < k; a++) {
      const r = this.#index[a]! * dim;
      for (let i = 0; i < dim; i++) {
        const di = u[r + i]! - mean[i]!;
        for (let j = 0; j <= i; j++) cov[i * dim + j] = cov[i * dim + j]! + di * (u[r + j]! - mean[j]!);
      }
    }
    for (let i = 0; i < dim; i++)
      for (let j = 0; j <= i; j++) {
        cov[i * dim + j] = cov[i * dim + j]! / (k - 1);
        cov[j * dim + i] = cov[i * dim + j]!;
      }
    return cov;
  }
}

let diff = new Float64Array(0); // reused by every ratio
let back = new Float64Array(0);

/**
 * log N(x; y, s²C_y) − log N(y; x, s²C_x) for y = x + s · L_x · ε, given
 * |ε|²: the log Metropolis–Hastings ratio of the shaped step (the uniform
 * target cancels inside the contour).
 */
export function logStepRatio(x: Float64Array, xRow: number, y: Float64Array, yRow: number, dim: number, shapeX: StepShape, shapeY: StepShape, scale: number, epsSquared: number): number {
  if (diff.length !== dim) {
    diff = new Float64Array(dim);
    back = new Float64Array(dim);
  }
  for (let j = 0; j < dim; j++) diff[j] = (x[xRow * dim + j]! - y[yRow * dim + j]!) / scale;
  forwardSolve(shapeY.chol, dim, diff, 0, back, 0);
  let backSquared = 0;
  for (let j = 0; j < dim; j++) backSquared += back[j]! * back[j]!;
  return shapeX.halfLogDet - shapeY.halfLogDet + 0.5 * (epsSquared - backSquared);
}

/** Solves L · out = b for lower-triangular L (row-major), b = row `bOff` of `b`. */
function forwardSolve(L: Float64Array, dim: number, b: Float64Array, bOff: number, out: Float64Array, outOff: number): void {
  for (let i = 0; i < dim; i++) {
    let v = b[bOff + i]!;
    for (let j = 0; j < i; j++) v -= L[i * dim + j]! * out[outOff + j]!;
    out[outOff + i] = v / L[i * dim + i]!;
  }
}

function lowerTimesTranspose(L: Float64Array, dim: number): Float64Array {
  const out = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j <= i; j++) {
      let v = 0;
      for (let m = 0; m <= j; m++) v += L[i * dim + m]! * L[j * dim + m]!;
      out[i * dim + j] = v;
      out[j * dim + i] = v;
    }
  return out;
}

/** Lower Cholesky factor of a symmetric matrix, or undefined where it is not positive definite. */
export function cholesky(a: Float64Array, dim: number): Float64Array | undefined {
  const L = new Float64Array(dim * dim);
  for (let i = 0; i < dim; i++)
    for (let j = 0; j <= i; j++) {
      let v = a[i * dim + j]!;
      for (let m = 0; m < j; m++) v -= L[i * dim + m]! * L[j * dim + m]!;
      if (i === j) {
        if (!(v > 0)) return undefined;
        L[i * dim + i] = Math.sqrt(v);
      } else L[i * dim + j] = v / L[j * dim + j]!;
    }
  return L;
}

function halfLogDet(L: Float64Array, dim: number): number {
  let s = 0;
  for (let i = 0; i < dim; i++) s += Math.log(L[i * dim + i]!);
  return s;
}

/** Reorders `index` so that its first k entries are those with the k smallest `value`s (quickselect). */
function selectSmallest(value: Float64Array, index: Int32Array, k: number): void {
  let lo = 0;
  let hi = index.length - 1;
  while (lo < hi) {
    const pivot = value[index[(lo + hi) >> 1]!]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (value[index[i]!]! < pivot) i++;
      while (value[index[j]!]! > pivot) j--;
      if (i <= j) {
        const t = index[i]!;
        index[i] = index[j]!;
        index[j] = t;
        i++;
        j--;
      }
    }
    if (k - 1 <= j) hi = j;
    else if (k - 1 >= i) lo = i;
    else return;
  }
}

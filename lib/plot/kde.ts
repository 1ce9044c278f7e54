/**
 * Weighted Gaussian kernel density estimates on a grid, for marginal
 * posteriors from nested-sampling weights, and the density levels that
 * enclose given probability masses (highest-density credible regions).
 */

/** Kish effective sample size of weights. */
export function effectiveSize(w: ArrayLike<number>): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < w.length; i++) {
    s += w[i]!;
    s2 += w[i]! * w[i]!;
  }
  return s2 > 0 ? (s * s) / s2 : 0;
}

function weightedMoments(x: ArrayLike<number>, w: ArrayLike<number>): { mean: number; sd: number } {
  let s = 0;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    s += w[i]!;
    m += w[i]! * x[i]!;
  }
  m /= s;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += w[i]! * (x[i]! - m) ** 2;
  return { mean: m, sd: Math.sqrt(v / s) };
}

/** Weighted quantile (weights need not be normalised). */
export function weightedQuantile(x: ArrayLike<number>, w: ArrayLike<number>, q: number): number {
  const idx = Array.from({ length: x.length }, (_, i) => i).filter((i) => w[i]! > 0).sort((a, b) => x[a]! - x[b]!);
  let total = 0;
  for (const i of idx) total += w[i]!;
  let acc = 0;
  for (const i of idx) {
    acc += w[i]!;
    if (acc >= q * total) return x[i]!;
  }
  return x[idx[idx.length - 1]!]!;
}

/** Scott's rule with the effective sample size: σ n_eff^(−1/(d+4)). */
export function scottBandwidth(sd: number, nEff: number, d: number): number {
  return sd * Math.pow(Math.max(nEff, 2), -1 / (d + 4));
}

/** Plot range of one parameter: the 0.1–99.9% weighted quantiles padded by a kernel width, clipped to known bounds. */
export function plotRange(x: ArrayLike<number>, w: ArrayLike<number>, bounds?: [number, number]): [number, number] {
  const { sd } = weightedMoments(x, w);
  const h = scottBandwidth(sd, effectiveSize(w), 1);
  let lo = weightedQuantile(x, w, 0.001) - 2 * h;
  let hi = weightedQuantile(x, w, 0.999) + 2 * h;
  if (bounds) {
    lo = Math.max(lo, bounds[0]);
    hi = Math.min(hi, bounds[1]);
  }
  if (!(hi > lo)) {
    const c = 0.5 * (lo + hi);
    const half = Math.abs(c) > 0 ? Math.abs(c) * 1e-3 : 1e-3;
    return [c - half, c + half];
  }
  return [lo, hi];
}

export interface Density1D {
  x: Float64Array;
  density: Float64Array;
}

/** Weighted 1-D Gaussian KDE on `n` points over [lo, hi], normalised to unit area on the grid. */
export function kde1d(x: ArrayLike<number>, w: ArrayLike<number>, range: [number, number], n = 200): Density1D {
  const { sd } = weightedMoments(x, w);
  const h = Math.max(scottBandwidth(sd, effectiveSize(w), 1), (range[1] - range[0]) / (4 * n));
  const grid = Float64Array.from({ length: n }, (_, i) => range[0] + ((range[1] - range[0]) * i) / (n - 1));
  const density = new Float64Array(n);
  for (let k = 0; k < x.length; k++) {
    if (!(w[k]! > 0)) continue;
    for (let i = 0; i < n; i++) {
      const z = (grid[i]! - x[k]!) / h;
      if (z * z < 50) density[i]! += w[k]! * Math.exp(-0.5 * z * z);
    }
  }
  normalise(density, (range[1] - range[0]) / (n - 1));
  return { x: grid, density };
}

export interface Density2D {
  /** Cell centres along each axis. */
  x: Float64Array;
  y: Float64Array;
  /** Row-major [ny × nx]: values[j·nx + i] at (x[i], y[j]). */
  values: Float64Array;
  nx: number;
  ny: number;
}

/**
 * Weighted 2-D Gaussian KDE with a full bandwidth matrix (Scott's rule on the
 * weighted covariance times bandwidthFactor², so correlated posteriors are
 * not smeared across), normalised so that the cell masses sum to one.
 */
export function kde2d(x: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number>, xRange: [number, number], yRange: [number, number], n = 80, bandwidthFactor = 0.6): Density2D {
  let s = 0;
  let mx = 0;
  let my = 0;
  for (let k = 0; k < x.length; k++) {
    s += w[k]!;
    mx += w[k]! * x[k]!;
    my += w[k]! * y[k]!;
  }
  mx /= s;
  my /= s;
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (let k = 0; k < x.length; k++) {
    const dx = x[k]! - mx;
    const dy = y[k]! - my;
    cxx += w[k]! * dx * dx;
    cyy += w[k]! * dy * dy;
    cxy += w[k]! * dx * dy;
  }
  // Scott's rule n^(−1/(d+4)), d = 2, squared; narrowed by bandwidthFactor
  // because it is tuned for Gaussians and smears curved (banana) posteriors.
  const f2 = Math.pow(Math.max(effectiveSize(w), 2), -2 / 6) * bandwidthFactor * bandwidthFactor;
  const gx = (xRange[1] - xRange[0]) / n;
  const gy = (yRange[1] - yRange[0]) / n;
  // Bandwidth covariance, floored at a grid cell so a very narrow posterior still spans cells.
  let hxx = Math.max((cxx / s) * f2, gx * gx);
  let hyy = Math.max((cyy / s) * f2, gy * gy);
  let hxy = (cxy / s) * f2;
  const maxCorr = 0.98 * Math.sqrt(hxx * hyy);
  hxy = Math.max(-maxCorr, Math.min(maxCorr, hxy));
  const det = hxx * hyy - hxy * hxy;
  const ixx = hyy / det;
  const iyy = hxx / det;
  const ixy = -hxy / det;
  [hxx, hyy] = [Math.sqrt(hxx), Math.sqrt(hyy)];
  const xs = Float64Array.from({ length: n }, (_, i) => xRange[0] + (i + 0.5) * gx);
  const ys = Float64Array.from({ length: n }, (_, j) => yRange[0] + (j + 0.5) * gy);
  const values = new Float64Array(n * n);
  // Only cells within 5 kernel widths of a point are touched.
  const reachX = Math.ceil((5 * hxx) / gx);
  const reachY = Math.ceil((5 * hyy) / gy);
  for (let k = 0; k < x.length; k++) {
    const wk = w[k]!;
    if (!(wk > 0)) continue;
    const ci = Math.floor((x[k]! - xRange[0]) / gx);
    const cj = Math.floor((y[k]! - yRange[0]) / gy);
    for (let j = Math.max(0, cj - reachY); j <= Math.min(n - 1, cj + reachY); j++) {
      const dy = ys[j]! - y[k]!;
      for (let i = Math.max(0, ci - reachX); i <= Math.min(n - 1, ci + reachX); i++) {
        const dx = xs[i]! - x[k]!;
        const q = ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy;
        if (q < 50) values[j * n + i]! += wk * Math.exp(-0.5 * q);
      }
    }
  }
  normalise(values, 1);
  return { x: xs, y: ys, values, nx: n, ny: n };
}

function normalise(values: Float64Array, cell: number): void {
  let s = 0;
  for (const v of values) s += v;
  if (s > 0) for (let i = 0; i < values.length; i++) values[i]! /= s * cell;
}

/**
 * Density levels whose superlevel sets hold the given masses of the grid's
 * total (e.g. [0.68, 0.95] → the 68% and 95% highest-density contours), in
 * the order given.
 */
export function credibleLevels(values: Float64Array, masses: number[]): number[] {
  const sorted = Float64Array.from(values).sort().reverse();
  let total = 0;
  for (const v of sorted) total += v;
  return masses.map((p) => {
    let acc = 0;
    for (const v of sorted) {
      acc += v;
      if (acc >= p * total) return v;
    }
    return sorted[sorted.length - 1]!;
  });
}

/**
 * The 2-D bandwidth factor (on Scott's rule with the weighted covariance)
 * that best predicts each point from the others: leave-one-out likelihood
 * cross-validation on `sample`, equal-weight draws of the posterior given as
 * indices into x and y (repeated indices are the same point and never
 * predict each other). Broad, Gaussian posteriors choose a wide kernel
 * (smooth contours); thin curved ones a narrow one (not smeared across).
 */
export function crossValidatedFactor(x: ArrayLike<number>, y: ArrayLike<number>, sample: ArrayLike<number>, candidates: readonly number[] = [0.35, 0.5, 0.7, 1, 1.4]): number {
  const m = sample.length;
  if (m < 10) return candidates[candidates.length - 1]!;
  let mx = 0;
  let my = 0;
  for (let a = 0; a < m; a++) {
    mx += x[sample[a]!]!;
    my += y[sample[a]!]!;
  }
  mx /= m;
  my /= m;
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (let a = 0; a < m; a++) {
    const dx = x[sample[a]!]! - mx;
    const dy = y[sample[a]!]! - my;
    cxx += dx * dx;
    cyy += dy * dy;
    cxy += dx * dy;
  }
  [cxx, cyy, cxy] = [cxx / m, cyy / m, cxy / m];
  if (!(cxx > 0 && cyy > 0)) return candidates[candidates.length - 1]!;
  const corr = Math.max(-0.98, Math.min(0.98, cxy / Math.sqrt(cxx * cyy)));
  cxy = corr * Math.sqrt(cxx * cyy);
  let best = candidates[0]!;
  let bestScore = -Infinity;
  for (const f of candidates) {
    const f2 = Math.pow(m, -2 / 6) * f * f;
    const [hxx, hyy, hxy] = [cxx * f2, cyy * f2, cxy * f2];
    const det = hxx * hyy - hxy * hxy;
    const [ixx, iyy, ixy] = [hyy / det, hxx / det, -hxy / det];
    let score = 0;
    for (let a = 0; a < m; a++) {
      const ia = sample[a]!;
      let sum = 0;
      let others = 0;
      for (let b = 0; b < m; b++) {
        const ib = sample[b]!;
        if (ib === ia) continue;
        others++;
        const dx = x[ia]! - x[ib]!;
        const dy = y[ia]! - y[ib]!;
        sum += Math.exp(-0.5 * (ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy));
      }
      score += Math.log(Math.max(sum / Math.max(others, 1), 1e-300) / (2 * Math.PI * Math.sqrt(det)));
    }
    if (score > bestScore) [best, bestScore] = [f, score];
  }
  return best;
}

/**
 * The benchmark problems of docs/problems.md, built in (the CLI, tests and bench
 * share them), with their reference log Z.
 */
import { priors, type Prior } from './priors.js';

/** A built-in problem: a batched likelihood, its prior and the exact log Z. */
export interface Problem {
  name: string;
  dim: number;
  prior: Prior;
  logLikelihood: (theta: Float64Array, n: number) => Float64Array;
  /** Reference log Z (NaN where none is known). */
  logZ: number;
  /** Exact posterior mean and sd of every coordinate, where known (computed on first use). */
  marginals?: () => MarginalMoments[];
}

const box = (d: number, lo: number, hi: number): Prior => priors.uniform(Array(d).fill(lo), Array(d).fill(hi));

function checkDim(problem: string, d: number, min: number): void {
  if (!Number.isInteger(d) || d < min) throw new RangeError(`${problem} needs an integer dim ≥ ${min}, got ${d}`);
}

export function gaussian(d: number): Problem {
  checkDim('gaussian', d, 1);
  const s = 0.1;
  const norm = (-d / 2) * Math.log(2 * Math.PI * s * s);
  return {
    name: `gaussian-${d}d`,
    dim: d,
    prior: box(d, -5, 5),
    logZ: -d * Math.log(10),
    marginals: () => Array.from({ length: d }, () => ({ mean: 0, sd: s, kurtosis: 3 })),
    logLikelihood(theta, n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let r = 0;
        for (let j = 0; j < d; j++) r += theta[i * d + j]! ** 2;
        out[i] = norm - r / (2 * s * s);
      }
      return out;
    },
  };
}

/**
 * log Z of Rosenbrock on [−5, 5]^d with a uniform prior. The integrand is a
 * chain, exp(−Σ f(x_j, x_{j+1})), so Z is d − 1 applications of a transfer
 * kernel to a vector on a grid (trapezoid rule, whose error is O(h²) because
 * the box truncates the integrand), Richardson-extrapolated from `points` and
 * 2·points − 1 nodes: |error| ≈ 1e-10 at the default 4001 (docs/problems.md's
 * d = 2 and 4 values are reproduced to 1e-9). Cost O(d·points²).
 */
export function rosenbrockLogZ(d: number, points = 4001): number {
  if (!Number.isInteger(d) || d < 2) throw new RangeError(`d must be an integer ≥ 2, got ${d}`);
  if (!Number.isInteger(points) || points < 11) throw new RangeError(`points must be an integer ≥ 11, got ${points}`);
  return (4 * rosenbrockTrapezoid(d, 2 * points - 1) - rosenbrockTrapezoid(d, points)) / 3;
}

/** The trapezoid grid on [−5, 5] with n nodes, and its weights. */
function trapezoidGrid(n: number): { x: Float64Array; weight: Float64Array } {
  const h = 10 / (n - 1);
  const x = Float64Array.from({ length: n }, (_, i) => -5 + i * h);
  const weight = new Float64Array(n).fill(h);
  weight[0] = weight[n - 1] = h / 2;
  return { x, weight };
}

/**
 * One application of K(a, b) = exp(−(1 − a)² − 100 (b − a²)²) to a message
 * on the grid: forward (integrating over a) or backward (over b). The result
 * is rescaled to max 1, so long chains cannot underflow; returns that max.
 */
function transferStep(v: Float64Array, x: Float64Array, weight: Float64Array, forward: boolean): { out: Float64Array; max: number } {
  const n = x.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    const a2 = a * a;
    const edge = Math.exp(-(1 - a) * (1 - a));
    if (forward) {
      const c = v[i]! * weight[i]! * edge;
      if (c === 0) continue;
      for (let j = 0; j < n; j++) {
        const t = x[j]! - a2;
        const e = 100 * t * t;
        if (e < 745) out[j]! += c * Math.exp(-e);
      }
    } else {
      let sum = 0;
      for (let j = 0; j < n; j++) {
        const t = x[j]! - a2;
        const e = 100 * t * t;
        if (e < 745) sum += Math.exp(-e) * weight[j]! * v[j]!;
      }
      out[i] = edge * sum;
    }
  }
  let max = 0;
  for (const y of out) max = Math.max(max, y);
  for (let j = 0; j < n; j++) out[j]! /= max;
  return { out, max };
}

/** log Z by the transfer kernel on an n-node trapezoid grid (no extrapolation). */
export function rosenbrockTrapezoid(d: number, n: number): number {
  const { x, weight } = trapezoidGrid(n);
  let v: Float64Array = new Float64Array(n).fill(1);
  let logScale = 0;
  for (let step = 0; step < d - 1; step++) {
    const next = transferStep(v, x, weight, true);
    logScale += Math.log(next.max);
    v = next.out;
  }
  let s = 0;
  for (let j = 0; j < n; j++) s += v[j]! * weight[j]!;
  return Math.log(s) + logScale - d * Math.log(10);
}

/** One coordinate's posterior marginal: its mean and standard deviation (and kurtosis, where known, which sizes the sd's sampling error). */
export interface MarginalMoments {
  mean: number;
  sd: number;
  kurtosis?: number;
}

/**
 * Rosenbrock's exact posterior marginals on [−5, 5]^d: the posterior is a
 * chain, p(x) ∝ Π K(x_j, x_{j+1}), so coordinate k's marginal is the product
 * of the forward message (the kernel applied k − 1 times from the left) and
 * the backward one (d − k times from the right), on an n-node trapezoid grid.
 * Returns each coordinate's mean, sd and kurtosis (n = 2001: within 1e-7
 * of n = 4001).
 */
export function rosenbrockMarginals(d: number, points = 2001): MarginalMoments[] {
  if (!Number.isInteger(d) || d < 2) throw new RangeError(`d must be an integer ≥ 2, got ${d}`);
  if (!Number.isInteger(points) || points < 11) throw new RangeError(`points must be an integer ≥ 11, got ${points}`);
  const n = points;
  const { x, weight } = trapezoidGrid(n);
  const step = (v: Float64Array, forward: boolean): Float64Array => transferStep(v, x, weight, forward).out;
  const fwd: Float64Array[] = [new Float64Array(n).fill(1)];
  for (let k = 1; k < d; k++) fwd.push(step(fwd[k - 1]!, true));
  const bwd: Float64Array[] = new Array<Float64Array>(d);
  bwd[d - 1] = new Float64Array(n).fill(1);
  for (let k = d - 2; k >= 0; k--) bwd[k] = step(bwd[k + 1]!, false);
  return fwd.map((f, k) => {
    const p = Float64Array.from(f, (v, j) => v * bwd[k]![j]! * weight[j]!);
    const total = p.reduce((a, v) => a + v, 0);
    const moment = (fn: (v: number) => number): number => p.reduce((a, v, j) => a + v * fn(x[j]!), 0) / total;
    const mean = moment((v) => v);
    const variance = moment((v) => (v - mean) ** 2);
    return { mean, sd: Math.sqrt(variance), kurtosis: moment((v) => (v - mean) ** 4) / variance ** 2 };
  });
}

/** docs/problems.md's values (computed there independently); other d by {@link rosenbrockLogZ}. */
const ROSENBROCK_LOGZ: Record<number, number> = { 2: -5.8041323638, 4: -15.1016907279 };
const rosenbrockCache = new Map<number, number>();
const rosenbrockMarginalsCache = new Map<number, MarginalMoments[]>();

export function rosenbrock(d: number): Problem {
  checkDim('rosenbrock', d, 2);
  return {
    name: `rosenbrock-${d}d`,
    dim: d,
    prior: box(d, -5, 5),
    get logZ(): number {
      let v = ROSENBROCK_LOGZ[d] ?? rosenbrockCache.get(d);
      if (v === undefined) {
        v = rosenbrockLogZ(d);
        rosenbrockCache.set(d, v);
      }
      return v;
    },
    marginals: () => {
      let m = rosenbrockMarginalsCache.get(d);
      if (m === undefined) {
        m = rosenbrockMarginals(d);
        rosenbrockMarginalsCache.set(d, m);
      }
      return m;
    },
    logLikelihood(theta, n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let r = 0;
        for (let j = 0; j + 1 < d; j++) {
          const a = theta[i * d + j]!;
          const b = theta[i * d + j + 1]!;
          r += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
        }
        out[i] = -r;
      }
      return out;
    },
  };
}

export function shells(): Problem {
  const r = 2;
  const w = 0.1;
  const c = [[-3.5, 0], [3.5, 0]];
  const norm = -0.5 * Math.log(2 * Math.PI * w * w);
  return {
    name: 'shells-2d',
    dim: 2,
    prior: box(2, -6, 6),
    logZ: -1.745641885,
    logLikelihood(theta, n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const x = theta[2 * i]!;
        const y = theta[2 * i + 1]!;
        const terms = c.map(([cx, cy]) => norm - (Math.hypot(x - cx!, y - cy!) - r) ** 2 / (2 * w * w));
        const m = Math.max(...terms);
        out[i] = m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
      }
      return out;
    },
  };
}

export function eggbox(): Problem {
  return {
    name: 'eggbox-2d',
    dim: 2,
    prior: box(2, 0, 10 * Math.PI),
    logZ: 235.8559403,
    logLikelihood(theta, n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = (2 + Math.cos(theta[2 * i]! / 2) * Math.cos(theta[2 * i + 1]! / 2)) ** 5;
      return out;
    },
  };
}

/**
 * An equal-weight mixture of two narrow Gaussians (σ = 0.1) at x0 = ±2 on
 * [−5, 5]^d: two well separated modes; both lie far inside the box, so
 * log Z = −d·ln 10.
 */
export function mixture(d: number): Problem {
  checkDim('mixture', d, 1);
  const s = 0.1;
  const norm = (-d / 2) * Math.log(2 * Math.PI * s * s) + Math.log(0.5);
  return {
    name: `mixture-${d}d`,
    dim: d,
    prior: box(d, -5, 5),
    logZ: -d * Math.log(10),
    logLikelihood(theta, n) {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let rest = 0;
        for (let j = 1; j < d; j++) rest += theta[i * d + j]! ** 2;
        const x = theta[i * d]!;
        const a = -((x - 2) ** 2 + rest) / (2 * s * s);
        const b = -((x + 2) ** 2 + rest) / (2 * s * s);
        const m = Math.max(a, b);
        out[i] = norm + m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      }
      return out;
    },
  };
}

/** The built-in problems by name (`dim` ignored by the fixed 2-D ones). */
export const BUILTIN_PROBLEMS = {
  gaussian: (d: number) => gaussian(d),
  rosenbrock: (d: number) => rosenbrock(d),
  mixture: (d: number) => mixture(d),
  shells: () => shells(),
  eggbox: () => eggbox(),
} as const;
export type BuiltinProblemName = keyof typeof BUILTIN_PROBLEMS;

/** docs/problems.md's match rule. */
export function matches(logZ: number, logZErr: number, ref: number): boolean {
  return Math.abs(logZ - ref) <= Math.max(3 * logZErr, 0.15);
}

/** The benchmark problems of PROBLEMS.md (shared by tests and bench). */
import { priors, type Prior } from '../lib/index.js';

export interface Problem {
  name: string;
  dim: number;
  prior: Prior;
  logLikelihood: (theta: Float64Array, n: number) => Float64Array;
  /** Reference log Z (NaN where PROBLEMS.md gives none). */
  logZ: number;
}

const box = (d: number, lo: number, hi: number): Prior => priors.uniform(Array(d).fill(lo), Array(d).fill(hi));

export function gaussian(d: number): Problem {
  const s = 0.1;
  const norm = (-d / 2) * Math.log(2 * Math.PI * s * s);
  return {
    name: `gaussian-${d}d`,
    dim: d,
    prior: box(d, -5, 5),
    logZ: -d * Math.log(10),
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

const ROSENBROCK_LOGZ: Record<number, number> = { 2: -5.8041323638, 4: -15.1016907279 };

export function rosenbrock(d: number): Problem {
  return {
    name: `rosenbrock-${d}d`,
    dim: d,
    prior: box(d, -5, 5),
    logZ: ROSENBROCK_LOGZ[d] ?? NaN,
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

/** PROBLEMS.md's match rule. */
export function matches(logZ: number, logZErr: number, ref: number): boolean {
  return Math.abs(logZ - ref) <= Math.max(3 * logZErr, 0.15);
}

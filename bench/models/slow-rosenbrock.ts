// Rosenbrock 4-D with a busy loop of NESTFLOW_COST_MS (default 5) per point:
// an expensive likelihood for bench/workers.ts.
import { priors } from '../../lib/priors.js';
import { rosenbrock } from '../../lib/problems.js';

const dim = Number(process.env.NESTFLOW_DIM ?? 4);
const costMs = Number(process.env.NESTFLOW_COST_MS ?? 5);
const p = rosenbrock(dim);
export const prior = priors.uniform(Array<number>(dim).fill(-5), Array<number>(dim).fill(5));

export function logLikelihood(theta: Float64Array, n: number): Float64Array {
  for (let i = 0; i < n; i++) {
    const until = performance.now() + costMs;
    while (performance.now() < until);
  }
  return p.logLikelihood(theta, n);
}

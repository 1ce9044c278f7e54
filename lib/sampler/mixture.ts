/**
 * The proposal density: a mixture of the flow q and a tempered copy q_τ of
 * it (latent z ~ N(0, τ² I)), which covers what a fold's flow leaves out.
 * Draws come with their weights w = 1/Q.
 */
import type { Flow } from '../flow.js';
import type { Random } from '../random.js';

/** |z|² of row `row` of a row-major [n × dim] array. */
export function sumSquares(z: Float64Array, row: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += z[row * dim + j]! ** 2;
  return s;
}

/**
 * log w = −log Q for Q = (1 − ε) q + ε q_τ, where q_τ is the flow with its
 * latent drawn from N(0, τ² I): q_τ(x) = q(x) · N(z; 0, τ²) / N(z; 0, 1).
 */
export function mixtureLogW(logQ: Float64Array, z: Float64Array, dim: number, tau: number, epsilon: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(logQ.length);
  const a = Math.log1p(-epsilon);
  const b = Math.log(epsilon) - dim * Math.log(tau);
  const c = 0.5 * (1 - 1 / (tau * tau));
  for (let i = 0; i < logQ.length; i++) {
    const t = b + c * sumSquares(z, i, dim);
    const m = Math.max(a, t);
    out[i] = -(logQ[i]! + m + Math.log(Math.exp(a - m) + Math.exp(t - m)));
  }
  return out;
}

/** n iid draws from the mixture with weight ε on q_τ, and their log w. */
export async function drawMixture(flow: Flow, tau: number, epsilon: number, n: number, rng: Random): Promise<{ x: Float64Array; logW: Float64Array }> {
  const dim = flow.dim;
  let nTempered = 0;
  for (let i = 0; i < n; i++) if (rng.uniform() < epsilon) nTempered++;
  const x = new Float64Array(n * dim);
  const logProb = new Float64Array(n);
  const z = new Float64Array(n * dim);
  const parts = [
    { count: n - nTempered, scale: 1 },
    { count: nTempered, scale: tau },
  ];
  let row = 0;
  for (const part of parts) {
    if (part.count === 0) continue;
    const d = await flow.sample(part.count, part.scale === 1 ? undefined : { baseScale: part.scale });
    x.set(d.x, row * dim);
    z.set(d.z, row * dim);
    logProb.set(d.logProb, row);
    row += part.count;
  }
  // Shuffled, the stream is an iid draw from the mixture.
  const perm = rng.permutation(n);
  const xs = new Float64Array(n * dim);
  const zs = new Float64Array(n * dim);
  const lp = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = perm[i]!;
    xs.set(x.subarray(k * dim, (k + 1) * dim), i * dim);
    zs.set(z.subarray(k * dim, (k + 1) * dim), i * dim);
    lp[i] = logProb[k]!;
  }
  return { x: xs, logW: mixtureLogW(lp, zs, dim, tau, epsilon) };
}

/** Whether row `row` of a row-major array lies inside the open unit cube. */
export function insideCube(x: Float64Array, row: number, dim: number): boolean {
  let inside = true;
  for (let j = 0; j < dim; j++) {
    const v = x[row * dim + j]!;
    if (!(v > 0 && v < 1)) inside = false;
  }
  return inside;
}

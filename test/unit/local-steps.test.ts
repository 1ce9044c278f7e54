import { describe, expect, it } from 'vitest';
import { covarianceCholesky } from '../../lib/sampler/moves/local-step.js';
import { Random } from '../../lib/random.js';

describe('covarianceCholesky (the random-walk proposal of stuck chains)', () => {
  it('L·Lᵀ is the sample covariance', () => {
    const rng = new Random(4);
    const n = 400;
    const dim = 3;
    const x = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) {
      const a = rng.normal();
      const b = rng.normal();
      const c = rng.normal();
      x[i * dim] = 0.5 + 0.1 * a;
      x[i * dim + 1] = 0.2 + 0.05 * a + 0.02 * b;
      x[i * dim + 2] = 0.3 * c - 0.1 * b;
    }
    const L = covarianceCholesky(x, n, dim);
    const mean = [0, 1, 2].map((j) => Array.from({ length: n }, (_, i) => x[i * dim + j]!).reduce((s, v) => s + v, 0) / n);
    for (let j = 0; j < dim; j++)
      for (let k = 0; k < dim; k++) {
        let cov = 0;
        for (let i = 0; i < n; i++) cov += (x[i * dim + j]! - mean[j]!) * (x[i * dim + k]! - mean[k]!);
        cov /= n - 1;
        let llt = 0;
        for (let p = 0; p < dim; p++) llt += L[j * dim + p]! * L[k * dim + p]!;
        expect(llt).toBeCloseTo(cov, 8);
        if (k > j) expect(L[j * dim + k]).toBe(0);
      }
  });

  it('stays finite when all points coincide', () => {
    const x = new Float64Array(10 * 2).fill(0.3);
    const L = covarianceCholesky(x, 10, 2);
    for (const v of L) expect(Number.isFinite(v)).toBe(true);
    expect(L[0]).toBeGreaterThan(0);
  });
});

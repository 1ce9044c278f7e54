import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/flow.js';
import { mixtureLogW } from '../../lib/sampler/mixture.js';
import { Random } from '../../lib/random.js';

describe('tempered flow proposals (the sampler’s mixture Q = (1 − ε) q + ε q_τ)', () => {
  it('baseScale draws the latent from N(0, τ² I) and validates τ', async () => {
    const f = new Flow({ dim: 2, seed: 1 });
    const s = await f.sample(20000, { baseScale: 2 });
    let s2 = 0;
    for (const v of s.z) s2 += v * v;
    // sd of 40,000 squared normals' mean: √2/200 relative → 3σ ≈ 2%.
    expect(Math.abs(Math.sqrt(s2 / s.z.length) / 2 - 1)).toBeLessThan(0.02);
    expect(() => f.sample(10, { baseScale: 0 })).toThrow(RangeError);
    expect(() => f.sample(10, { baseScale: Number.NaN })).toThrow(/baseScale/);
  });

  it('the mixture weights are the inverse density of the mixture draws (importance sampling recovers a box volume)', async () => {
    const dim = 2;
    const rng = new Random(3);
    const train = new Float64Array(250 * dim);
    for (let i = 0; i < train.length; i++) train[i] = 0.5 + 0.05 * rng.normal();
    const f = new Flow({ dim, seed: 1 });
    await f.train(train, { steps: 300 });
    const eps = 0.5;
    const tau = 2;
    const N = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (const [count, scale] of [[N / 2, 1], [N / 2, tau]] as const) {
      const s = await f.sample(count, scale === 1 ? undefined : { baseScale: scale });
      const logW = mixtureLogW(s.logProb, s.z, dim, tau, eps);
      // The same weights from the inverse ODE, as the sampler computes them for live points.
      const inv = await f.inverse(s.x.subarray(0, 2000 * dim));
      const logWInv = mixtureLogW(inv.logProb, inv.z, dim, tau, eps);
      for (let i = 0; i < 2000; i++) expect(Math.abs(logW[i]! - logWInv[i]!)).toBeLessThan(5e-3);
      for (let i = 0; i < count; i++) {
        const inBox = Math.abs(s.x[i * 2]! - 0.5) < 0.1 && Math.abs(s.x[i * 2 + 1]! - 0.5) < 0.1;
        const v = inBox ? Math.exp(logW[i]!) : 0;
        sum += v;
        sumSq += v * v;
      }
    }
    // Stratified halves of a mixture with weights 1/Q: unbiased for the box's volume 0.04.
    const estimate = sum / N;
    const se = Math.sqrt((sumSq / N - estimate * estimate) / N);
    expect(Math.abs(estimate - 0.04)).toBeLessThan(4 * se + 1e-3 * 0.04);
  });
});

describe('the local random-walk step', () => {
  it('uses the flow’s whitening factor L, whose L·Lᵀ is the sample covariance of the training points', async () => {
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
    const f = new Flow({ dim, seed: 1, threads: 1 });
    await f.train(x, { steps: 5 });
    const L = f.whitening.chol;
    const mean = [0, 1, 2].map((j) => Array.from({ length: n }, (_, i) => x[i * dim + j]!).reduce((s, v) => s + v, 0) / n);
    for (let j = 0; j < dim; j++)
      for (let k = 0; k < dim; k++) {
        let cov = 0;
        for (let i = 0; i < n; i++) cov += (x[i * dim + j]! - mean[j]!) * (x[i * dim + k]! - mean[k]!);
        cov /= n - 1;
        let llt = 0;
        for (let p = 0; p < dim; p++) llt += L[j * dim + p]! * L[k * dim + p]!;
        expect(llt).toBeCloseTo(cov, 10);
        if (k > j) expect(L[j * dim + k]).toBe(0);
      }
  });
});

import { describe, expect, it } from 'vitest';
import { loadNative } from '../../lib/native.js';

const { testing } = loadNative();

describe('sgemm kernels', () => {
  // Float32 products of k standard-normal terms: rounding error grows like
  // sqrt(k) eps |terms|; 1e-5 of the largest entry bounds it with margin.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [7, 13, 5],
    [6, 16, 128],
    [97, 128, 128],
    [128, 2, 128],
    [33, 128, 9],
    [300, 40, 600], // k above one 256-wide block
  ];
  for (const [m, n, k] of shapes) {
    it(`every kernel matches the reference for ${m}x${n}x${k} (plain and transposed A)`, () => {
      for (const kernel of ['auto', 'avx2', 'portable'] as const) {
        for (const transA of [false, true]) {
          const r = testing.sgemmCheck(m, n, k, transA, kernel);
          expect(r.maxAbsError).toBeLessThanOrEqual(1e-5 * Math.max(1, r.maxAbsReference));
        }
      }
    });
  }

  it('reports which kernel ran; auto is the one the flow uses', () => {
    expect(testing.sgemmCheck(8, 8, 8, false, 'portable').kernel).toBe('portable-6x16');
    expect(testing.sgemmCheck(8, 8, 8, false, 'auto').kernel).toBe(testing.gemmKernel);
    expect(() => testing.sgemmCheck(8, 8, 8, false, 'sse' as never)).toThrow(/kernel must be/);
  });

  it('names the bad argument', () => {
    expect(() => testing.sgemmCheck(0, 1, 1)).toThrow(RangeError);
    expect(() => testing.sgemmCheck(0, 1, 1)).toThrow(/m must be/);
    expect(() => testing.sgemmCheck(1, 'x' as unknown as number, 1)).toThrow(/n must be a number/);
  });
});

describe('vectorised normal generator (CFM latents)', () => {
  // Standard normal CDF via erf (Abramowitz–Stegun 7.1.26 is too coarse for a
  // 1e6-sample KS test, so use a series/continued fraction to ~1e-12).
  function normalCdf(x: number): number {
    const t = Math.abs(x) / Math.SQRT2;
    let erfc: number;
    if (t < 2.5) {
      let sum = t;
      let term = t;
      for (let k = 1; k < 60; k++) {
        term *= (-t * t) / k;
        sum += term / (2 * k + 1);
      }
      erfc = 1 - (2 / Math.sqrt(Math.PI)) * sum;
    } else {
      let f = 0;
      for (let k = 60; k >= 1; k--) f = k / 2 / (t + f);
      erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
    }
    return x >= 0 ? 1 - erfc / 2 : erfc / 2;
  }

  it('draws N(0, 1): moments and a Kolmogorov–Smirnov test on 200,000 values', () => {
    const n = 200_000;
    const z = testing.normals(n, 2024);
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    for (const v of z) {
      m1 += v;
      m2 += v * v;
      m4 += v ** 4;
    }
    m1 /= n;
    m2 /= n;
    m4 /= n;
    // Standard errors: mean 1/sqrt(n), variance sqrt(2/n), 4th moment sqrt(96/n); 5 SE.
    expect(Math.abs(m1)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(m2 - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m4 - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    const sorted = Float64Array.from(z).sort();
    let dMax = 0;
    for (let i = 0; i < n; i++) {
      const c = normalCdf(sorted[i]!);
      dMax = Math.max(dMax, Math.abs(c - i / n), Math.abs(c - (i + 1) / n));
    }
    // KS critical value at p = 0.001: 1.95 / sqrt(n).
    expect(dMax).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('is reproducible from the seed, and a shorter draw is a prefix in whole blocks', () => {
    const a = testing.normals(100, 5);
    const b = testing.normals(100, 5);
    expect(b).toEqual(a);
    expect(testing.normals(64, 5)).toEqual(a.slice(0, 64));
  });
});

import { describe, expect, it } from 'vitest';
import { credibleLevels, crossValidatedFactor, kde1d, kde2d } from '../../lib/plot/kde.js';
import { Random } from '../../lib/random.js';
import { normalRng } from '../helpers.js';

describe('weighted KDE and credible levels', () => {
  const n = 20_000;
  const g = normalRng(11);
  const x = Float64Array.from({ length: n }, () => g());
  const y = Float64Array.from({ length: n }, () => g());

  it('1-D: unit area and the sample spread widened by the kernel', () => {
    const w = new Float64Array(n).fill(1);
    const d = kde1d(x, w, [-6, 6], 400);
    const dx = d.x[1]! - d.x[0]!;
    let area = 0;
    let m2 = 0;
    for (let i = 0; i < d.x.length; i++) {
      area += d.density[i]! * dx;
      m2 += d.density[i]! * dx * d.x[i]! ** 2;
    }
    expect(area).toBeCloseTo(1, 10);
    // Scott's h = n^(−1/5) ≈ 0.138: variance 1 + h² ≈ 1.019, sampling error of the variance √(2/n) ≈ 0.01.
    expect(m2).toBeGreaterThan(1.019 - 0.04);
    expect(m2).toBeLessThan(1.019 + 0.04);
  });

  it('2-D: the 68% and 95% regions of a standard normal have the areas of circles of radius √(−2 ln(1 − p))', () => {
    const w = new Float64Array(n).fill(1);
    const grid = 120;
    const d = kde2d(x, y, w, [-5, 5], [-5, 5], grid);
    const [l68, l95] = credibleLevels(d.values, [0.68, 0.95]);
    expect(l68!).toBeGreaterThan(l95!);
    const cell = (10 / grid) ** 2;
    const area = (level: number): number => d.values.filter((v) => v >= level).length * cell;
    // The kernel (0.6 × Scott: h² = 0.36 n^(−1/3) ≈ 0.013) widens the normal by √(1 + h²).
    const widen = 1 + 0.36 * Math.pow(n, -1 / 3);
    for (const [level, p] of [[l68!, 0.68], [l95!, 0.95]] as const) {
      const expected = Math.PI * -2 * Math.log(1 - p) * widen;
      expect(Math.abs(area(level) / expected - 1)).toBeLessThan(0.05);
    }
  });

  it('2-D: weights count (a half-weighted copy shifted away moves a third of the mass)', () => {
    const xs = new Float64Array(2 * n);
    const ys = new Float64Array(2 * n);
    const w = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      xs[i] = x[i]!;
      ys[i] = y[i]!;
      w[i] = 1;
      xs[n + i] = x[i]! + 10;
      ys[n + i] = y[i]!;
      w[n + i] = 0.5;
    }
    const d = kde2d(xs, ys, w, [-5, 15], [-5, 5], 100);
    let right = 0;
    let total = 0;
    for (let j = 0; j < d.ny; j++) {
      for (let i = 0; i < d.nx; i++) {
        total += d.values[j * d.nx + i]!;
        if (d.x[i]! > 5) right += d.values[j * d.nx + i]!;
      }
    }
    expect(right / total).toBeCloseTo(1 / 3, 3);
  });
});

describe('crossValidatedFactor', () => {
  it('chooses a wide kernel for a Gaussian cloud and a narrower one for a thin curved ridge', () => {
    const r = new Random(3);
    const n = 500;
    const idx = Array.from({ length: 400 }, (_, i) => i);
    const gx = Float64Array.from({ length: n }, () => r.normal());
    const gy = Float64Array.from({ length: n }, () => r.normal());
    const bx = Float64Array.from({ length: n }, () => 1.5 * r.normal());
    const by = Float64Array.from(bx, (v) => v * v + 0.15 * r.normal());
    const gauss = crossValidatedFactor(gx, gy, idx);
    const banana = crossValidatedFactor(bx, by, idx);
    expect(gauss).toBeGreaterThanOrEqual(1);
    expect(banana).toBeLessThan(gauss);
    expect(banana).toBeLessThanOrEqual(0.7);
  });

  it('a point drawn twice does not predict itself (which would always pick the narrowest kernel)', () => {
    const r = new Random(4);
    const x = Float64Array.from({ length: 300 }, () => r.normal());
    const y = Float64Array.from({ length: 300 }, () => r.normal());
    const twice = Array.from({ length: 400 }, (_, i) => i % 200);
    expect(crossValidatedFactor(x, y, twice)).toBeGreaterThanOrEqual(1);
  });
});

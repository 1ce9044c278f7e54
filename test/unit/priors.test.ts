import { describe, expect, it } from 'vitest';
import { normalQuantile, parameter, priors } from '../../lib/priors.js';
import { Random } from '../../lib/random.js';

const apply = (p: ReturnType<typeof priors.uniform>, u: number[]): number[] => {
  const theta = new Float64Array(u.length);
  p.transform(Float64Array.from(u), theta, u.length / p.dim);
  return Array.from(theta);
};

describe('priors', () => {
  it('uniform maps the cube onto the box', () => {
    const p = priors.uniform([-5, 0], [5, 2]);
    expect(p.dim).toBe(2);
    expect(apply(p, [0, 0, 1, 1, 0.5, 0.25])).toEqual([-5, 0, 5, 2, 0, 0.5]);
  });

  it('normal and logUniform use the inverse CDF', () => {
    const n = priors.normal([1], [2]);
    expect(apply(n, [0.5])[0]).toBeCloseTo(1, 12);
    expect(apply(n, [0.975])[0]).toBeCloseTo(1 + 2 * 1.959963984540054, 7);
    const l = priors.logUniform([1e-3], [10]);
    expect(apply(l, [0, 1])).toEqual([expect.closeTo(1e-3, 15), expect.closeTo(10, 12)]);
    expect(apply(l, [0.75])[0]).toBeCloseTo(1, 12);
  });

  it('the normal quantile is accurate in the tails', () => {
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 6);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306167813, 7);
  });

  it('independent composes per-parameter priors; custom wraps a transform', () => {
    const p = priors.independent([parameter.uniform(0, 10), parameter.logUniform(1, 100)]);
    expect(apply(p, [0.5, 0.5])).toEqual([5, expect.closeTo(10, 12)]);
    const c = priors.custom({ dim: 2, transform: (u, t) => { t[0] = u[0]! + u[1]!; t[1] = u[0]! - u[1]!; } });
    expect(apply(c, [0.25, 0.5, 1, 0])).toEqual([0.75, -0.25, 1, 1]);
  });

  it('invalid bounds throw a clear error', () => {
    expect(() => priors.uniform([0, 1], [1, 1])).toThrow(/lower\[1\] \(1\) must be below upper\[1\] \(1\)/);
    expect(() => priors.uniform([0, -Infinity], [1, 1])).toThrow(/lower\[1\] must be finite/);
    expect(() => priors.uniform([0, NaN], [1, 1])).toThrow(RangeError);
    expect(() => priors.uniform([0, 0], [1])).toThrow(/upper has 1 entries, expected 2/);
    expect(() => priors.uniform([], [])).toThrow(/lower must not be empty/);
    expect(() => priors.normal([0], [0])).toThrow(/sd must be positive/);
    expect(() => priors.logUniform([0], [1])).toThrow(/lower must be positive/);
    expect(() => priors.custom({ dim: 0, transform: () => undefined })).toThrow(/dim/);
    expect(() => priors.independent([{} as never])).toThrow(/params\[0\]/);
  });
});

describe('Random', () => {
  it('is reproducible from the seed and its state round-trips', () => {
    const a = new Random(42);
    const b = new Random(42);
    expect(Array.from({ length: 5 }, () => a.uniform())).toEqual(Array.from({ length: 5 }, () => b.uniform()));
    const state = a.state;
    const x = a.uniform();
    const c = new Random(0);
    c.state = state;
    expect(c.uniform()).toBe(x);
    expect(new Random(1).uniform()).not.toBe(new Random(2).uniform());
  });

  it('draws uniforms with the right mean and variance', () => {
    const r = new Random(5);
    const n = 100_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = r.uniform();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - s * s / n / n - 1 / 12)).toBeLessThan(0.002);
  });
});

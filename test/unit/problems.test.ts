import { describe, expect, it } from 'vitest';
import { gaussian, mixture, rosenbrock, rosenbrockLogZ, rosenbrockTrapezoid } from '../../lib/problems.js';

describe('Rosenbrock reference log Z (transfer kernel)', () => {
  it('reproduces docs/problems.md at d = 2 and 4 to 1e-8', () => {
    expect(Math.abs(rosenbrockLogZ(2) - -5.8041323638)).toBeLessThan(1e-8);
    expect(Math.abs(rosenbrockLogZ(4) - -15.1016907279)).toBeLessThan(1e-8);
  });

  it('converges as O(h²) before extrapolation, so the extrapolated value is far tighter', () => {
    const exact = -5.8041323638;
    const e1 = rosenbrockTrapezoid(2, 1001) - exact;
    const e2 = rosenbrockTrapezoid(2, 2001) - exact;
    // Halving h quarters the error.
    expect(e1 / e2).toBeGreaterThan(3.5);
    expect(e1 / e2).toBeLessThan(4.5);
    expect(Math.abs(rosenbrockLogZ(2, 1001) - exact)).toBeLessThan(Math.abs(e2) / 10);
  });

  it('gives a problem its reference for any d, and refuses bad d', () => {
    expect(rosenbrock(3).logZ).toBeCloseTo(rosenbrockLogZ(3), 12);
    expect(() => rosenbrockLogZ(1)).toThrow(RangeError);
    expect(() => rosenbrock(1.5)).toThrow(/integer dim ≥ 2/);
  });

  it('refuses a bad dimension for every dimensioned problem, naming it', () => {
    expect(() => gaussian(0)).toThrow(/gaussian needs an integer dim ≥ 1, got 0/);
    expect(() => mixture(2.5)).toThrow(/mixture needs an integer dim ≥ 1/);
  });
});

import { describe, expect, it } from 'vitest';
import { chanceWithinTolerance, deviationsInStandardErrors, marginalDeviations, weightedMoments } from '../../lib/posterior.js';
import { normalRng, std, uniformRng } from '../helpers.js';

describe('posterior deviations in standard errors', () => {
  // Many equal-weight samples of size n from known marginals: a normal
  // (kurtosis 3) and a Laplace (kurtosis 6). If the standard errors are
  // right, the deviations, in standard errors, scatter with sd 1.
  const n = 1000;
  const repetitions = 400;
  const exact = [
    { mean: 0, sd: 1, kurtosis: 3 },
    { mean: 0, sd: Math.SQRT2, kurtosis: 6 },
  ];
  const normal = normalRng(11);
  const uniform = uniformRng(12);
  const laplace = (): number => {
    const u = uniform() - 0.5;
    return -Math.sign(u) * Math.log(1 - 2 * Math.abs(u));
  };
  const zMean: number[][] = [[], []];
  const zSd: number[][] = [[], []];
  for (let r = 0; r < repetitions; r++) {
    const theta = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      theta[2 * i] = normal();
      theta[2 * i + 1] = laplace();
    }
    const z = deviationsInStandardErrors(marginalDeviations(weightedMoments(theta, new Float64Array(n), 2), exact), exact, n);
    z.forEach((zk, k) => {
      zMean[k]!.push(zk.mean);
      zSd[k]!.push(zk.sd);
    });
  }
  // The sd of 400 standardised deviations is 1 within 4 of its standard errors, 1/√800 for normal deviations.
  it.each([0, 1])('coordinate %i: means and sds scatter by one standard error', (k) => {
    expect(Math.abs(std(zMean[k]!) - 1)).toBeLessThan(4 / Math.sqrt(2 * repetitions));
    expect(Math.abs(std(zSd[k]!) - 1)).toBeLessThan(4 / Math.sqrt(2 * repetitions));
  });

  it('takes kurtosis 3 where it is unknown, and rejects a bad ESS', () => {
    const dev = [{ meanShift: 0.1, sdRatio: 1.1 }];
    const [z] = deviationsInStandardErrors(dev, [{ mean: 0, sd: 1 }], 100);
    expect(z!.mean).toBeCloseTo(1, 12);
    expect(z!.sd).toBeCloseTo(1 / Math.sqrt(0.5), 12);
    expect(() => deviationsInStandardErrors(dev, [{ mean: 0, sd: 1 }], 0)).toThrow(RangeError);
  });
});

describe('chance of meeting a fixed tolerance', () => {
  it('matches the rate at which exact samples meet it', () => {
    // Two normal coordinates, samples of 400: analytic chance against the
    // rate over 2,000 repetitions (binomial standard error ≈ 0.011).
    const n = 400;
    const exact = [
      { mean: 0, sd: 1, kurtosis: 3 },
      { mean: 1, sd: 2, kurtosis: 3 },
    ];
    const normal = normalRng(21);
    let met = 0;
    const repetitions = 2000;
    for (let r = 0; r < repetitions; r++) {
      const theta = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        theta[2 * i] = normal();
        theta[2 * i + 1] = 1 + 2 * normal();
      }
      const dev = marginalDeviations(weightedMoments(theta, new Float64Array(n), 2), exact);
      if (dev.every((d) => Math.abs(d.meanShift) < 0.08 && Math.abs(d.sdRatio - 1) < 0.05)) met++;
    }
    const chance = chanceWithinTolerance(exact, n, 0.08, 0.05);
    expect(chance).toBeGreaterThan(0.3); // a tolerance near the noise, so the check has power
    expect(chance).toBeLessThan(0.8);
    const se = Math.sqrt((chance * (1 - chance)) / repetitions);
    expect(Math.abs(met / repetitions - chance)).toBeLessThan(4 * se);
  });

  it('is 1 with no noise and falls as the sample shrinks', () => {
    const exact = [{ mean: 0, sd: 1, kurtosis: 6 }];
    expect(chanceWithinTolerance(exact, 1e12, 0.05, 0.05)).toBeCloseTo(1, 6);
    expect(chanceWithinTolerance(exact, 500, 0.05, 0.05)).toBeLessThan(chanceWithinTolerance(exact, 5000, 0.05, 0.05));
  });
});

import { describe, expect, it } from 'vitest';
import { planFolds, trainSteps } from '../../lib/sampler/folds.js';
import type { Survivors } from '../../lib/sampler/kill.js';
import { defaultFolds, defaultKillFraction, resolveOptions } from '../../lib/sampler/options.js';
import { priors } from '../../lib/priors.js';

const survivors = (folds: number[]): Survivors => {
  const n = folds.length;
  return { n, u: new Float64Array(n), theta: new Float64Array(n), logL: new Float64Array(n), birth: new Float64Array(n), fold: Uint8Array.from(folds) };
};

describe('cross-fitting over K folds', () => {
  it('each flow trains on every fold but the one it serves, and never on that fold', () => {
    const folds = Array.from({ length: 40 }, (_, k) => (k * 7) % 4);
    const plan = planFolds(survivors(folds), 4);
    expect(plan.serves).toEqual([3, 2, 1, 0]);
    plan.training.forEach((rows, j) => {
      const served = plan.serves[j]!;
      expect(rows.length).toBe(40 - plan.foldRows[served]!.length);
      for (const r of rows) expect(folds[r]).not.toBe(served);
      expect(Array.from(rows)).toEqual([...rows].sort((a, b) => a - b));
    });
  });

  it('two folds: flow 0 trains on fold 0 and serves fold 1, as before', () => {
    const plan = planFolds(survivors([0, 1, 0, 1, 1, 0]), 2);
    expect(plan.serves).toEqual([1, 0]);
    expect(Array.from(plan.training[0]!)).toEqual([0, 2, 5]);
    expect(Array.from(plan.training[1]!)).toEqual([1, 3, 4]);
  });

  it('a fold with fewer than 2 survivors: one flow on all of them, serving every chain', () => {
    const plan = planFolds(survivors([0, 0, 1, 1, 2, 0]), 3);
    expect(plan.serves).toEqual([-1]);
    expect(Array.from(plan.training[0]!)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('the steps of an iteration are shared by the flows, and folds grow with the dimension', () => {
    expect(trainSteps({}, 125, false, 2)).toBe(250);
    expect(trainSteps({}, 187, false, 4)).toBe(150);
    expect(trainSteps({}, 187, true, 4)).toBe(300);
    expect(trainSteps({ train: { steps: 77 } }, 187, false, 4)).toBe(77);
    expect(defaultFolds(4)).toBe(2);
    expect(defaultFolds(5)).toBe(4);
  });

  it('the steps follow the share of live points an iteration replaces, and a quarter dies from 8-D', () => {
    expect(trainSteps({}, 281, false, 4, 0.25)).toBe(75);
    expect(trainSteps({}, 281, true, 4, 0.25)).toBe(150);
    expect(trainSteps({}, 281, false, 4, 0.5)).toBe(150);
    expect(trainSteps({}, 10, false, 4, 0.1)).toBe(20); // never below 20
    expect(trainSteps({ train: { steps: 77 } }, 281, false, 4, 0.25)).toBe(77);
    expect(defaultKillFraction(7)).toBe(0.5);
    expect(defaultKillFraction(8)).toBe(0.25);
    const options = (dim: number, killFraction?: number) =>
      resolveOptions({ logLikelihood: () => 0, prior: priors.uniform(Array(dim).fill(0), Array(dim).fill(1)), ...(killFraction ? { killFraction } : {}) }).killFraction;
    expect(options(7)).toBe(0.5);
    expect(options(8)).toBe(0.25);
    expect(options(8, 0.5)).toBe(0.5);
  });
});

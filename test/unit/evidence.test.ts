import { describe, expect, it } from 'vitest';
import { computeEvidence, liveCounts, logSumExp } from '../../lib/evidence.js';
import { ksPValue, ksUniform } from '../../lib/ks.js';
import { uniformRng } from '../helpers.js';

/**
 * A hand-made run: 4 prior points (nLive 4), then two batch kills of 2 with
 * new points born at the contour, then the final 4 live points die one by one.
 *
 *   start live: a(−9) b(−7) c(−4) d(−2)                       births −∞
 *   kill a, b (contour −7); born e(−3), f(−1) at −7
 *   kill c, e (contour −3); born g(−1.5), h(−0.5) at −3
 *   final: d(−2), g(−1.5), f(−1), h(−0.5)
 */
const deathOrder = [
  { name: 'a', logL: -9, birth: -Infinity },
  { name: 'b', logL: -7, birth: -Infinity },
  { name: 'c', logL: -4, birth: -Infinity },
  { name: 'e', logL: -3, birth: -7 },
  { name: 'd', logL: -2, birth: -Infinity },
  { name: 'g', logL: -1.5, birth: -3 },
  { name: 'f', logL: -1, birth: -7 },
  { name: 'h', logL: -0.5, birth: -3 },
];
// Live at each death, by hand: a: 4 (a b c d); b: 3 (b c d — e, f not born until −7 is passed);
// c: 4 (c d e f); e: 3 (e d f); d: 4 (d f g h); g: 3; f: 2; h: 1.
const handCounts = [4, 3, 4, 3, 4, 3, 2, 1];

const logL = Float64Array.from(deathOrder, (p) => p.logL);
const birth = Float64Array.from(deathOrder, (p) => p.birth);

describe('evidence from births and deaths', () => {
  it('live counts match the hand count and a brute-force O(N²) count', () => {
    const n = liveCounts(logL, birth);
    expect(Array.from(n)).toEqual(handCounts);
    const brute = deathOrder.map((p) => deathOrder.filter((q) => q.birth < p.logL && p.logL <= q.logL).length);
    expect(Array.from(n)).toEqual(brute);
  });

  it('log X, log Z, information and ESS match a direct linear-space calculation', () => {
    const ev = computeEvidence(logL, birth, { simulations: 200, seed: 1 });
    let X = 1;
    let Z = 0;
    const w: number[] = [];
    deathOrder.forEach((p, i) => {
      const next = X * Math.exp(-1 / handCounts[i]!);
      expect(ev.logX[i]).toBeCloseTo(Math.log(next), 12);
      w.push(Math.exp(p.logL) * (X - next));
      Z += w[i]!;
      X = next;
    });
    expect(ev.logZ).toBeCloseTo(Math.log(Z), 12);
    const p = w.map((v) => v / Z);
    p.forEach((pi, i) => expect(Math.exp(ev.logWeight[i]!)).toBeCloseTo(pi, 12));
    const H = p.reduce((s, pi, i) => s + pi * (deathOrder[i]!.logL - Math.log(Z)), 0);
    expect(ev.information).toBeCloseTo(H, 12);
    expect(ev.ess).toBeCloseTo(1 / p.reduce((s, pi) => s + pi * pi, 0), 10);
  });

  it('the simulated error matches a brute-force simulation of t_i ~ Beta(n_i, 1)', () => {
    const ev = computeEvidence(logL, birth, { simulations: 400, seed: 7 });
    const u = uniformRng(99);
    const draws: number[] = [];
    for (let s = 0; s < 20000; s++) {
      let X = 1;
      let Z = 0;
      deathOrder.forEach((p, i) => {
        const t = u() ** (1 / handCounts[i]!);
        Z += Math.exp(p.logL) * (X - X * t);
        X *= t;
      });
      draws.push(Math.log(Z));
    }
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const sd = Math.sqrt(draws.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws.length - 1));
    // The 400-draw estimate of a standard deviation has relative error ≈ 1/sqrt(800) = 3.5%; allow 4 of those.
    expect(Math.abs(ev.logZErr / sd - 1)).toBeLessThan(4 / Math.sqrt(800));
  });

  it('counts down through ties: a plateau and −∞ prior points', () => {
    // Three prior points at −∞, then a plateau of four at 0 (one born at −∞, three at the contour −∞).
    const L = [-Infinity, -Infinity, -Infinity, 0, 0, 0, 0];
    const B = [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity, -Infinity];
    expect(Array.from(liveCounts(L, B))).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('rejects points out of death order and impossible births', () => {
    expect(() => liveCounts([-1, -2], [-Infinity, -Infinity])).toThrow(/death order/);
    expect(() => liveCounts([-2, -1], [-1, -Infinity])).toThrow(/no live point/);
    expect(() => liveCounts([-2], [-Infinity, -3])).toThrow(/entries/);
  });

  it('logSumExp is stable for large and −∞ inputs', () => {
    expect(logSumExp([1000, 1000])).toBeCloseTo(1000 + Math.LN2, 12);
    expect(logSumExp([-Infinity, -Infinity])).toBe(-Infinity);
    expect(logSumExp([-Infinity, 0])).toBe(0);
  });
});

describe('Kolmogorov–Smirnov test', () => {
  it('gives the tabulated asymptotic p-values', () => {
    // Q_KS(1.36) ≈ 0.049, Q_KS(1.63) ≈ 0.0098 (large n, Stephens' correction → 0).
    expect(ksPValue(1.36 / Math.sqrt(1e6), 1e6)).toBeCloseTo(0.0494, 3);
    expect(ksPValue(1.63 / Math.sqrt(1e6), 1e6)).toBeCloseTo(0.0098, 3);
  });

  it('accepts uniform draws and rejects skewed ones', () => {
    const u = uniformRng(3);
    const uniform = Array.from({ length: 2000 }, () => u());
    expect(ksUniform(uniform).pValue).toBeGreaterThan(0.01);
    const skewed = uniform.map((v) => v * v);
    expect(ksUniform(skewed).pValue).toBeLessThan(1e-6);
  });

  it('with effectiveN = nm/(n+m), ranks of m points among the same n reference points give calibrated p-values', () => {
    // 400 replications of the sampler's insertion test with exactly uniform
    // points: the naive one-sample p-value is too small too often, the
    // two-sample effective size is not.
    const u = uniformRng(11);
    const n = 250;
    const m = 250;
    let naiveBelow = 0;
    let effectiveBelow = 0;
    const reps = 400;
    for (let r = 0; r < reps; r++) {
      const ref = Float64Array.from({ length: n }, () => u()).sort();
      const ranks: number[] = [];
      for (let k = 0; k < m; k++) {
        const x = u();
        let lo = 0;
        while (lo < n && ref[lo]! < x) lo++;
        ranks.push((lo + u()) / (n + 1));
      }
      if (ksUniform(ranks).pValue < 0.05) naiveBelow++;
      if (ksUniform(ranks, (n * m) / (n + m)).pValue < 0.05) effectiveBelow++;
    }
    // Binomial(400, 0.05): mean 20, sd 4.4.
    expect(effectiveBelow).toBeGreaterThan(20 - 3 * 4.4);
    expect(effectiveBelow).toBeLessThan(20 + 3 * 4.4);
    expect(naiveBelow).toBeGreaterThan(20 + 3 * 4.4);
  });
});

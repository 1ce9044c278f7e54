import { beforeAll, describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { column, mean, normalRng, std, uniformRng } from '../helpers.js';

const N = 20_000;
const LOG_2PI = Math.log(2 * Math.PI);

/** Correlated 2-D Gaussian: mean (1, −1), sd (2, 1), correlation 0.8. */
const gauss = {
  mu: [1, -1],
  cov: [4, 1.6, 1.6, 1],
  draw(seed: number, n: number): Float64Array {
    const rnd = normalRng(seed);
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      const u = rnd();
      const v = rnd();
      x[2 * i] = 1 + 2 * u;
      x[2 * i + 1] = -1 + 0.8 * u + 0.6 * v;
    }
    return x;
  },
  logPdf(a: number, b: number): number {
    const det = 4 - 1.6 * 1.6;
    const da = a - 1;
    const db = b + 1;
    return -0.5 * (da * da - 3.2 * da * db + 4 * db * db) / det - LOG_2PI - 0.5 * Math.log(det);
  },
};

/** Equal mixture of N((−2, 0), 0.5²I) and N((2, 1), diag(0.7², 0.4²)). */
const mixture = {
  draw(seed: number, n: number): Float64Array {
    const rnd = normalRng(seed);
    const pick = uniformRng(seed + 1);
    const x = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      if (pick() < 0.5) {
        x[2 * i] = -2 + 0.5 * rnd();
        x[2 * i + 1] = 0.5 * rnd();
      } else {
        x[2 * i] = 2 + 0.7 * rnd();
        x[2 * i + 1] = 1 + 0.4 * rnd();
      }
    }
    return x;
  },
  logPdf(a: number, b: number): number {
    const c1 = -0.5 * (((a + 2) / 0.5) ** 2 + (b / 0.5) ** 2) - LOG_2PI - 2 * Math.log(0.5);
    const c2 = -0.5 * (((a - 2) / 0.7) ** 2 + ((b - 1) / 0.4) ** 2) - LOG_2PI - Math.log(0.7 * 0.4);
    const m = Math.max(c1, c2);
    return m + Math.log(0.5 * Math.exp(c1 - m) + 0.5 * Math.exp(c2 - m));
  },
};

/** mean(p/q) over flow samples, and its standard error. */
function importanceRatio(x: Float64Array, logQ: Float64Array, logPdf: (a: number, b: number) => number) {
  const w = new Float64Array(logQ.length);
  for (let i = 0; i < w.length; i++) w[i] = Math.exp(logPdf(x[2 * i]!, x[2 * i + 1]!) - logQ[i]!);
  return { mean: mean(w), se: std(w) / Math.sqrt(w.length) };
}

describe('Flow: densities after training', () => {
  let gaussFlow: Flow;
  let gaussSamples: { x: Float64Array; logProb: Float64Array; z: Float64Array };

  beforeAll(async () => {
    gaussFlow = new Flow({ dim: 2, seed: 1 });
    await gaussFlow.train(gauss.draw(42, N), { steps: 400 });
    gaussSamples = await gaussFlow.sample(N);
  });

  it('correlated Gaussian: mean p/q is within 5% of 1 and the moments match', () => {
    const r = importanceRatio(gaussSamples.x, gaussSamples.logProb, gauss.logPdf);
    expect(Math.abs(r.mean - 1)).toBeLessThanOrEqual(0.05);
    const a = column(gaussSamples.x, 2, 0);
    const b = column(gaussSamples.x, 2, 1);
    // Means within 5 standard errors of the truth; sds within 5%.
    expect(Math.abs(mean(a) - 1)).toBeLessThanOrEqual((5 * 2) / Math.sqrt(N));
    expect(Math.abs(mean(b) + 1)).toBeLessThanOrEqual((5 * 1) / Math.sqrt(N));
    expect(Math.abs(std(a) / 2 - 1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(std(b) / 1 - 1)).toBeLessThanOrEqual(0.05);
    let cov = 0;
    const ma = mean(a);
    const mb = mean(b);
    for (let i = 0; i < N; i++) cov += (a[i]! - ma) * (b[i]! - mb);
    cov /= N - 1;
    expect(Math.abs(cov / (std(a) * std(b)) - 0.8)).toBeLessThanOrEqual(0.02);
  });

  it('round trip: logProb(x) of sampled x matches sample()’s logProb within 1e-3 nats and recovers z', async () => {
    const n = 2000;
    const x = gaussSamples.x.slice(0, 2 * n);
    const back = await gaussFlow.inverse(x);
    let worstLogQ = 0;
    let worstZ = 0;
    for (let i = 0; i < n; i++) {
      worstLogQ = Math.max(worstLogQ, Math.abs(back.logProb[i]! - gaussSamples.logProb[i]!));
      for (let j = 0; j < 2; j++) worstZ = Math.max(worstZ, Math.abs(back.z[2 * i + j]! - gaussSamples.z[2 * i + j]!));
    }
    expect(worstLogQ).toBeLessThanOrEqual(1e-3);
    expect(worstZ).toBeLessThanOrEqual(1e-3);
    expect(await gaussFlow.logProb(x)).toEqual(back.logProb);
  });

  it('two-component mixture: mean p/q is within 5% of 1 and the moments match', async () => {
    const flow = new Flow({ dim: 2, seed: 2 });
    await flow.train(mixture.draw(7, N), { steps: 1500 });
    const s = await flow.sample(N);
    const r = importanceRatio(s.x, s.logProb, mixture.logPdf);
    expect(Math.abs(r.mean - 1)).toBeLessThanOrEqual(0.05);
    const a = column(s.x, 2, 0);
    const b = column(s.x, 2, 1);
    // Mixture moments: E[a] = 0, E[b] = 0.5, sd(a) = sqrt(0.5*0.25 + 0.5*0.49 + 4), sd(b) = sqrt(0.5*0.25+0.5*0.16+0.25).
    const sdA = Math.sqrt(0.5 * 0.25 + 0.5 * 0.49 + 4);
    const sdB = Math.sqrt(0.5 * 0.25 + 0.5 * 0.16 + 0.25);
    expect(Math.abs(mean(a))).toBeLessThanOrEqual((5 * sdA) / Math.sqrt(N));
    expect(Math.abs(mean(b) - 0.5)).toBeLessThanOrEqual((5 * sdB) / Math.sqrt(N));
    expect(Math.abs(std(a) / sdA - 1)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(std(b) / sdB - 1)).toBeLessThanOrEqual(0.05);
    // Both modes are populated in the right proportion.
    let left = 0;
    for (let i = 0; i < N; i++) if (a[i]! < 0) left++;
    expect(Math.abs(left / N - 0.5)).toBeLessThanOrEqual(0.02);
  });

  it('Hutchinson log q is unbiased: its mean over probes matches the exact value', async () => {
    const reps = 400;
    const x0 = gaussSamples.x.slice(0, 6);
    const x = new Float64Array(reps * 6);
    for (let r = 0; r < reps; r++) x.set(x0, r * 6);
    const exact = await gaussFlow.logProb(x0, { trace: 'exact' });
    const hutch = await gaussFlow.logProb(x, { trace: 'hutchinson', probes: 1 });
    for (let i = 0; i < 3; i++) {
      const vals = Float64Array.from({ length: reps }, (_, r) => hutch[r * 3 + i]!);
      const se = std(vals) / Math.sqrt(reps);
      expect(Math.abs(mean(vals) - exact[i]!)).toBeLessThanOrEqual(4 * se + 1e-6);
    }
  });
});

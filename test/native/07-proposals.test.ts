import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/flow.js';
import { drawMixture, mixtureLogW } from '../../lib/sampler/mixture.js';
import { weightPassRate } from '../../lib/sampler/envelope.js';
import { Random } from '../../lib/random.js';
import { priors } from '../../lib/priors.js';
import { Iteration } from '../../lib/sampler/iteration.js';
import type { Survivors } from '../../lib/sampler/kill.js';
import type { Evaluate } from '../../lib/sampler/likelihood.js';
import { planFolds, type FoldPlan } from '../../lib/sampler/folds.js';
import { FlowChainsMove } from '../../lib/sampler/moves/flow-chains.js';
import { resolveOptions } from '../../lib/sampler/options.js';
import { buildGroups, pilotUpFront } from '../../lib/sampler/proposal.js';
import type { IterationRecord } from '../../lib/sampler/records.js';

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

describe('the envelope cap (pilot draws of the flow that serves a group)', () => {
  // Starts spread over the whole cube, flows fitted to a small cluster: the
  // starts' weights put W far above the flows' own draws, which then almost
  // never pass the weight test unless W is capped.
  const dim = 2;
  const setup = async (): Promise<{ it: Iteration; flows: Flow[]; plan: FoldPlan }> => {
    const rng = new Random(11);
    const n = 200;
    const u = new Float64Array(n * dim);
    for (let i = 0; i < u.length; i++) u[i] = 0.05 + 0.9 * rng.uniform();
    const survivors: Survivors = { n, u, theta: u.slice(), logL: new Float64Array(n), birth: new Float64Array(n).fill(-Infinity), fold: Uint8Array.from({ length: n }, (_, i) => i % 2) };
    const cluster = new Float64Array(200 * dim);
    for (let i = 0; i < cluster.length; i++) cluster[i] = 0.5 + 0.02 * rng.normal();
    const flows = [new Flow({ dim, seed: 1 }), new Flow({ dim, seed: 2 })];
    for (const f of flows) await f.train(cluster, { steps: 200 });
    const o = resolveOptions({ logLikelihood: () => 0, prior: priors.uniform([0, 0], [1, 1]), nLive: 300, seed: 1 });
    const evaluate: Evaluate = async (x, k) => ({ theta: x.slice(0, k * dim), logL: new Float64Array(k) });
    const it = new Iteration(1, dim, new Random(5), o, { contour: -1, killed: 100, survivors }, [], evaluate, 1);
    return { it, flows, plan: planFolds(survivors, 2) };
  };
  const capsHold = (it: Iteration): void => {
    for (let c = 0; c < it.m; c++) expect(it.chainLogW[c]).toBeLessThanOrEqual(it.groups[it.chainGroup[c]!]!.logWHigh);
  };

  it('is drawn up front on the first iteration and after a capped or poorly passing one, and waits otherwise', () => {
    const last = (envelopeCapped: boolean) => ({ envelopeCapped }) as IterationRecord;
    expect(pilotUpFront(undefined, 0.3, 0.01)).toBe(true);
    expect(pilotUpFront(last(true), 0.3, 0.01)).toBe(true);
    expect(pilotUpFront(last(false), 0.04, 0.01)).toBe(true);
    expect(pilotUpFront(last(false), 0.05, 0.01)).toBe(false);
  });

  it('up front: the pilot caps W before any chain draws', async () => {
    const { it, flows, plan } = await setup();
    await buildGroups(it, flows, plan, true);
    expect(it.counters.capped).toBe(true);
    expect(it.groups.every((g) => g.piloted)).toBe(true);
    it.assignChains(300, plan.foldRows.map((r) => r.length));
    capsHold(it);
  });

  it('late: a group that skipped its pilot takes it once its draws stop passing, and the move ends', async () => {
    const { it, flows, plan } = await setup();
    await buildGroups(it, flows, plan, false);
    const uncapped = it.groups.map((g) => g.logWHigh);
    expect(it.counters.capped).toBe(false);
    it.assignChains(300, plan.foldRows.map((r) => r.length));
    // Uncapped, the flows' own draws would almost never pass the weight test.
    for (const g of it.groups) {
      const own = await drawMixture(g.flow, g.tau, it.options.temperedFraction, 4000, new Random(6));
      expect(weightPassRate(Array.from(own.logW), 4000, g.logWHigh)).toBeLessThan(1e-4);
    }
    const out = await new FlowChainsMove(0.1, 0.7).run(it, Array.from({ length: it.m }, (_, c) => c));
    expect(it.counters.capped).toBe(true);
    expect(it.groups.every((g) => g.piloted)).toBe(true);
    expect(it.groups.every((g, h) => g.logWHigh < uncapped[h]!)).toBe(true);
    // Chains hold the W their candidate was drawn under: the capped one, bar the rare candidate drawn before the pilot.
    let above = 0;
    for (let c = 0; c < it.m; c++) if (it.chainLogW[c]! > it.groups[it.chainGroup[c]!]!.logWHigh) above++;
    expect(above).toBeLessThan(0.1 * it.m);
    // Capped at a 1% pass rate: each chain's candidate costs ~100 draws, not millions.
    expect(it.counters.proposals).toBeLessThan(1000 * it.m);
    expect((out['delayed-rejection']?.length ?? 0) + (out['random-walk']?.length ?? 0)).toBeLessThanOrEqual(it.m);
  });
});

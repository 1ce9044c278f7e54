import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../lib/checkpoint.js';
import { LikelihoodError, NestedSampler, priors, type NestedSamplingResult } from '../../lib/index.js';
import { column, mean, std } from '../helpers.js';
import { deviationsInStandardErrors, marginalDeviations, weightedMoments } from '../../lib/posterior.js';
import { gaussian, matches, rosenbrock } from '../../lib/problems.js';
import { refusalsWalk } from '../../lib/sampler/moves/delayed-rejection.js';

describe('NestedSampler: evidence on small problems (nLive 500, fixed seeds)', () => {
  let gauss: NestedSamplingResult;

  it('Gaussian 2-D matches the reference log Z', async () => {
    const p = gaussian(2);
    gauss = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 500, seed: 1, onWarning: () => {} }).run();
    expect(matches(gauss.logZ, gauss.logZErr, p.logZ)).toBe(true);
    expect(gauss.stopReason).toBe('converged');
    // The dead points hold every point that ever lived.
    expect(gauss.dead.logL.length).toBe(500 + gauss.nIterations * 250);
    expect(gauss.dead.theta.length).toBe(2 * gauss.dead.logL.length);
    expect(gauss.nLike).toBeGreaterThanOrEqual(gauss.dead.logL.length);
  });

  it('equal-weight posterior samples have the posterior’s mean and spread', () => {
    const s = gauss.posteriorSamples(4000);
    for (const j of [0, 1]) {
      const x = column(s, 2, j);
      expect(Math.abs(mean(x))).toBeLessThan(0.02);
      expect(Math.abs(std(x) / 0.1 - 1)).toBeLessThan(0.1);
    }
    expect(gauss.posteriorSamples().length).toBe(2 * Math.floor(gauss.ess));
  });

  it('reports insertion-index p-values per iteration and over the run', () => {
    expect(gauss.insertionPValue).toBeGreaterThanOrEqual(0);
    expect(gauss.insertionPValue).toBeLessThanOrEqual(1);
    for (const it of gauss.iterations) {
      expect(it.insertionPValue).toBeGreaterThanOrEqual(0);
      expect(it.insertionPValue).toBeLessThanOrEqual(1);
    }
  });

  it('with a low envelope (quantile 0.5) many flow candidates are refused, and the evidence still matches', async () => {
    // The Metropolis–Hastings step and its delayed-rejection second stage keep
    // new points uniform however low W is; a wrong acceptance ratio would bias log Z here.
    const p = gaussian(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 300, seed: 6, envelopeQuantile: 0.5, onWarning: () => {} }).run();
    const refused = r.iterations.reduce((s, it) => s + it.delayedTries, 0);
    const movedLocally = r.iterations.reduce((s, it) => s + it.delayedMoved, 0);
    expect(refused).toBeGreaterThan(0.05 * (r.dead.logL.length - 300));
    expect(movedLocally).toBeGreaterThan(0);
    expect(r.counts.stayed).toBe(refused - movedLocally);
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
  });

  it('chains whose flow candidates miss the contour move by local steps, and the evidence still matches', async () => {
    // One flow candidate per chain: every miss sends the chain on a random walk.
    const p = gaussian(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 300, seed: 7, maxFlowCallsPerPoint: 1, onWarning: () => {} }).run();
    expect(r.counts.unfound).toBeGreaterThan(0.05 * (r.dead.logL.length - 300));
    expect(r.counts.localMoved).toBeGreaterThan(0);
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
  });

  it('flowMoves: false walks every chain (no flow candidate reaches the likelihood), and the evidence still matches', async () => {
    const p = gaussian(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 300, seed: 7, flowMoves: false, onWarning: () => {} }).run();
    const born = r.dead.logL.length - 300;
    expect(r.counts.unfound).toBe(born);
    expect(r.iterations.every((it) => it.unfound === it.killed && it.rejectedByContour === 0 && it.likelihoodCalls === it.localCalls)).toBe(true);
    expect(r.counts.localMoved).toBeGreaterThan(0);
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
  });

  it('walkNeighbours shapes every walk step by the nearest training points, and the evidence still matches on a curved contour', async () => {
    const p = rosenbrock(2);
    const run = (walkNeighbours: number) =>
      new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 300, seed: 7, flowMoves: false, walkNeighbours, onWarning: () => {} }).run();
    const shaped = await run(30);
    expect(shaped.counts.localMoved).toBeGreaterThan(0);
    expect(matches(shaped.logZ, shaped.logZErr, p.logZ)).toBe(true);
    // The same seed without shaping takes other steps.
    expect((await run(0)).counts.localMoved).not.toBe(shaped.counts.localMoved);
  });

  it('walks refused chains after an iteration whose flow refused over a quarter of them, and warns if they still stay', async () => {
    // A tiny envelope refuses many chains; on Rosenbrock's curved contour the
    // delayed-rejection step rescues fewer of them than on a Gaussian's.
    const p = rosenbrock(2);
    const warnings: string[] = [];
    // A seed whose first ten iterations have both kinds, and walks that still leave over a quarter staying.
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 100, seed: 3, envelopeQuantile: 0.02, temperedFraction: 0, maxIterations: 10, onWarning: (w) => warnings.push(w) }).run();
    const localSteps = 6; // max(4, 3 × dim)
    const walked = r.iterations.slice(1).filter((it, k) => refusalsWalk(r.iterations[k]));
    const single = r.iterations.slice(1).filter((it, k) => !refusalsWalk(r.iterations[k]));
    expect(walked.length).toBeGreaterThan(0);
    expect(single.length).toBeGreaterThan(0);
    // A walking iteration gives every refused chain localSteps proposals; a single-step one at most one each (plus the unfound chains' walks).
    for (const it of walked) expect(it.localTries).toBeGreaterThanOrEqual(it.delayedTries * localSteps);
    for (const it of single) expect(it.localTries).toBeLessThanOrEqual(it.delayedTries + it.unfound * localSteps);
    const heavy = walked.find((it) => it.stayed > 0.25 * it.killed);
    expect(heavy).toBeDefined();
    expect(warnings.some((w) => /chains kept their survivor even after a 6-step walk/.test(w))).toBe(true);
  });

  it('with refused chains walking in most iterations, Rosenbrock 2-D still matches the reference log Z', async () => {
    // The walk is the delayed-rejection move's second stage: exact only if its acceptance is right.
    const p = rosenbrock(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 300, seed: 7, envelopeQuantile: 0.02, temperedFraction: 0, onWarning: () => {} }).run();
    const walked = r.iterations.slice(1).filter((it, k) => refusalsWalk(r.iterations[k]));
    expect(walked.length).toBeGreaterThan(0.5 * r.iterations.length);
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
  });

  it('Rosenbrock 2-D matches the reference log Z, and its posterior the exact marginals', async () => {
    const p = rosenbrock(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 500, seed: 2, onWarning: () => {} }).run();
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
    // Quadrature marginals (transfer kernel); 4 standard errors at the run's
    // ESS: sd/√ESS for a mean, sd·√((κ − 1)/4)/√ESS for an sd (κ: kurtosis).
    const exact = p.marginals!();
    const z = deviationsInStandardErrors(marginalDeviations(weightedMoments(r.dead.theta, r.dead.logWeight, 2), exact), exact, r.ess);
    for (const { mean, sd } of z) {
      expect(Math.abs(mean)).toBeLessThan(4);
      expect(Math.abs(sd)).toBeLessThan(4);
    }
  });
});

describe('NestedSampler: folds', () => {
  it('four folds: each fold keeps a quarter of the live points, every flow is saved, and the evidence matches', async () => {
    const p = gaussian(3);
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-folds-'));
    const path = join(dir, 'run.checkpoint');
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 200, seed: 5, folds: 4, onWarning: () => {} }).run({ checkpoint: { path } });
    expect(matches(r.logZ, r.logZErr, p.logZ)).toBe(true);
    const saved = readCheckpoint(path) as { flows: Uint8Array[]; state: { live: { fold: Uint8Array } } };
    expect(saved.flows).toHaveLength(4);
    const counts = [0, 0, 0, 0];
    for (const f of saved.state.live.fold) counts[f]!++;
    expect(counts).toEqual([50, 50, 50, 50]);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('NestedSampler: honest counting', () => {
  it('never calls the likelihood outside the prior or on a weight-rejected point, and counts every call', async () => {
    const p = gaussian(2);
    const seen: number[] = [];
    let calls = 0;
    const counting = (theta: Float64Array, n: number): Float64Array => {
      calls += n;
      seen.push(...theta);
      return p.logLikelihood(theta, n);
    };
    const r = await new NestedSampler({ logLikelihood: counting, prior: p.prior, nLive: 100, seed: 3, maxIterations: 6, onWarning: () => {} }).run();
    expect(r.nLike).toBe(calls);
    for (const v of seen) {
      expect(v).toBeGreaterThanOrEqual(-5);
      expect(v).toBeLessThanOrEqual(5);
    }
    // Every call is a prior draw or, per iteration, one in-contour flow candidate per chain that found one,
    // a contour-rejected candidate, or a local step: nothing the free tests rejected was evaluated.
    let iterationCalls = 0;
    let weightRejected = 0;
    for (const it of r.iterations) {
      expect(it.likelihoodCalls).toBe(it.killed - it.unfound + it.rejectedByContour + it.localCalls);
      expect(it.localCalls).toBeLessThanOrEqual(it.localTries);
      expect(it.proposals).toBeGreaterThanOrEqual(it.rejectedOutsidePrior + it.rejectedByWeight + it.likelihoodCalls);
      iterationCalls += it.likelihoodCalls;
      weightRejected += it.rejectedByWeight;
    }
    expect(r.nLike).toBe(100 + iterationCalls);
    expect(weightRejected).toBeGreaterThan(0);
    expect(r.stopReason).toBe('maxIterations');
  });

  it('per-point likelihoods (vectorized: false) and Promises work and are counted', async () => {
    const p = gaussian(2);
    let calls = 0;
    const single = async (theta: Float64Array): Promise<number> => {
      calls++;
      return p.logLikelihood(theta, 1)[0]!;
    };
    const r = await new NestedSampler({ logLikelihood: single, vectorized: false, prior: p.prior, nLive: 50, seed: 4, maxIterations: 3, onWarning: () => {} }).run();
    expect(r.nLike).toBe(calls);
    expect(r.nIterations).toBe(3);
  });

  it('maxCalls and an abort signal stop between iterations with the reason', async () => {
    const p = gaussian(2);
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 50, seed: 5, maxCalls: 120, onWarning: () => {} }).run();
    expect(r.stopReason).toBe('maxCalls');
    const ac = new AbortController();
    const r2 = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 50, seed: 5, onWarning: () => {} }).run({
      signal: ac.signal,
      onIteration: (it) => { if (it.iteration === 1) ac.abort(); },
    });
    expect(r2.stopReason).toBe('aborted');
    expect(r2.nIterations).toBe(2);
    // Stopped runs still account for all live points.
    expect(r2.dead.logL.length).toBe(50 + 2 * 25);
  });
});

describe('NestedSampler: invalid configuration fails before any likelihood call', () => {
  let calls = 0;
  const like = (theta: Float64Array, n: number): Float64Array => {
    calls += n;
    return new Float64Array(n);
  };
  const prior = priors.uniform([0, 0], [1, 1]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['nLive < 2', () => new NestedSampler({ logLikelihood: like, prior, nLive: 1 }), /nLive must be an integer ≥ 2/],
    ['paramNames of the wrong length', () => new NestedSampler({ logLikelihood: like, prior, paramNames: ['a'] }), /paramNames has 1 entries, but the prior has dim 2/],
    ['non-finite bounds', () => new NestedSampler({ logLikelihood: like, prior: priors.uniform([0, -Infinity], [1, 1]) }), /lower\[1\] must be finite/],
    ['lower ≥ upper', () => new NestedSampler({ logLikelihood: like, prior: priors.uniform([2, 0], [1, 1]) }), /lower\[0\] \(2\) must be below upper\[0\] \(1\)/],
    ['killFraction of 1', () => new NestedSampler({ logLikelihood: like, prior, killFraction: 1 }), /killFraction must be in \(0, 1\)/],
    ['tolerance 0', () => new NestedSampler({ logLikelihood: like, prior, tolerance: 0 }), /tolerance must be a positive/],
    ['envelopeQuantile of 0', () => new NestedSampler({ logLikelihood: like, prior, envelopeQuantile: 0 }), /envelopeQuantile must be in \(0, 1\]/],
    ['walkNeighbours of 1', () => new NestedSampler({ logLikelihood: like, prior, walkNeighbours: 1 }), /walkNeighbours must be 0 \(off\) or at least 2/],
    ['flowMoves not a boolean', () => new NestedSampler({ logLikelihood: like, prior, flowMoves: 'no' as never }), /flowMoves must be a boolean/],
    ['no likelihood', () => new NestedSampler({ prior } as never), /logLikelihood must be a function/],
    ['no prior', () => new NestedSampler({ logLikelihood: like } as never), /prior must be a Prior/],
    ['bad flow options', () => new NestedSampler({ logLikelihood: like, prior, flow: { hidden: [0] } }), /hidden\[0\]/],
  ];
  for (const [what, make, message] of cases) {
    it(`${what}: ${message.source}`, () => {
      expect(make).toThrow(message);
      expect(calls).toBe(0);
    });
  }
});

describe('NestedSampler: a misbehaving likelihood gets a clear error', () => {
  const prior = priors.uniform([0, 0], [1, 1]);
  const run = (logLikelihood: (t: Float64Array, n: number) => unknown) =>
    new NestedSampler({ logLikelihood: logLikelihood as never, prior, nLive: 10, seed: 1, onWarning: () => {} }).run();
  it('NaN names the offending θ', async () => {
    const err = await run((t, n) => Float64Array.from({ length: n }, (_, i) => (i === 3 ? NaN : -t[2 * i]!))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LikelihoodError);
    expect((err as LikelihoodError).code).toBe('LIKELIHOOD_NAN');
    expect((err as Error).message).toMatch(/returned NaN at theta = \[0\.\d+, 0\.\d+\]/);
  });
  it('+Infinity is refused; −Infinity is a valid value, and a flat top ends the run as a plateau', async () => {
    await expect(run((_t, n) => new Float64Array(n).fill(Infinity))).rejects.toThrow(/returned Infinity/);
    // L = 1 on the half u0 ≥ 0.5, 0 elsewhere: Z = 0.5 exactly.
    const r = await new NestedSampler({
      logLikelihood: (t: Float64Array, n: number) => Float64Array.from({ length: n }, (_, i) => (t[2 * i]! < 0.5 ? -Infinity : 0)),
      prior,
      nLive: 200,
      seed: 1,
      onWarning: () => {},
    }).run();
    expect(r.stopReason).toBe('plateau');
    expect(Math.abs(r.logZ - Math.log(0.5))).toBeLessThanOrEqual(Math.max(3 * r.logZErr, 0.15));
  });
  it('wrong length, non-numbers, throws and rejections', async () => {
    await expect(run((_t, n) => new Float64Array(n + 1))).rejects.toThrow(/returned 11 values for 10 points/);
    await expect(run((_t, n) => Array.from({ length: n }, () => 'x'))).rejects.toThrow(/returned a string at index 0/);
    await expect(run(() => 5)).rejects.toThrow(/must return an array of 10 numbers/);
    await expect(run(() => { throw new Error('boom'); })).rejects.toThrow(/logLikelihood threw: boom/);
    await expect(run(() => Promise.reject(new Error('async boom')))).rejects.toThrow(/logLikelihood threw: async boom/);
  });
});

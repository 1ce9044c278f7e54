import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { normalRng } from '../helpers.js';

function blob(seed: number, n: number, dim: number): Float64Array {
  const rnd = normalRng(seed);
  return Float64Array.from({ length: n * dim }, (_, i) => rnd() * (1 + (i % dim)) + (i % dim));
}

describe('Flow: save, load and reproducibility', () => {
  it('save → load continues exactly: same weights, whitening and random stream', async () => {
    const a = new Flow({ dim: 3, hidden: [32, 32], seed: 5 });
    await a.train(blob(1, 500, 3), { steps: 20 });
    const bytes = a.save();
    const b = Flow.load(bytes);
    expect(b.info.dim).toBe(3);
    expect(b.info.hidden).toEqual([32, 32]);
    expect(b.info.trainingSteps).toBe(20);
    expect(b.getParameters()).toEqual(a.getParameters());
    // Both continue the same stream: training and sampling agree bit for bit.
    const ta = await a.train(blob(2, 500, 3), { steps: 10 });
    const tb = await b.train(blob(2, 500, 3), { steps: 10 });
    expect(tb.loss).toEqual(ta.loss);
    const sa = await a.sample(100);
    const sb = await b.sample(100);
    expect(sb.x).toEqual(sa.x);
    expect(sb.logProb).toEqual(sa.logProb);
  });

  it('the same seed gives identical results with 1 and 2 threads', async () => {
    const run = async (threads: number) => {
      const f = new Flow({ dim: 2, hidden: [64, 64], seed: 9, threads });
      expect(f.info.threads).toBe(threads);
      const t = await f.train(blob(3, 3000, 2), { steps: 15, batchSize: 700 });
      const s = await f.sample(300);
      return { loss: t.loss, x: s.x, logProb: s.logProb, params: f.getParameters() };
    };
    const one = await run(1);
    const two = await run(2);
    expect(two.loss).toEqual(one.loss);
    expect(two.params).toEqual(one.params);
    expect(two.x).toEqual(one.x);
    expect(two.logProb).toEqual(one.logProb);
  });

  it('honours OMP_NUM_THREADS when no thread count is given', () => {
    const script = "const b = require('bindings')('nestflow'); console.log(new b.FlowHandle({ dim: 2 }).info().threads)";
    const threadsWith = (omp: string): number =>
      Number(execFileSync(process.execPath, ['-e', script], { env: { ...process.env, OMP_NUM_THREADS: omp }, encoding: 'utf8' }).trim());
    expect(threadsWith('1')).toBe(1);
    expect(threadsWith('3')).toBe(3);
  });

  it('load rejects garbage, truncated, corrupted and foreign bytes with a RangeError', async () => {
    const f = new Flow({ dim: 2, hidden: [16], seed: 1 });
    const good = f.save();
    expect(() => Flow.load(new Uint8Array([1, 2, 3]))).toThrow(RangeError);
    expect(() => Flow.load(new Uint8Array(1000))).toThrow(/bad magic/);
    expect(() => Flow.load(good.slice(0, good.length - 10))).toThrow(/checksum|truncated/);
    const flipped = good.slice();
    flipped[200]! ^= 0xff;
    expect(() => Flow.load(flipped)).toThrow(/checksum/);
    const newer = good.slice();
    newer[8] = 99;
    expect(() => Flow.load(newer)).toThrow(/version 99/);
    expect(() => Flow.load([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('early stopping restores the best validation weights', async () => {
    const f = new Flow({ dim: 2, hidden: [32], seed: 4 });
    const r = await f.train(blob(6, 400, 2), { steps: 2000, evalEvery: 5, patience: 3, validationFraction: 0.25 });
    expect(r.stepsRun).toBeLessThan(2000);
    expect(r.validationLoss.length).toBeGreaterThan(3);
    expect(r.bestStep).toBeGreaterThanOrEqual(0);
    const best = Math.min(...r.validationLoss);
    // The last patience evaluations did not improve on the best.
    expect(Math.min(...r.validationLoss.slice(-3))).toBeGreaterThanOrEqual(best);
  });

  it('reset() reinitialises: the untrained flow is the whitened Gaussian', async () => {
    const f = new Flow({ dim: 2, seed: 3 });
    await f.train(blob(7, 500, 2), { steps: 30 });
    f.reset(3);
    expect(f.info.trainingSteps).toBe(0);
    const { v, trace } = f.field(new Float64Array([0.3, -0.2]), 0.5);
    expect(Array.from(v)).toEqual([0, 0]);
    expect(trace[0]).toBe(0);
  });
});

describe('Flow: long calls are asynchronous', () => {
  it('the event loop keeps turning while train and sample run', async () => {
    const f = new Flow({ dim: 2, seed: 1 });
    let ticks = 0;
    let done = false;
    const tick = (): void => {
      ticks++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const work = f.train(blob(8, 2000, 2), { steps: 200 }).then(() => f.sample(20_000));
    const before = ticks;
    await work;
    done = true;
    // Synchronous work would leave no turn of the loop between start and end.
    expect(ticks - before).toBeGreaterThan(10);
  });

  it('queued calls on one flow run in order', async () => {
    const f = new Flow({ dim: 2, seed: 1 });
    const order: string[] = [];
    const a = f.train(blob(9, 500, 2), { steps: 30 }).then(() => order.push('train'));
    const b = f.sample(10).then(() => order.push('sample'));
    const c = f.logProb(new Float64Array([0, 0])).then(() => order.push('logProb'));
    await Promise.all([a, b, c]);
    expect(order).toEqual(['train', 'sample', 'logProb']);
  });
});

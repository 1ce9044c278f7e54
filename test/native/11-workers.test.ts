import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LikelihoodError, NestedSampler } from '../../lib/index.js';
import { gaussian } from '../../lib/problems.js';

const model = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'worker-model.ts');
const p = gaussian(2);
const run = (workers: number, logLikelihood: ConstructorParameters<typeof NestedSampler>[0]['logLikelihood'] = { module: model }, warnings: string[] = []) =>
  new NestedSampler({ logLikelihood, prior: p.prior, nLive: 100, seed: 7, workers, flow: { threads: 1 }, onWarning: (m) => warnings.push(m) }).run();

describe('likelihood worker threads', () => {
  it('1, 2 and 3 workers give the same run bit for bit', async () => {
    const [one, two, three] = [await run(1), await run(2), await run(3)];
    for (const r of [two, three]) {
      expect(r.logZ).toBe(one.logZ);
      expect(r.nLike).toBe(one.nLike);
      expect(Array.from(r.dead.logL)).toEqual(Array.from(one.dead.logL));
    }
    expect(Math.abs(one.logZ - p.logZ)).toBeLessThan(Math.max(3 * one.logZErr, 0.15));
  }, 120_000);

  it('a function cannot go to workers: it runs on the main thread, with a warning that says what to pass instead', async () => {
    const warnings: string[] = [];
    const r = await run(3, p.logLikelihood, warnings);
    expect(warnings.join('\n')).toMatch(/cannot be sent to worker threads.*\{ module:/);
    expect(r.logZ).toBe((await run(1)).logZ);
  }, 120_000);

  it('a likelihood that throws on a worker thread gives the usual LikelihoodError, naming the worker', async () => {
    process.env.NESTFLOW_THROW_ABOVE = '4.9';
    try {
      const err = await run(2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LikelihoodError);
      expect(err).toMatchObject({ code: 'LIKELIHOOD_THREW', message: expect.stringMatching(/detector offline at x0 = 4\.9\d* \(on worker thread [12] of 2\)/) });
    } finally {
      delete process.env.NESTFLOW_THROW_ABOVE;
    }
  }, 120_000);
});

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NestedSampler, writePolyChord } from '../../lib/index.js';
import { mergeRuns, writeMergedRun } from '../../lib/merge.js';
import { readPolyChord } from '../../lib/output.js';
import { readRunSummary } from '../../lib/run-summary.js';
import { gaussian } from '../../lib/problems.js';

const dir = mkdtempSync(join(tmpdir(), 'nestflow-merge-'));
const p = gaussian(2);
async function runTo(root: string, nLive: number, seed: number, problem = p): Promise<{ logZ: number; logZErr: number }> {
  const r = await new NestedSampler({ logLikelihood: problem.logLikelihood, prior: problem.prior, nLive, seed, flow: { threads: 2 }, onWarning: () => {} }).run();
  writePolyChord(r, root, { seed });
  return r;
}

describe('merging a job array', () => {
  it('four runs of nLive 125 merge into one run of 500 live points: log Z matches, its error that of one nLive-500 run', async () => {
    const roots = [];
    for (const seed of [1, 2, 3, 4]) {
      const root = join(dir, `g4-s${seed}`);
      await runTo(root, 125, seed);
      roots.push(root);
    }
    const single = await runTo(join(dir, 'g4-500'), 500, 9);
    const merged = mergeRuns(roots);
    expect(merged.evidence.nLive[0]).toBe(500);
    expect(merged.logL.length).toBe(roots.reduce((s, r) => s + readPolyChord(r).logL.length, 0));
    const e = merged.evidence;
    expect(Math.abs(e.logZ - p.logZ)).toBeLessThan(Math.max(3 * e.logZErr, 0.15));
    expect(Math.abs(e.logZErr / single.logZErr - 1)).toBeLessThan(0.15);
    // Written and read back: the files give the same evidence, and the .json says merged.
    const root = join(dir, 'g4-merged');
    writeMergedRun(merged, root);
    expect(readPolyChord(root).evidence.logZ).toBeCloseTo(e.logZ, 10);
    expect(readRunSummary(`${root}.json`)).toMatchObject({ status: 'merged', runs: roots, nDead: merged.logL.length });
  }, 300_000);

  it('refuses runs of different dimensions, naming them', async () => {
    const a = join(dir, 'g2');
    const b = join(dir, 'g3');
    await runTo(a, 50, 1, gaussian(2));
    await runTo(b, 50, 1, gaussian(3));
    expect(() => mergeRuns([a, b])).toThrow(new RegExp(`cannot merge ${b} \\(dim 3\\) with ${a} \\(dim 2\\)`));
    expect(() => mergeRuns([a])).toThrow(/at least two runs/);
  }, 120_000);
});

/**
 * Crafted checkpoints: a real checkpoint with each counter, accumulator,
 * array and flow edited and re-sealed (the SHA-256 is no defence against an
 * edit). Each resume runs in its own process under a time limit and a
 * memory watchdog and must be refused with a CheckpointError naming the
 * field, or end bit for bit like the untouched resume — never a different
 * answer. The children run the built package (dist/, built by `npm install`).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pMap from 'p-map';
import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { checkpointCases } from '../fuzz/checkpoint-cases.js';
import { childFailed, describeChild, runChild } from '../fuzz/harness.js';

const child = join(dirname(fileURLToPath(import.meta.url)), '..', 'fuzz', 'checkpoint-child.mjs');
// A sanitizer build (scripts/asan-check.sh) needs more memory and time per case.
const LIMITS = { timeoutMs: 60_000 * Number(process.env.NESTFLOW_FUZZ_SLOWDOWN ?? 1), maxRssMB: Number(process.env.NESTFLOW_FUZZ_MAX_RSS_MB ?? 200) };

describe('crafted checkpoints', () => {
  it('every edit is refused with a CheckpointError, or resumes to exactly the untouched result', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-fuzz-ckpt-'));
    const path = join(dir, 'run.ckpt');
    const made = await runChild(child, ['make', path], LIMITS);
    expect(made.report?.outcome).toBe('ok');
    const untouched = await runChild(child, ['resume', path], LIMITS);
    expect(untouched.report).toMatchObject({ outcome: 'ok', stopReason: 'maxIterations' });
    const foreign = new Flow({ dim: 3, hidden: [16], seed: 2 }).save();
    const cases = checkpointCases(new Uint8Array(readFileSync(path)), foreign);
    const results = await pMap(
      cases,
      async (c, i) => {
        const p = join(dir, `case-${i}.ckpt`);
        writeFileSync(p, c.bytes);
        return { name: c.name, ...(await runChild(child, ['resume', p], LIMITS)) };
      },
      { concurrency: 2 },
    );
    const same = (r: Record<string, unknown> | undefined): boolean =>
      r?.outcome === 'ok' && r.logZ === untouched.report!.logZ && r.nLike === untouched.report!.nLike;
    const bad = results.filter((r) => {
      const refused = r.report?.outcome === 'error' && r.report.name === 'CheckpointError' && typeof r.report.code === 'string';
      return childFailed(r, LIMITS) || !(refused || same(r.report));
    });
    expect(bad.map((r) => describeChild(r.name, r))).toEqual([]);
    const byName = new Map(results.map((r) => [r.name, r.report]));
    // The cases the issue names, refused for the right reason.
    expect(byName.get('evidence.logZ = Infinity')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'evidence.logZ' });
    expect(byName.get('finished = true')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'finished' });
    expect(byName.get('flows[0] of another dimension')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'flows[0]' });
    expect(byName.get('flows: one dropped')).toMatchObject({ field: 'flows' });
    expect(byName.get('live one row short')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'live' });
    expect(byName.get('iteration = -1')).toMatchObject({ code: 'CHECKPOINT_CORRUPT', field: 'state.iteration' });
    expect(byName.get('counts.stayed = -1')).toMatchObject({ code: 'CHECKPOINT_CORRUPT', field: 'state.counts.stayed' });
    expect(byName.get('nLike +1')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'nLike' });
    expect(byName.get('live.logL[0] = NaN')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'live.logL[0]' });
    expect(byName.get('rng = all zero')).toMatchObject({ code: 'CHECKPOINT_INCONSISTENT', field: 'rng' });
    expect(byName.get('flows[0] params[0] = NaN')).toMatchObject({ code: 'CHECKPOINT_CORRUPT', field: 'flows[0].params[0]' });
    const resumed = results.filter((r) => same(r.report)).map((r) => r.name);
    console.log(`checkpoint fuzz: ${results.length} cases, ${results.length - resumed.length} refused, ${resumed.length} resumed to the untouched result (${resumed.join('; ')})`);
  }, 600_000);
});

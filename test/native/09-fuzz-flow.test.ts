/**
 * Crafted flow files: every header field and both ends of every array set
 * to boundary values, re-sealed so the checksum passes. Each case runs in
 * its own process under a time limit and a memory watchdog; each must end
 * in a clean RangeError with a code, or load and give finite numbers.
 * The children run the built package (dist/, built by `npm install`).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pMap from 'p-map';
import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { flowCases } from '../fuzz/flow-cases.js';
import { childFailed, describeChild, runChild } from '../fuzz/harness.js';

const here = dirname(fileURLToPath(import.meta.url));
// A sanitizer build (scripts/asan-check.sh) needs more memory and time per case.
const LIMITS = { timeoutMs: 60_000 * Number(process.env.NESTFLOW_FUZZ_SLOWDOWN ?? 1), maxRssMB: Number(process.env.NESTFLOW_FUZZ_MAX_RSS_MB ?? 200) };

async function goodFlow(): Promise<Uint8Array> {
  const f = new Flow({ dim: 3, hidden: [8, 8], seed: 1, threads: 1 });
  const pts = Float64Array.from({ length: 64 * 3 }, (_, i) => Math.cos(i * 7.1) * 0.3 + 0.5);
  await f.train(pts, { steps: 5, validationFraction: 0 });
  return f.save();
}

describe('crafted flow files', () => {
  it('every field at its boundary values: a clean error with a code, or a flow that works; no crash, hang or big allocation', async () => {
    const good = await goodFlow();
    const cases = flowCases(good);
    expect(cases.length).toBeGreaterThan(100);
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-fuzz-flow-'));
    const results = await pMap(
      cases,
      async (c, i) => {
        const path = join(dir, `case-${i}.flow`);
        writeFileSync(path, c.bytes);
        return { name: c.name, ...(await runChild(join(here, '..', 'fuzz', 'flow-child.mjs'), [path], LIMITS)) };
      },
      { concurrency: 2 },
    );
    const bad = results.filter((r) => {
      const rep = r.report;
      const clean = rep?.outcome === 'error' && rep.name === 'RangeError' && typeof rep.code === 'string';
      const works = rep?.outcome === 'ok' && rep.finite === true;
      return childFailed(r, LIMITS) || !(clean || works);
    });
    expect(bad.map((r) => describeChild(r.name, r))).toEqual([]);
    // The reader names what it refused: the shape fields by name, before any allocation.
    const byName = new Map(results.map((r) => [r.name, r.report]));
    expect(byName.get('dim = -1')).toMatchObject({ code: 'FLOW_FIELD', field: 'dim' });
    expect(byName.get('timeFreqs = -1')).toMatchObject({ code: 'FLOW_FIELD', field: 'timeFreqs' });
    expect(byName.get('hidden[0] = 2^31-1')).toMatchObject({ code: 'FLOW_FIELD', field: 'hidden[0]' });
    expect(byName.get('rng = all zero')).toMatchObject({ code: 'FLOW_FIELD', field: 'rng' });
    expect(byName.get('adamStep = 2^64-1')).toMatchObject({ code: 'FLOW_FIELD', field: 'adamStep' });
    expect(byName.get('params[0] = NaN')).toMatchObject({ code: 'FLOW_NOT_FINITE', field: 'params[0]' });
    expect(byName.get('length + 1')).toMatchObject({ code: 'FLOW_TRAILING' });
    expect(byName.get('dim = 2^31-1')).toMatchObject({ code: 'FLOW_FIELD', field: 'dim' });
    const works = results.filter((r) => r.report?.outcome === 'ok').map((r) => r.name);
    expect(works).toContain('adamStep = 0');
    console.log(`flow fuzz: ${results.length} cases, ${results.length - works.length} refused cleanly, ${works.length} loaded and worked; peak RSS ${Math.max(...results.map((r) => r.peakRssMB)).toFixed(0)} MB`);
  }, 600_000);

  it('a flow file that claims a big network but is short is refused before anything is allocated', () => {
    // 80 bytes claiming dim 4096 and two 8192-wide layers: gigabytes if built first.
    const b = new Uint8Array(80);
    b.set(new TextEncoder().encode('NESTFLOW'), 0);
    const v = new DataView(b.buffer);
    v.setUint32(8, 1, true);
    v.setUint32(12, 4096, true);
    v.setUint32(16, 3, true);
    v.setUint32(20, 2, true);
    v.setUint32(24, 8192, true);
    v.setUint32(28, 8192, true);
    const rssBefore = process.memoryUsage().rss;
    expect(() => Flow.load(b)).toThrow(expect.objectContaining({ code: 'FLOW_TRUNCATED', field: 'length' }));
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(50 * 2 ** 20);
  });

  it('caps a call at 2^26 values before allocating, and sizes scratch to the threads that run', async () => {
    // 1000 threads and a wide net: scratch for every worker would take gigabytes.
    const f = new Flow({ dim: 10, hidden: [512, 512, 512], seed: 1, threads: 1000 });
    expect(() => f.sample(1e9)).toThrow(/at most 67108864 values/);
    const rssBefore = process.memoryUsage().rss;
    const s = await f.sample(1);
    expect(s.x.length).toBe(10);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 2 ** 20);
  });
});

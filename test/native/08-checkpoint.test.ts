import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, readCheckpoint } from '../../lib/checkpoint.js';
import { NestedSampler, type NestedSamplingResult } from '../../lib/index.js';
import { gaussian } from '../../lib/problems.js';
import { checkpointProblem } from '../fixtures/checkpoint-problem.js';

const dir = mkdtempSync(join(tmpdir(), 'nestflow-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectSameRun(a: NestedSamplingResult, b: NestedSamplingResult): void {
  expect(b.nLike).toBe(a.nLike);
  expect(b.logZ).toBe(a.logZ);
  expect(b.logZErr).toBe(a.logZErr);
  expect(b.nIterations).toBe(a.nIterations);
  expect(Buffer.from(b.dead.logL.buffer).equals(Buffer.from(a.dead.logL.buffer))).toBe(true);
  expect(Buffer.from(b.dead.theta.buffer).equals(Buffer.from(a.dead.theta.buffer))).toBe(true);
  expect(Buffer.from(b.dead.logLBirth.buffer).equals(Buffer.from(a.dead.logLBirth.buffer))).toBe(true);
}

let reference: NestedSamplingResult;
beforeAll(async () => {
  reference = await checkpointProblem().sampler.run();
}, 120_000);

describe('checkpoint files', () => {
  it('round-trip doubles bit for bit, non-finite numbers and typed arrays included', () => {
    const state = { a: -Infinity, b: NaN, c: 0.1 + 0.2, x: Float64Array.from([Math.PI, -0, 5e-324, Infinity]), f: Uint8Array.from([1, 0, 1]), list: [{ y: -Infinity }] };
    const back = decodeCheckpoint(encodeCheckpoint(state));
    expect(back.a).toBe(-Infinity);
    expect(Number.isNaN(back.b)).toBe(true);
    expect(back.c).toBe(0.1 + 0.2);
    expect(Array.from(back.x as Float64Array)).toEqual([Math.PI, -0, 5e-324, Infinity]);
    expect(Object.is((back.x as Float64Array)[1], -0)).toBe(true);
    expect(Array.from(back.f as Uint8Array)).toEqual([1, 0, 1]);
    expect((back.list as { y: number }[])[0]!.y).toBe(-Infinity);
  });

  it('foreign, truncated, corrupt and newer files are refused with a code that says which', () => {
    const good = encodeCheckpoint({ kind: 'nestflow-sampler', v: Float64Array.from([1, 2, 3]) });
    const code = (bytes: Uint8Array): string => {
      try {
        decodeCheckpoint(bytes);
      } catch (err) {
        expect(err).toBeInstanceOf(CheckpointError);
        return (err as CheckpointError).code;
      }
      return 'none';
    };
    expect(code(Buffer.from('{"kind":"nestflow-sampler"}'))).toBe('CHECKPOINT_FOREIGN');
    expect(code(good.subarray(0, 30))).toBe('CHECKPOINT_TRUNCATED');
    expect(code(good.subarray(0, good.length - 5))).toBe('CHECKPOINT_CORRUPT');
    const flipped = Buffer.from(good);
    flipped[flipped.length - 3]! ^= 0x20;
    expect(code(flipped)).toBe('CHECKPOINT_CORRUPT');
    const newer = Buffer.from(good);
    newer.writeUInt32LE(99, 16);
    expect(code(newer)).toBe('CHECKPOINT_VERSION');
    expect(() => readCheckpoint(join(dir, 'missing.ckpt'))).toThrow(/cannot read checkpoint/);
  });
});

describe('resume', () => {
  it('a run stopped by a cap and resumed ends exactly like an uninterrupted one', async () => {
    const path = join(dir, 'capped.ckpt');
    const first = await checkpointProblem({ maxIterations: 4 }).sampler.run({ checkpoint: { path } });
    expect(first.stopReason).toBe('maxIterations');
    const resumed = await checkpointProblem().sampler.run({ checkpoint: { path }, resume: path });
    expectSameRun(reference, resumed);
    expect(resumed.stopReason).toBe('converged');
  }, 120_000);

  it('resuming a finished run returns its result, checking only its live points against the likelihood', async () => {
    const path = join(dir, 'capped.ckpt');
    let calls = 0;
    const again = await checkpointProblem({ onCall: (n) => (calls += n) }).sampler.run({ resume: path });
    expect(calls).toBe(100);
    expectSameRun(reference, again);
  });

  it('refuses a checkpoint written with other settings, naming them', async () => {
    const path = join(dir, 'capped.ckpt');
    const p = gaussian(2);
    const other = new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 120, seed: 5, onWarning: () => {} });
    await expect(other.run({ resume: path })).rejects.toThrow(/other settings: nLive 100 \(now 120\)/);
  });

  it('refuses an unwritable checkpoint place before any likelihood call', async () => {
    let calls = 0;
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    await expect(checkpointProblem({ onCall: (n) => (calls += n) }).sampler.run({ checkpoint: { path: join(blocker, 'sub', 'run.ckpt') } })).rejects.toThrow(/cannot write checkpoints/);
    expect(calls).toBe(0);
  });
});

describe('SIGKILL and resume (child processes)', () => {
  const child = (path: string, resume: boolean) => {
    const p = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'fixtures', 'checkpoint-run.ts'), path, ...(resume ? ['resume'] : [])], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; out: string }>((resolve) => p.on('exit', (code) => resolve({ code, out })));
    return { p, exited };
  };

  const iterationOf = (path: string): number => {
    try {
      return (readCheckpoint(path).state as { iteration: number }).iteration;
    } catch {
      return -1;
    }
  };

  const finish = async (path: string): Promise<void> => {
    const { code, out } = await child(path, existsSync(path)).exited;
    expect(code).toBe(0);
    expect(JSON.parse(out.trim()).nLike).toBe(reference.nLike);
  };

  for (const killAfter of [2, 7]) {
    it(`killed after the checkpoint of iteration ${killAfter}, resumed, it ends exactly like an uninterrupted run`, async () => {
      const path = join(dir, `kill-${killAfter}.ckpt`);
      const { p, exited } = child(path, false);
      const timer = setInterval(() => {
        if (iterationOf(path) >= killAfter) p.kill('SIGKILL');
      }, 20);
      const { code } = await exited;
      clearInterval(timer);
      expect(code).toBeNull(); // killed, not finished
      expect(iterationOf(path)).toBeGreaterThanOrEqual(killAfter);
      await finish(path);
      // The finished checkpoint reproduces the reference in this process too.
      const r = await checkpointProblem().sampler.run({ resume: path });
      expectSameRun(reference, r);
    }, 180_000);
  }

  it('killed while it writes a checkpoint, the previous one stays good and the run resumes exactly', async () => {
    const sub = mkdtempSync(join(dir, 'write-'));
    const path = join(sub, 'run.ckpt');
    const { p, exited } = child(path, false);
    let writes = 0;
    // Kill as the third temporary file appears: mid-write or just after.
    const watcher = watch(sub, (_event, name) => {
      if (name && name.includes('.tmp-') && ++writes === 3) p.kill('SIGKILL');
    });
    await exited;
    watcher.close();
    expect(writes).toBeGreaterThanOrEqual(3);
    // Whatever the kill interrupted, run.ckpt is a whole, verified checkpoint.
    expect(iterationOf(path)).toBeGreaterThanOrEqual(1);
    await finish(path);
    expectSameRun(reference, await checkpointProblem().sampler.run({ resume: path }));
  }, 180_000);
});

describe('reproducibility (CPU backend)', () => {
  it('the same seed gives bit-identical runs, whatever the flow thread count', async () => {
    const p = gaussian(2);
    const runWith = (threads: number) =>
      new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 100, seed: 9, maxIterations: 6, flow: { threads }, onWarning: () => {} }).run();
    const one = await runWith(1);
    expectSameRun(one, await runWith(1));
    // Three threads split the GEMMs and batches differently; every reduction order is fixed.
    expectSameRun(one, await runWith(3));
  }, 120_000);
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPolyChord, formatFortran } from '../../lib/output.js';

const cli = resolve('lib/cli.ts');
function nestflow(args: string[], cwd = process.cwd()): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { cwd, encoding: 'utf8', timeout: 110_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nestflow run (subprocess)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-cli-'));
  const run = nestflow(['run', '--problem', 'gaussian', '--dim', '2', '--nlive', '100', '--seed', '3', '-o', dir, '--json']);
  const root = join(dir, 'gaussian-2d');

  it('finishes with exit code 0, one JSON summary line, and non-TTY progress lines', () => {
    expect(run.stderr).toMatch(/^it 0 logX/m);
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const s = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(s.stopReason).toBe('converged');
    expect(s.seed).toBe(3);
    expect(Math.abs((s.logZ as number) - -2 * Math.log(10))).toBeLessThanOrEqual(Math.max(3 * (s.logZErr as number), 0.15));
    const saved = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as Record<string, unknown>;
    expect(saved.status).toBe('finished');
    expect(saved.logZ).toBe(s.logZ);
  });

  it('writes PolyChord files in the layout of docs/file-formats.md', () => {
    const dead = readFileSync(`${root}_dead-birth.txt`, 'utf8').trimEnd().split('\n');
    // params…, logL, logL_birth in E24.15E3 fields.
    for (const line of dead) expect(line).toMatch(/^( [ -]0\.\d{15}E[+-]\d{3}){4}$/);
    const births = dead.map((l) => Number(l.trim().split(/\s+/)[3]));
    expect(births.filter((b) => b === -1e30)).toHaveLength(100); // the prior draws
    const stats = readFileSync(`${root}.stats`, 'utf8').split('\n');
    const tokens = stats[8]!.trim().split(/\s+/);
    expect(tokens[0]).toBe('log(Z)');
    const s = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as { logZ: number; logZErr: number; nLike: number };
    expect(Number(tokens[2])).toBeCloseTo(s.logZ, 12);
    expect(Number(tokens[4])).toBeCloseTo(s.logZErr, 12);
    expect(stats.find((l) => l.startsWith(' nlike:'))).toContain(String(s.nLike));
    expect(readFileSync(`${root}.paramnames`, 'utf8').split('\n')[0]).toMatch(/^theta0\s+theta0$/);
    const txt = readFileSync(`${root}.txt`, 'utf8').trimEnd().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    expect(Math.max(...txt.map((r) => r[0]!))).toBe(1);
    expect(readFileSync(`${root}_equal_weights.txt`, 'utf8').trimEnd().split('\n')[0]!.trim().split(/\s+/)[0]).toBe('0.100000000000000E+001');
    expect(existsSync(`${root}_phys_live-birth.txt`)).toBe(false);
  });

  it('log Z recomputed from _dead-birth.txt alone (births and deaths → live counts) agrees with the run', () => {
    const s = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as { logZ: number; nDead: number };
    const back = readPolyChord(root);
    expect(back.logL.length).toBe(s.nDead);
    // Same points, same algorithm; only the 15-digit rounding of the file differs.
    expect(Math.abs(back.evidence.logZ - s.logZ)).toBeLessThan(1e-9);
    expect(back.paramNames).toEqual(['theta0', 'theta1']);
  });

  it('a bad configuration exits 2 naming the field', () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'problem: rosenbrock\ndim: 4\nnLive: 1\ntolerance: -1\n');
    const r = nestflow(['run', '--config', cfg, '-o', dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/nLive: .*(>=|≥|at least|too small).*2/i);
    expect(r.stderr).toMatch(/tolerance:/);
    const unknown = nestflow(['run', '--problem', 'nope']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/nope/);
    const missingDim = nestflow(['run', '--problem', 'gaussian', '-o', dir]);
    expect(missingDim.status).toBe(2);
    expect(missingDim.stderr).toMatch(/dim: required by problem gaussian/);
  });

  it('a likelihood module that throws exits 1 with its message', () => {
    const mod = join(dir, 'throws.mjs');
    writeFileSync(
      mod,
      `import { priors } from ${JSON.stringify(resolve('lib/index.ts'))};\n` +
        `export const prior = priors.uniform([0, 0], [1, 1]);\n` +
        `export function logLikelihood() { throw new Error('model exploded'); }\n`,
    );
    const r = nestflow(['run', '--likelihood', mod, '-o', dir, '-q']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/logLikelihood threw: model exploded/);
  });

  it('a TypeScript likelihood module with paramNames runs', () => {
    const mod = join(dir, 'line.ts');
    writeFileSync(
      mod,
      `import { priors } from ${JSON.stringify(resolve('lib/index.ts'))};\n` +
        `export const prior = priors.uniform([-5], [5]);\n` +
        `export const paramNames = ['slope'];\n` +
        `export const vectorized = false;\n` +
        `export function logLikelihood(theta: Float64Array): number { return -0.5 * ((theta[0]! - 1) / 0.5) ** 2; }\n`,
    );
    const r = nestflow(['run', '--likelihood', mod, '-o', dir, '-n', '50', '--max-iterations', '3', '-q', '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).stopReason).toBe('maxIterations');
    expect(readFileSync(join(dir, 'line.paramnames'), 'utf8')).toMatch(/^slope/);
  });

  it('nestflow info names the backend, the GPU device or why there is none, and threads', () => {
    const r = nestflow(['info']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/backend \(auto\): (cpu|cuda)/);
    expect(r.stdout).toMatch(/^device: (none; (no CUDA device: .+|this build of nestflow has no CUDA backend .+)|.+compute capability \d+\.\d+.+driver .+)$/m);
    expect(r.stdout).toMatch(/threads: \d+/);
  });
});

describe('nestflow run --workers (subprocess)', () => {
  it('a likelihood module on two worker threads gives the run of one, bit for bit', () => {
    const model = resolve('test/fixtures/worker-model.ts');
    const logZ = (workers: string): number => {
      const dir = mkdtempSync(join(tmpdir(), `nestflow-workers-${workers}-`));
      const r = nestflow(['run', '-l', model, '-n', '60', '-s', '4', '--threads', '1', '--workers', workers, '-o', dir, '--json', '-q']);
      expect(r.status).toBe(0);
      return (JSON.parse(r.stdout.trim()) as { logZ: number }).logZ;
    };
    expect(logZ('2')).toBe(logZ('1'));
  }, 120_000);

  it('a likelihood that throws on a worker thread: exit 1 with the LikelihoodError naming the thread, <root>.json failed, the checkpoint kept', () => {
    const model = resolve('test/fixtures/worker-model.ts');
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-workers-fail-'));
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'run', '-l', model, '-n', '60', '-s', '4', '--threads', '1', '--workers', '2', '-o', dir, '-q'], {
      encoding: 'utf8',
      timeout: 110_000,
      env: { ...process.env, NESTFLOW_THROW_AFTER: '150' }, // each thread counts its own points
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nestflow: error: logLikelihood threw: detector offline at x0 = \S+ \(on worker thread [12] of 2\)/);
    expect(JSON.parse(readFileSync(join(dir, 'worker-model.json'), 'utf8'))).toMatchObject({ status: 'failed' });
    expect(existsSync(join(dir, 'worker-model.checkpoint'))).toBe(true);
  }, 120_000);
});

describe('nestflow merge (subprocess)', () => {
  it('merges two runs into one (PolyChord files and a merged .json), and refuses runs of another dimension by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-merge-cli-'));
    for (const [root, d, s] of [['a', '2', '1'], ['b', '2', '2'], ['c', '3', '1']] as const)
      expect(nestflow(['run', '-p', 'gaussian', '-d', d, '-n', '40', '-s', s, '--threads', '1', '-o', dir, '--file-root', root, '-q']).status).toBe(0);
    const ok = nestflow(['merge', join(dir, 'a'), join(dir, 'b'), '-r', join(dir, 'ab')]);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/merged 2 runs: logZ = -?\d\.\d+ ± \d\.\d+ \(reference -4\.605/);
    expect(JSON.parse(readFileSync(join(dir, 'ab.json'), 'utf8'))).toMatchObject({ status: 'merged', problem: 'gaussian-2d' });
    expect(readPolyChord(join(dir, 'ab')).evidence.nLive[0]).toBe(80);
    const bad = nestflow(['merge', join(dir, 'a'), join(dir, 'c'), '-r', join(dir, 'ac')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/cannot merge .*c \(dim 3\) with .*a \(dim 2\)/);
  }, 120_000);
});

describe('Fortran number format', () => {
  it('writes E24.15E3 fields', () => {
    expect(formatFortran(12.3456789)).toBe('  0.123456789000000E+002');
    expect(formatFortran(-0.001)).toBe(' -0.100000000000000E-002');
    expect(formatFortran(0)).toBe('  0.000000000000000E+000');
    expect(formatFortran(-Infinity)).toBe(' -0.100000000000000E+031');
    expect(formatFortran(9.9999999999999999)).toBe('  0.100000000000000E+002');
    for (const v of [Math.PI, -2.5e-300, 7e200]) expect(Number(formatFortran(v))).toBeCloseTo(v, 12 - Math.log10(Math.abs(v)));
  });
});

describe('nestflow run: SIGTERM, checkpoint and --resume (subprocess)', () => {
  it('SIGTERM writes a checkpoint and exits 143; --resume ends exactly like an uninterrupted run', async () => {
    const { spawn } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-cli-resume-'));
    const args = ['run', '--problem', 'gaussian', '--dim', '2', '--nlive', '100', '--seed', '4', '--threads', '1', '--json'];
    const whole = nestflow([...args, '-o', join(dir, 'whole')]);
    expect(whole.status).toBe(0);
    const expected = JSON.parse(whole.stdout.trim()) as { logZ: number; nLike: number };

    const out = join(dir, 'split');
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...args, '-o', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Signal once the run is under way (after its third iteration).
      if (/^it 3 /m.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    });
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    expect(code).toBe(143);
    expect(stderr).toMatch(/SIGTERM: finishing this iteration/);
    const status = JSON.parse(readFileSync(join(out, 'gaussian-2d.json'), 'utf8')) as Record<string, unknown>;
    expect(status.status).toBe('interrupted');
    expect(existsSync(join(out, 'gaussian-2d.checkpoint'))).toBe(true);
    expect(existsSync(join(out, 'gaussian-2d.stats'))).toBe(false); // nothing claims a finished run

    const resumed = nestflow([...args, '-o', out, '--resume']);
    expect(resumed.status).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from/);
    const got = JSON.parse(resumed.stdout.trim()) as { logZ: number; nLike: number };
    expect(got.nLike).toBe(expected.nLike);
    expect(got.logZ).toBe(expected.logZ);
    // The progress counts the whole run, not just the part after the resume.
    const last = resumed.stderr.split('\n').filter((l) => /^it \d+ /.test(l)).pop()!;
    expect(Number(/ nLike (\d+) /.exec(last)![1])).toBe(expected.nLike);
    expect(readFileSync(join(out, 'gaussian-2d_dead-birth.txt'), 'utf8')).toBe(readFileSync(join(dir, 'whole', 'gaussian-2d_dead-birth.txt'), 'utf8'));
  }, 240_000);
});

describe('bad input: a clear error, the last checkpoint intact, no file claiming a finished run (subprocess)', () => {
  const module = resolve('test/fixtures/bad-likelihood.ts');
  const cases: [mode: string, message: RegExp][] = [
    ['nan', /logLikelihood returned NaN at theta = \[-?\d/],
    ['inf', /logLikelihood returned Infinity at theta = \[/],
    ['length', /logLikelihood returned \d+ values for \d+ points/],
    ['type', /logLikelihood returned a string at index 0, expected a number/],
    ['throw', /logLikelihood threw: detector offline/],
    ['reject', /logLikelihood threw: remote model timed out/],
  ];
  for (const [mode, message] of cases) {
    it(`likelihood ${mode} after the start`, async () => {
      const { readCheckpoint } = await import('../../lib/checkpoint.js');
      const dir = mkdtempSync(join(tmpdir(), `nestflow-bad-${mode}-`));
      // 100 prior draws and ~4 iterations are fine; then it misbehaves.
      const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'run', '-l', module, '-n', '100', '-s', '2', '--threads', '1', '-o', dir, '-q'], {
        encoding: 'utf8',
        timeout: 110_000,
        env: { ...process.env, NESTFLOW_BAD: mode, NESTFLOW_BAD_AFTER: '400' },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      const status = JSON.parse(readFileSync(join(dir, 'bad-likelihood.json'), 'utf8')) as Record<string, unknown>;
      expect(status.status).toBe('failed');
      expect(String(status.error)).toMatch(message);
      expect(existsSync(join(dir, 'bad-likelihood.stats'))).toBe(false);
      expect(existsSync(join(dir, 'bad-likelihood_dead-birth.txt'))).toBe(false);
      const saved = readCheckpoint(join(dir, 'bad-likelihood.checkpoint')).state as { finished: boolean; iteration: number };
      expect(saved.finished).toBe(false);
      expect(saved.iteration).toBeGreaterThanOrEqual(1);
    }, 120_000);
  }

  it('an output directory that cannot be written exits 2 before any likelihood call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-unwritable-'));
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const r = nestflow(['run', '-p', 'gaussian', '-d', '2', '-n', '50', '-o', join(blocker, 'chains'), '-q']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write to output directory/);
  });

  it('a corrupt, truncated or foreign checkpoint is refused by --resume and left as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-badckpt-'));
    const path = join(dir, 'gaussian-2d.checkpoint');
    for (const [content, message] of [
      ['{"not": "a checkpoint"}', /not a nestflow checkpoint/],
      ['NESTFLOW-CKPT\n\0\0\x01', /truncated/],
      [`NESTFLOW-CKPT\n\0\0\x03\0\0\0${'x'.repeat(32)}{"kind":"nestflow-sampler"}`, /corrupt or truncated/],
      [`NESTFLOW-CKPT\n\0\0\x01\0\0\0${'x'.repeat(32)}{"kind":"nestflow-sampler"}`, /format version 1; this nestflow reads version 3/],
    ] as const) {
      writeFileSync(path, content, 'latin1');
      const r = nestflow(['run', '-p', 'gaussian', '-d', '2', '-n', '50', '-o', dir, '--resume', '-q']);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(readFileSync(path, 'latin1')).toBe(content);
    }
  });

  it('a checkpoint edited and re-sealed is refused by --resume, naming the field, and <root>.json says failed', async () => {
    const { decodeCheckpoint, encodeCheckpoint } = await import('../../lib/checkpoint.js');
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-editedckpt-'));
    const args = ['run', '-p', 'gaussian', '-d', '2', '-n', '50', '--threads', '1', '-o', dir, '-q'];
    expect(nestflow([...args, '--max-iterations', '3']).status).toBe(0);
    const path = join(dir, 'gaussian-2d.checkpoint');
    const ck = decodeCheckpoint(readFileSync(path)) as { state: { evidence: { logZ: number } } };
    ck.state.evidence.logZ = Infinity;
    writeFileSync(path, encodeCheckpoint(ck));
    const r = nestflow([...args, '--resume']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/evidence\.logZ is Infinity, but the dead points give -?\d/);
    expect(JSON.parse(readFileSync(join(dir, 'gaussian-2d.json'), 'utf8'))).toMatchObject({ status: 'failed' });
  });

  it('a final write that fails leaves <root>.json at failed, not running', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-finalwrite-'));
    mkdirSync(join(dir, 'gaussian-2d.stats')); // a directory where the .stats file goes
    const r = nestflow(['run', '-p', 'gaussian', '-d', '2', '-n', '50', '--threads', '1', '-o', dir, '-q']);
    expect(r.status).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'gaussian-2d.json'), 'utf8'))).toMatchObject({ status: 'failed', error: expect.stringMatching(/gaussian-2d\.stats/) });
  });
});

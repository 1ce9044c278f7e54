import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNativeMpi } from '../../lib/mpi/native-mpi.js';
import { mpiLaunch } from '../../lib/mpi/world.js';

// These tests drive Open MPI's mpirun (as root in CI, on 2 cores: hence the
// two flags). Without it, or without the MPI addon, they skip — unless
// NESTFLOW_REQUIRE_MPI=1 (set by .ci/run, which installs Open MPI).
const mpirunVersion = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
const openMpi = mpirunVersion.status === 0 && /Open MPI/.test(mpirunVersion.stdout);
const addon = loadNativeMpi();
const missing = !openMpi ? 'Open MPI\'s mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)' : !addon.addon ? addon.reason : undefined;
if (missing && process.env.NESTFLOW_REQUIRE_MPI === '1') throw new Error(`NESTFLOW_REQUIRE_MPI=1 but ${missing}`);
if (missing) console.warn(`MPI tests skipped: ${missing}`);

const cli = resolve('lib/cli.ts');
const model = resolve('test/fixtures/worker-model.ts');
const libraryRun = resolve('test/fixtures/mpi-library-run.ts');
const MPIRUN = ['--allow-run-as-root', '--oversubscribe'];

interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node --import tsx <script> …` on `ranks` processes (0: without mpirun); `whileRunning` may signal it. */
function launch(ranks: number, script: string, args: string[], env: Record<string, string> = {}, whileRunning?: (pid: number) => Promise<void>): Promise<Exit> {
  const node = [process.execPath, '--import', 'tsx', script, ...args];
  const passEnv = Object.keys(env).flatMap((k) => ['-x', k]);
  const [cmd, ...rest] = ranks === 0 ? node : ['mpirun', ...MPIRUN, ...passEnv, '-np', String(ranks), ...node];
  const child = spawn(cmd!, rest, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Exit>((res) => child.on('close', (status) => res({ status, stdout, stderr })));
  void whileRunning?.(child.pid!);
  return done;
}

const runArgs = (out: string, ...more: string[]) => ['run', '-l', model, '-n', '100', '-s', '7', '--threads', '1', '-o', out, ...(more.includes('--progress') ? [] : ['-q']), ...more.filter((m) => m !== '--progress')];
const deadBirth = (out: string) => readFileSync(join(out, 'worker-model_dead-birth.txt'), 'utf8');
const summary = (out: string) => JSON.parse(readFileSync(join(out, 'worker-model.json'), 'utf8')) as Record<string, unknown>;
const waitFor = async (path: string) => {
  while (!existsSync(path)) await new Promise((r) => setTimeout(r, 100));
};

describe('MPI launch detection', () => {
  it('reads the size from Open MPI or PMI, takes PMIx without one, and ignores a single process', () => {
    expect(mpiLaunch({ OMPI_COMM_WORLD_SIZE: '4' })).toMatchObject({ size: 4 });
    expect(mpiLaunch({ OMPI_COMM_WORLD_SIZE: '1' })).toBeUndefined();
    expect(mpiLaunch({ PMI_SIZE: '8' })).toMatchObject({ size: 8 });
    expect(mpiLaunch({ PMIX_RANK: '0' })).toMatchObject({ launcher: expect.stringMatching(/PMIx/) });
    expect(mpiLaunch({})).toBeUndefined();
  });
});

describe('nestflow info and a launch that cannot work', () => {
  it('nestflow info names the MPI library, or says why there is none', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'info'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(addon.addon ? /^MPI: \S.* \(mpirun -np N nestflow run/m : /^MPI: none; this nestflow was built without MPI/m);
  });

  it('a launch as 3 processes that cannot work together (MPI sees one, or no MPI built) refuses to start: exit 2, nothing written', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nestflow-mpi-mismatch-')), 'chains');
    const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...runArgs(out)], { encoding: 'utf8', env: { ...process.env, PMI_SIZE: '3' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(addon.addon ? /as 3 processes, but MPI sees 1: the launcher and the MPI library .* do not match/ : /as 3 processes, but this nestflow was built without MPI/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(missing !== undefined)('MPI ranks (mpirun)', () => {
  const serialOut = mkdtempSync(join(tmpdir(), 'nestflow-mpi-1-'));
  let serialRun: Promise<Exit> | undefined;
  const serial = () => (serialRun ??= launch(0, cli, runArgs(serialOut, '--json')));

  it('1 process and 3 ranks give the same run bit for bit; the progress says where the likelihood ran', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nestflow-mpi-3-'));
    const [one, three] = [await serial(), await launch(3, cli, runArgs(out, '--json', '--progress'))];
    expect(three.stderr + three.stdout).toMatch(/on 3 MPI ranks/);
    expect(one.status).toBe(0);
    expect(three.status, three.stderr).toBe(0);
    const [a, b] = [JSON.parse(one.stdout) as Record<string, unknown>, JSON.parse(three.stdout) as Record<string, unknown>];
    expect(b.logZ).toBe(a.logZ);
    expect(b.nLike).toBe(a.nLike);
    expect(deadBirth(out)).toBe(deadBirth(serialOut));
  }, 180_000);

  it('a likelihood that throws on rank 1 gives the usual LikelihoodError naming the rank (library)', async () => {
    const r = await launch(3, libraryRun, [], { NESTFLOW_THROW_AFTER: '100', NESTFLOW_THROW_RANK: '1' });
    expect(r.status).toBe(1);
    const line = JSON.parse(r.stdout.trim().split('\n')[0]!) as { error: Record<string, string> };
    expect(line.error).toMatchObject({ name: 'LikelihoodError', code: 'LIKELIHOOD_THREW', message: expect.stringMatching(/detector offline at x0 = -?\d\.\d+ \(on MPI rank 1 of 3\)/) });
  }, 180_000);

  it('a failing rank 2 ends the job with exit 1 and the checkpoint kept; --resume on 2 ranks gives the uninterrupted run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nestflow-mpi-fail-'));
    const failed = await launch(3, cli, runArgs(out), { NESTFLOW_THROW_AFTER: '300', NESTFLOW_THROW_RANK: '2' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/nestflow: error: logLikelihood threw: detector offline at x0 = \S+ \(on MPI rank 2 of 3\)/);
    expect(summary(out)).toMatchObject({ status: 'failed', error: expect.stringMatching(/on MPI rank 2 of 3/) });
    expect(existsSync(join(out, 'worker-model.checkpoint'))).toBe(true);
    const resumed = await launch(2, cli, runArgs(out, '--resume'));
    expect(resumed.status, resumed.stderr).toBe(0);
    await serial();
    expect(deadBirth(out)).toBe(deadBirth(serialOut));
  }, 180_000);

  it('SIGTERM to mpirun leaves a checkpoint that resumes, in one process, to the uninterrupted run', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nestflow-mpi-term-'));
    const stopped = await launch(3, cli, runArgs(out), { NESTFLOW_DELAY_MS: '40' }, async (pid) => {
      await waitFor(join(out, 'worker-model.checkpoint'));
      process.kill(pid, 'SIGTERM');
    });
    expect(stopped.status).not.toBe(0);
    // Rank 0 stops at the end of the iteration (status "interrupted"); had
    // mpirun's kill come first, the last checkpoint would stand ("running").
    expect(summary(out).status).toMatch(/^(interrupted|running)$/);
    const resumed = await launch(0, cli, runArgs(out, '--resume'));
    expect(resumed.status, resumed.stderr).toBe(0);
    await serial();
    expect(deadBirth(out)).toBe(deadBirth(serialOut));
  }, 180_000);

  it('SIGUSR1, which mpirun passes on, stops the job cleanly: "interrupted", exit 138, and 3 ranks resume it', async () => {
    const out = mkdtempSync(join(tmpdir(), 'nestflow-mpi-usr1-'));
    const stopped = await launch(3, cli, runArgs(out), { NESTFLOW_DELAY_MS: '40' }, async (pid) => {
      await waitFor(join(out, 'worker-model.checkpoint'));
      process.kill(pid, 'SIGUSR1');
    });
    expect(stopped.status).toBe(138);
    expect(summary(out).status).toBe('interrupted');
    const resumed = await launch(3, cli, runArgs(out, '--resume'));
    expect(resumed.status, resumed.stderr).toBe(0);
    await serial();
    expect(deadBirth(out)).toBe(deadBirth(serialOut));
  }, 180_000);
});

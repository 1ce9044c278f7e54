import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CUDA kernels and backends compile wherever nvcc exists (GPU or not), so
// they cannot rot. scripts/gpu-check.sh — what a GPU machine without Node
// runs — builds cuda/ with CMake and runs its ctest executables: the device
// checks pass where a GPU answers and report "skipped" with the reason elsewhere.
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const nvcc = has('nvcc', ['--version']);
const cmake = has('cmake', ['--version']);

describe('CUDA kernels and backends (cuda/, through scripts/gpu-check.sh)', () => {
  it.skipIf(!nvcc || !cmake)(`compile for sm_80 and sm_90 and pass or skip every test, and the throughput run answers${!nvcc ? ' (skipped: no nvcc on this machine)' : !cmake ? ' (skipped: no cmake)' : ''}`, () => {
    const out = mkdtempSync(join(tmpdir(), 'nestflow-gpu-check-'));
    try {
      const r = spawnSync('bash', ['scripts/gpu-check.sh'], { encoding: 'utf8', env: { ...process.env, OUT: out, GPU_CHECK_JOBS: '2' } });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(readFileSync(join(out, 'configure.txt'), 'utf8')).toContain('architectures 80;90');
      const ctest = readFileSync(join(out, 'ctest.txt'), 'utf8');
      // The host known-answer test always runs and passes.
      expect(ctest).toMatch(/philox_host \.+\s+Passed/);
      expect(ctest).toContain('philox4x32-10 known answers: ok');
      let skipped = false;
      for (const name of ['philox_device', 'field', 'train', 'backend_agreement']) {
        const line = new RegExp(`${name} \\.+\\s*(\\*\\*\\*Skipped|Passed)`).exec(ctest);
        expect(line, `${name} neither passed nor skipped:\n${ctest}`).not.toBeNull();
        if (line![1] === '***Skipped') skipped = true;
      }
      // A skip always says why, and then the throughput run says it has no GPU to measure.
      const throughput = readFileSync(join(out, 'throughput.md'), 'utf8');
      if (skipped) {
        expect(ctest).toMatch(/skipped: no CUDA device/);
        expect(throughput).toMatch(/^no GPU to measure: no CUDA device/);
      } else {
        expect(throughput).toMatch(/sampling, d = 10, batch 1e5: GPU\/CPU = /);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 600_000);
});

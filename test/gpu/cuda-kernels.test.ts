import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CUDA kernels compile wherever nvcc exists (GPU or not), so they cannot
// rot; their ctest executables run the device checks where a GPU answers and
// report "skipped" with the reason elsewhere.
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const nvcc = has('nvcc', ['--version']);
const cmake = has('cmake', ['--version']);

describe('CUDA kernels (cuda/, built by CMake, run by ctest)', () => {
  it.skipIf(!nvcc || !cmake)(`compile for sm_80 and sm_90 and pass or skip their tests${!nvcc ? ' (skipped: no nvcc on this machine)' : !cmake ? ' (skipped: no cmake)' : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-cuda-'));
    try {
      const configure = spawnSync('cmake', ['-S', resolve('cuda'), '-B', dir], { encoding: 'utf8' });
      expect(configure.status, configure.stdout + configure.stderr).toBe(0);
      expect(configure.stdout).toContain('architectures 80;90');
      const build = spawnSync('cmake', ['--build', dir, '-j', '2'], { encoding: 'utf8' });
      expect(build.status, build.stdout + build.stderr).toBe(0);
      const ctest = spawnSync('ctest', ['--test-dir', dir, '-V'], { encoding: 'utf8' });
      expect(ctest.status, ctest.stdout).toBe(0);
      // The host known-answer test always runs and passes.
      expect(ctest.stdout).toMatch(/philox_host \.+\s+Passed/);
      expect(ctest.stdout).toContain('philox4x32-10 known answers: ok');
      for (const name of ['philox_device', 'field', 'train']) {
        const line = new RegExp(`${name} \\.+\\s*(\\*\\*\\*Skipped|Passed)`).exec(ctest.stdout);
        expect(line, `${name} neither passed nor skipped:\n${ctest.stdout}`).not.toBeNull();
        // A skip always says why.
        if (line![1] === '***Skipped') expect(ctest.stdout).toMatch(/skipped: (no CUDA device|built without CUDA)/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

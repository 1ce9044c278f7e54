import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The package as a user gets it: npm pack, then npm install of the tarball
// in an empty project on a PATH with node, npm and sh only (no cmake, no
// compiler). Needs the npm registry for the dependencies, as any install does.
describe('install from the packed tarball without a compiler (subprocess)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-pack-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // npm's own script: the one running this test (npm test), else the npm on PATH.
  const npmCli = /npm-cli\.js$/.test(process.env.npm_execpath ?? '') ? process.env.npm_execpath! : realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(npmCli, join(bin, 'npm'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
  const env = { HOME: process.env.HOME ?? dir, PATH: bin, npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? dir, '.npm') };
  const npm = (args: string[], cwd: string) => spawnSync(join(bin, 'npm'), args, { cwd, env, encoding: 'utf8', timeout: 300_000 });

  it('installs with the prebuilt addon (no build/), and the quick start runs — with install scripts, and without them', () => {
    expect(spawnSync('cc', ['--version'], { env }).error).toBeDefined(); // no compiler on this PATH
    // prepack's step by hand, then pack without scripts: prepare would rewrite
    // dist/, which other tests' child processes are reading meanwhile.
    expect(spawnSync(process.execPath, ['scripts/prebuild.mjs'], { encoding: 'utf8' }).status).toBe(0);
    const pack = spawnSync(process.execPath, [npmCli, 'pack', '--ignore-scripts', '--pack-destination', dir, '--silent'], { encoding: 'utf8', timeout: 300_000 });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = join(dir, pack.stdout.trim().split('\n').pop()!);
    for (const [name, flags] of [['with-scripts', ['--foreground-scripts']], ['no-scripts', ['--ignore-scripts']]] as const) {
      const app = join(dir, name);
      mkdirSync(app);
      writeFileSync(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
      const install = npm(['install', tarball, '--no-audit', '--no-fund', ...flags], app);
      expect(install.status, install.stderr).toBe(0);
      if (name === 'with-scripts') expect(install.stdout).toMatch(/nestflow: using the prebuilt addon .*prebuilds\/linux-x64\/nestflow\.node/);
      expect(existsSync(join(app, 'node_modules', 'nestflow', 'build'))).toBe(false);
      const run = spawnSync(join(app, 'node_modules', '.bin', 'nestflow'), ['run', '--problem', 'rosenbrock', '--dim', '4', '--max-iterations', '3', '-o', join(app, 'chains'), '-q', '--json'], { cwd: app, env, encoding: 'utf8', timeout: 120_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 'finished', stopReason: 'maxIterations' });
    }
  }, 600_000);
});

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = resolve('lib/cli.ts');
// tsx by URL: some tests run from a folder where it would not resolve by name.
const tsx = import.meta.resolve('tsx');
const nestflow = (args: string[], cwd = process.cwd()) => spawnSync(process.execPath, ['--import', tsx, cli, ...args], { cwd, encoding: 'utf8', timeout: 110_000 });
const quick = ['-n', '50', '-s', '1', '--threads', '1', '-q', '--max-iterations', '3'];

// A model in a folder of its own, far from this package: it imports 'nestflow' by name.
const model = `import { priors, problems } from 'nestflow';
const p = problems.gaussian(2);
export const prior = priors.uniform([-5, -5], [5, 5]);
export const logLikelihood = p.logLikelihood;
`;

describe('likelihood modules outside the package (subprocess)', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'nestflow-elsewhere-'));
  writeFileSync(join(elsewhere, 'model.ts'), model); // tsx compiles it as CommonJS (no package.json)
  const esm = join(elsewhere, 'esm');
  mkdirSync(esm);
  writeFileSync(join(esm, 'model.mjs'), model);

  it.each([['a .ts module (CommonJS)', join(elsewhere, 'model.ts')], ['an ES module', join(esm, 'model.mjs')]])('%s that imports nestflow by name resolves to the running nestflow', (_, path) => {
    const r = nestflow(['run', '-l', path, ...quick, '-o', join(elsewhere, 'chains')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a relative likelihood path in a config file is relative to the config file, not the working directory', () => {
    const jobs = join(elsewhere, 'jobs');
    mkdirSync(jobs);
    writeFileSync(join(jobs, 'run.yaml'), 'likelihood: ../model.ts\nnLive: 50\n');
    const r = nestflow(['run', '-c', join(jobs, 'run.yaml'), '--threads', '1', '-q', '--max-iterations', '2', '-o', join(elsewhere, 'chains')], tmpdir());
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a module that fails to load — a syntax error, bad prior bounds at import — is a usage error: exit 2, saying why', () => {
    writeFileSync(join(elsewhere, 'broken.ts'), 'export const prior = ;\n');
    writeFileSync(join(elsewhere, 'bounds.ts'), "import { priors } from 'nestflow';\nexport const prior = priors.uniform([1], [0]);\nexport const logLikelihood = () => [0];\n");
    for (const [file, why] of [['broken.ts', /cannot load likelihood module .*broken\.ts/], ['bounds.ts', /cannot load likelihood module .*bounds\.ts: .*upper/]] as const) {
      const r = nestflow(['run', '-l', join(elsewhere, file), ...quick, '-o', join(elsewhere, 'chains')]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toMatch(why);
    }
  });

  it('a per-point function without vectorized = false is told what to export', () => {
    writeFileSync(join(elsewhere, 'point.ts'), "import { priors } from 'nestflow';\nexport const prior = priors.uniform([-5], [5]);\nexport const logLikelihood = (theta: Float64Array) => -0.5 * theta[0]! ** 2;\n");
    const r = nestflow(['run', '-l', join(elsewhere, 'point.ts'), ...quick, '-o', join(elsewhere, 'chains')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/got number: it looks like a per-point function \(theta\) => number — export `vectorized = false`/);
  });
});

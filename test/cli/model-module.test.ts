import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

describe('a model with its data, setup options, derived parameters and labels (subprocess)', () => {
  const example = resolve('examples/line-fit');
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-line-fit-'));

  it('setup reads --data in the main thread and in every worker; derived columns and LaTeX labels reach .paramnames, the files and the summary', () => {
    const r = nestflow(['run', '-l', join(example, 'model.ts'), '--data', join(example, 'data.csv'), '-n', '100', '-s', '2', '--threads', '1', '--workers', '2', '-o', dir, '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'model.paramnames'), 'utf8')).toBe('m   m\nc   c\ny10*   y(10)\nangle*   \\theta\n');
    const dead = readFileSync(join(dir, 'model_dead-birth.txt'), 'utf8').trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    expect(dead.every((row) => row.length === 6)).toBe(true); // m, c, y10, angle, logL, logL_birth
    for (const [m, c, y10, angle] of dead.slice(0, 50)) {
      expect(y10).toBeCloseTo(10 * m! + c!, 12);
      expect(angle).toBeCloseTo(Math.atan(m!), 12);
    }
    const s = JSON.parse(r.stdout) as { parameters: Array<{ name: string; median: number; ci95: [number, number] }> };
    expect(s.parameters.map((p) => p.name)).toEqual(['m', 'c', 'y10', 'angle']);
    // The data were drawn from slope 0.8: inside the 95% interval.
    expect(s.parameters[0]!.ci95[0]).toBeLessThan(0.8);
    expect(s.parameters[0]!.ci95[1]).toBeGreaterThan(0.8);
    // The corner plot titles its axes with the labels, LaTeX shown in Unicode.
    expect(nestflow(['plot', join(dir, 'model'), '--format', 'svg', '--no-html']).status).toBe(0);
    const svg = readFileSync(join(dir, 'model_corner.svg'), 'utf8');
    expect(svg).toContain('>θ<');
    expect(svg).toContain('>y(10)<');
  }, 120_000);

  it('runs with derived parameters merge with them still derived, labels kept', () => {
    const other = nestflow(['run', '-l', join(example, 'model.ts'), '--data', join(example, 'data.csv'), '-n', '60', '-s', '3', '--threads', '1', '-o', dir, '-r', 'model-b', '-q']);
    expect(other.status, other.stderr).toBe(0);
    const merged = nestflow(['merge', join(dir, 'model'), join(dir, 'model-b'), '-r', join(dir, 'merged')]);
    expect(merged.status, merged.stderr).toBe(0);
    expect(readFileSync(join(dir, 'merged.paramnames'), 'utf8')).toBe('m   m\nc   c\ny10*   y(10)\nangle*   \\theta\n');
    const rows = readFileSync(join(dir, 'merged_dead-birth.txt'), 'utf8').trim().split('\n');
    expect(rows.every((r) => r.trim().split(/\s+/).length === 6)).toBe(true);
  }, 120_000);

  it('the config file\'s model: section reaches setup, and its data path is relative to the file', () => {
    mkdirSync(join(dir, 'data'), { recursive: true });
    writeFileSync(join(dir, 'data', 'line.csv'), readFileSync(join(example, 'data.csv')));
    const config = (scale: number) => {
      const path = join(dir, `run-${scale}.yaml`);
      // data/line.csv exists beside the config, not in the working directory.
      writeFileSync(path, `likelihood: ${join(example, 'model.ts')}\ndata: data/line.csv\nmodel:\n  sigmaScale: ${scale}\nnLive: 50\nmaxIterations: 2\n`);
      const r = nestflow(['run', '-c', path, '--threads', '1', '-o', join(dir, `s${scale}`), '-q', '--json']);
      expect(r.status, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { logZ: number }).logZ;
    };
    // Doubling every σ changes the normalisation alone by 20 ln 2 ≈ 13.9 nats.
    expect(Math.abs(config(1) - config(2))).toBeGreaterThan(5);
  }, 120_000);

  it('no data for a setup that needs it, or a data file that does not exist: exit 2, saying which', () => {
    const missing = nestflow(['run', '-l', join(example, 'model.ts'), ...quick, '-o', dir]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/setup failed: give the data file/);
    const absent = nestflow(['run', '-l', join(example, 'model.ts'), '--data', join(dir, 'nope.csv'), ...quick, '-o', dir]);
    expect(absent.status).toBe(2);
    expect(absent.stderr).toMatch(/data file .*nope\.csv does not exist/);
  }, 60_000);
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NestedSampler, normalQuantile } from '../../lib/index.js';
import { gaussian } from '../../lib/problems.js';
import { formatSummaryTable, summarizePosterior } from '../../lib/summary.js';

const normalPdf = (z: number): number => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);

describe('summarizePosterior', () => {
  it('gives weighted means, sds and quantiles: equal weights on 0…100 and a point mass', () => {
    const n = 101;
    const theta = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      theta[2 * i] = i;
      theta[2 * i + 1] = 7;
    }
    const logL = Float64Array.from({ length: n }, (_, i) => -Math.abs(i - 40));
    const [a, b] = summarizePosterior(theta, new Float64Array(n).fill(-3), logL, 2, ['a', 'b'], ['\\alpha', '']);
    expect(a!.name).toBe('a');
    expect(a!.label).toBe('\\alpha');
    expect(b!.label).toBeUndefined();
    expect(a!.mean).toBeCloseTo(50, 12);
    expect(a!.sd).toBeCloseTo(Math.sqrt((n * n - 1) / 12), 10);
    // The first point whose cumulative weight (i + 1)/101 reaches q.
    expect(a!.median).toBe(50);
    expect(a!.ci68).toEqual([16, 84]);
    expect(a!.ci95).toEqual([2, 98]);
    expect(a!.maxLogL).toBe(40);
    expect(b).toMatchObject({ median: 7, ci68: [7, 7], ci95: [7, 7] });
    expect(b!.mean).toBeCloseTo(7, 12);
    expect(b!.sd).toBeCloseTo(0, 6);
  });

  it('weights move the quantiles: all but a sliver of the mass on the last point', () => {
    const theta = Float64Array.from([1, 2, 3]);
    const s = summarizePosterior(theta, Float64Array.from([-20, -20, 0]), Float64Array.from([0, 1, 2]), 1, ['x']);
    expect(s[0]!.median).toBe(3);
    expect(s[0]!.ci68).toEqual([3, 3]);
    expect(s[0]!.mean).toBeCloseTo(3, 6);
  });

  it('refuses arrays of the wrong length and a run with no weight', () => {
    expect(() => summarizePosterior(new Float64Array(3), new Float64Array(2), new Float64Array(2), 1, ['x'])).toThrow(RangeError);
    expect(() => summarizePosterior(new Float64Array(2), Float64Array.from([-Infinity, -Infinity]), new Float64Array(2), 1, ['x'])).toThrow(/no point with a positive posterior weight/);
  });

  it('prints one aligned row per parameter', () => {
    const rows = summarizePosterior(Float64Array.from([0, 1]), new Float64Array(2), Float64Array.from([0, 1]), 1, ['x']);
    const table = formatSummaryTable(rows).split('\n');
    expect(table[0]).toMatch(/^parameter\s+mean\s+sd\s+median\s+68% interval\s+95% interval\s+max-logL$/);
    expect(table[1]).toMatch(/^x\s+0\.5000\s+0\.5000\s+/);
  });
});

describe('a run\'s parameter summary', () => {
  it('derived needs its names, and a derived function that returns the wrong count is named with θ', async () => {
    const p = gaussian(2);
    const base = { logLikelihood: p.logLikelihood, prior: p.prior, nLive: 50, seed: 1, maxIterations: 1, flow: { threads: 1 }, onWarning: () => {} };
    expect(() => new NestedSampler({ ...base, derived: () => [1] })).toThrow(/derived needs derivedNames/);
    expect(() => new NestedSampler({ ...base, derivedNames: ['a'] })).toThrow(/derivedNames needs derived/);
    await expect(new NestedSampler({ ...base, derived: () => [1, 2], derivedNames: ['a'] }).run()).rejects.toThrow(/derived must return 1 numbers .* got 2 values at theta = \[/);
  }, 60_000);

  it('Gaussian 3-D: every mean, sd, median and interval end within 3 Monte Carlo standard errors of the exact marginal, a derived sum\'s too', async () => {
    const p = gaussian(3);
    const derived = (t: Float64Array) => [t[0]! + t[1]! + t[2]!];
    const r = await new NestedSampler({ logLikelihood: p.logLikelihood, prior: p.prior, nLive: 400, seed: 11, flow: { threads: 1 }, derived, derivedNames: ['sum'], onWarning: () => {} }).run();
    expect(r.derivedNames).toEqual(['sum']);
    expect(r.dead.derived).toHaveLength(r.dead.logL.length);
    expect(r.dead.derived[5]).toBe(derived(r.dead.theta.subarray(15, 18))[0]);
    const sum = r.parameters[3]!;
    expect(sum.name).toBe('sum');
    const sSum = Math.sqrt(3) * p.marginals!()[0]!.sd;
    expect(Math.abs(sum.mean)).toBeLessThan((3 * sSum) / Math.sqrt(r.ess));
    expect(Math.abs(sum.sd - sSum)).toBeLessThan((3 * sSum) / Math.sqrt(2 * r.ess));
    const s = p.marginals!()[0]!.sd;
    // Standard errors at the run's ESS: s/√n for a mean, s/√(2n) for an sd,
    // √(q(1 − q))/φ(z_q)·s/√n for the q-quantile.
    const root = Math.sqrt(r.ess);
    const quantileSe = (q: number): number => (Math.sqrt(q * (1 - q)) / normalPdf(normalQuantile(q))) * (s / root);
    expect(r.parameters.map((x) => x.name)).toEqual(['theta0', 'theta1', 'theta2', 'sum']);
    for (const x of r.parameters.slice(0, 3)) {
      expect(Math.abs(x.mean)).toBeLessThan((3 * s) / root);
      expect(Math.abs(x.sd - s)).toBeLessThan((3 * s) / Math.sqrt(2 * r.ess));
      expect(Math.abs(x.median)).toBeLessThan(3 * quantileSe(0.5));
      const ends: Array<[number, number]> = [[x.ci68[0], 0.16], [x.ci68[1], 0.84], [x.ci95[0], 0.025], [x.ci95[1], 0.975]];
      for (const [v, q] of ends) expect(Math.abs(v - s * normalQuantile(q))).toBeLessThan(3 * quantileSe(q));
      expect(Math.abs(x.maxLogL)).toBeLessThan(s); // the best point sits near the mode
    }
  }, 120_000);
});

describe('nestflow summary and the run\'s own log Z everywhere (subprocess)', () => {
  const cli = resolve('lib/cli.ts');
  const nestflow = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 110_000 });
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-summary-'));
  const root = join(dir, 'gaussian-2d');

  it('the run prints the table; <root>.json, --json and nestflow summary carry the same parameters and log Z ± error', () => {
    const run = nestflow(['run', '-p', 'gaussian', '-d', '2', '-n', '100', '-s', '4', '--threads', '1', '-o', dir]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^parameter\s+mean\s+sd\s+median\s+68% interval\s+95% interval\s+max-logL\ntheta0 .*\ntheta1 /m);
    const saved = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as { logZ: number; logZErr: number; parameters: Array<{ name: string; median: number }> };
    expect(saved.parameters.map((x) => x.name)).toEqual(['theta0', 'theta1']);
    const summary = nestflow(['summary', root, '--json']);
    expect(summary.status).toBe(0);
    const s = JSON.parse(summary.stdout) as { logZ: number; logZErr: number; logZSource: string; parameters: Array<{ median: number }> };
    // The run's own error (its simulations), not a recomputed one.
    expect(s).toMatchObject({ logZ: saved.logZ, logZErr: saved.logZErr, logZSource: 'run' });
    expect(s.parameters[0]!.median).toBeCloseTo(saved.parameters[0]!.median, 12);
    const text = nestflow(['summary', root]);
    expect(text.stdout).toContain(`log Z = ${saved.logZ.toFixed(3)} ± ${saved.logZErr.toFixed(3)} (as the run reported it)`);
    const plot = nestflow(['plot', root, '--format', 'svg']);
    expect(plot.status).toBe(0);
    const html = readFileSync(`${root}_report.html`, 'utf8');
    expect(html).toContain(`${saved.logZ.toFixed(3)} ± ${saved.logZErr.toFixed(3)}`);
    expect(html).toMatch(/<h2>Parameters<\/h2><table class="parameters">/);
    expect(readFileSync(`${root}_corner.svg`, 'utf8')).toContain(`± ${saved.logZErr.toFixed(3)}`);
  }, 120_000);

  it('a PolyChord run without nestflow\'s .json: log Z recomputed from the files, and said so', () => {
    rmSync(`${root}.json`);
    const text = nestflow(['summary', root]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/log Z = -?\d+\.\d{3} ± \d\.\d{3} \(recomputed from the files\)/);
    expect(nestflow(['summary', join(dir, 'nothing')]).status).toBe(2);
  }, 120_000);
});

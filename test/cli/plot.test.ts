import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkReport, findChromium } from '../../bench/report-check.js';
import { readPolyChord } from '../../lib/output.js';

const cli = resolve('lib/cli.ts');
function nestflow(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', timeout: 110_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('nestflow plot', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-plot-'));
  const run = nestflow(['run', '--problem', 'gaussian', '--dim', '3', '--nlive', '100', '--seed', '2', '-o', dir, '-q']);
  const root = join(dir, 'gaussian-3d');

  it('writes the corner plot and diagnostics as SVG and PNG, and the HTML report', () => {
    expect(run.status, run.stderr).toBe(0);
    const r = nestflow(['plot', root, '--reference', '0,0,0']);
    expect(r.status, r.stderr).toBe(0);
    for (const f of ['_corner.svg', '_corner.png', '_diagnostics.svg', '_diagnostics.png', '_report.html']) {
      expect(r.stdout).toContain(`written: ${root}${f}`);
      expect(existsSync(`${root}${f}`)).toBe(true);
    }
    const corner = readFileSync(`${root}_corner.svg`, 'utf8');
    for (const name of ['theta0', 'theta1', 'theta2', '68%', '95%']) expect(corner).toContain(name);
    // The key sits in the empty upper triangle, not on a panel; each marginal is titled with its median and 68% interval.
    for (const key of ['68% credible region', '95% credible region', 'reference value']) expect(corner).toContain(`>${key}<`);
    const summary = (JSON.parse(readFileSync(`${root}.json`, 'utf8')) as { parameters: Array<{ median: number; ci68: [number, number] }> }).parameters;
    for (let j = 0; j < 3; j++) {
      const m = new RegExp(`>theta${j} = (-?\\d+\\.\\d+) \\+(\\d+\\.\\d+) −(\\d+\\.\\d+)<`).exec(corner);
      expect(m, `title of theta${j}`).not.toBeNull();
      const p = summary[j]!;
      const tol = 10 ** -(m![1]!.split('.')[1]!.length) / 2 + 1e-12;
      expect(Math.abs(Number(m![1]) - p.median)).toBeLessThanOrEqual(tol);
      expect(Math.abs(Number(m![2]) - (p.ci68[1] - p.median))).toBeLessThanOrEqual(tol);
      expect(Math.abs(Number(m![3]) - (p.median - p.ci68[0]))).toBeLessThanOrEqual(tol);
    }
    // Contour rings: at least a 68% and a 95% ring in each of the 3 lower cells, each a drawn path.
    const lineMarks = corner.match(/<g class="mark-line role-mark[^>]*>(.*?)<\/g>/gs) ?? [];
    expect(lineMarks.length).toBeGreaterThanOrEqual(6);
    for (const m of lineMarks) expect(m).toMatch(/<path[^>]* d="M/);
    const diag = readFileSync(`${root}_diagnostics.svg`, 'utf8');
    for (const title of ['log L against log X', 'posterior mass against log X', 'log Z ± err by iteration', 'acceptance efficiency', 'flow proposals per new point', 'insertion-index KS p-value', 'flow training loss']) expect(diag).toContain(title);
    const png = readFileSync(`${root}_corner.png`);
    expect([...png.subarray(1, 4)]).toEqual([0x50, 0x4e, 0x47]);
    const html = readFileSync(`${root}_report.html`, 'utf8');
    // Self-contained: the figures are inline and nothing is fetched.
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const s = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as { logZ: number; nLike: number };
    expect(html).toContain(s.logZ.toFixed(3));
    expect(html).toContain(s.nLike.toLocaleString('en-US'));
  });

  it('reads a run in PolyChord\'s own layout: -inf births, live points left in _phys_live-birth.txt, no .json', () => {
    const pc = join(dir, 'pc');
    const rows = readFileSync(`${root}_dead-birth.txt`, 'utf8').trimEnd().split('\n');
    // PolyChord writes −∞ births as Python does, and stops with its live points in a separate file.
    const asPolyChord = rows.map((l) => l.replace(/-0\.100000000000000E\+031$/, '-inf'));
    expect(asPolyChord.filter((l) => l.endsWith('-inf')).length).toBe(100);
    writeFileSync(`${pc}_dead-birth.txt`, asPolyChord.slice(0, -100).join('\n') + '\n');
    writeFileSync(`${pc}_phys_live-birth.txt`, asPolyChord.slice(-100).join('\n') + '\n');
    writeFileSync(`${pc}.paramnames`, 'x0  x_0\nx1  x_1\nx2  x_2\n');
    const ours = readPolyChord(root);
    const theirs = readPolyChord(pc);
    expect(theirs.logL.length).toBe(ours.logL.length);
    expect(Math.abs(theirs.evidence.logZ - ours.evidence.logZ)).toBeLessThan(1e-12);
    expect(theirs.paramNames).toEqual(['x0', 'x1', 'x2']);
    const r = nestflow(['plot', pc, '--format', 'svg']);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(`${pc}_corner.png`)).toBe(false);
    const html = readFileSync(`${pc}_report.html`, 'utf8');
    expect(html).toContain('PolyChord layout');
    expect(readFileSync(`${pc}_diagnostics.svg`, 'utf8')).toContain('running log Z against log X');
    expect(readFileSync(`${pc}_corner.svg`, 'utf8')).toContain('x2');
  });

  it('refuses a missing run, an unknown parameter and a reference of the wrong length (exit 2, message names it)', () => {
    const missing = nestflow(['plot', join(dir, 'nope')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('nope_dead-birth.txt does not exist');
    const badParam = nestflow(['plot', root, '--params', 'theta0,zeta']);
    expect(badParam.status).toBe(2);
    expect(badParam.stderr).toContain('"zeta"');
    const badRef = nestflow(['plot', root, '--reference', '0,0']);
    expect(badRef.status).toBe(2);
    expect(badRef.stderr).toContain('reference: expected 3 values');
    const badFormat = nestflow(['plot', root, '--format', 'gif']);
    expect(badFormat.status).toBe(2);
    expect(badFormat.stderr).toContain('--format');
  });

  const chromium = findChromium();
  it.skipIf(!chromium)('the report renders in headless Chromium with every figure drawn (skips where no chromium is installed)', async () => {
    const r = await checkReport(`${root}_report.html`, { chromium: chromium! });
    expect(r.title).toContain('gaussian-3d');
    expect(r.figures.map((f) => f.id)).toEqual(['corner', 'diagnostics']);
    for (const f of r.figures) {
      expect(f.width).toBeGreaterThan(300);
      expect(f.height).toBeGreaterThan(300);
      expect(f.drawn).toBeGreaterThan(50);
      expect(f.texts).toBeGreaterThan(10);
    }
  }, 60_000);

  it('cleans up', () => {
    rmSync(dir, { recursive: true, force: true });
  });
});

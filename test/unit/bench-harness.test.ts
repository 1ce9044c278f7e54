import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendRows, breakEvenSeconds, formatBreakEven, fromCsv, markdownTable, problemByName, recordedPeerRows, toCsv, worstMarginals, writeReport, type BenchRow } from '../../bench/harness.js';
import { uniformRng } from '../helpers.js';

function row(over: Partial<BenchRow>): BenchRow {
  return {
    tool: 'nestflow', source: 'measured', problem: 'rosenbrock-2d', dim: 2, nLive: 500, seed: 1, backend: 'cpu',
    nLike: 7000, nLikeMax: NaN, dead: 5500, logZ: -5.7, logZErr: 0.11, ref: -5.8041323638,
    wallSeconds: 20, likelihoodSeconds: 0.5, trainSeconds: 8, sampleSeconds: 11, efficiency: 0.8,
    stop: 'converged', date: '2026-11-26', machine: 'test', note: '', ...over,
  };
}

describe('break-even likelihood cost', () => {
  it('is the cost per call where the two whole-run wall times are equal', () => {
    // nestflow: 10 s overhead + 1,000 calls; peer: 2 s + 9,000 calls → 8 s / 8,000 calls = 1 ms.
    const c = breakEvenSeconds({ nLike: 1000, overheadSeconds: 10 }, { nLike: 9000, overheadSeconds: 2 });
    expect(c).toBeCloseTo(1e-3, 15);
    expect(10 + 1000 * c).toBeCloseTo(2 + 9000 * c, 12);
    expect(formatBreakEven(c)).toBe('faster above 1.00 ms/call');
  });
  it('says always, never, or only below a cost', () => {
    expect(breakEvenSeconds({ nLike: 1000, overheadSeconds: 1 }, { nLike: 9000, overheadSeconds: 2 })).toBe(0);
    expect(breakEvenSeconds({ nLike: 9000, overheadSeconds: 5 }, { nLike: 1000, overheadSeconds: 2 })).toBe(Infinity);
    // More calls but less overhead: faster only while a call costs under 3 s / 8,000.
    const c = breakEvenSeconds({ nLike: 9000, overheadSeconds: 1 }, { nLike: 1000, overheadSeconds: 4 });
    expect(c).toBeCloseTo(-3 / 8000, 15);
    expect(formatBreakEven(c)).toBe('faster only below 375 µs/call');
  });
});

describe('results CSV', () => {
  it('round-trips rows, NaN and quoted fields included', () => {
    const rows = [row({}), row({ tool: 'PolyChord', source: 'recorded', note: 'seed 7, "repeat", odd', likelihoodSeconds: NaN, logZ: -6.066 })];
    const back = fromCsv(toCsv(rows));
    expect(back).toHaveLength(2);
    expect(back[1]!.note).toBe('seed 7, "repeat", odd');
    expect(back[1]!.likelihoodSeconds).toBeNaN();
    expect(back[0]).toEqual(rows[0]);
  });
  it('a rerun replaces its own row and keeps the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-bench-'));
    try {
      const path = join(dir, 'r.csv');
      appendRows(path, [row({ seed: 1, nLike: 7000 }), row({ seed: 2, nLike: 7100 })]);
      const all = appendRows(path, [row({ seed: 1, nLike: 6900 })]);
      expect(all.map((r) => [r.seed, r.nLike])).toEqual([[1, 6900], [2, 7100]]);
      expect(fromCsv(readFileSync(path, 'utf8'))).toEqual(all);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('posterior against exact marginals', () => {
  it('names the coordinate with the largest mean shift and the sd ratio furthest from 1', () => {
    const exact = [{ mean: 0, sd: 1 }, { mean: 0, sd: 2 }, { mean: 1, sd: 1 }];
    const run = [{ mean: 0.2, sd: 1.1 }, { mean: -1, sd: 1 }, { mean: 1.3, sd: 1.8 }];
    // shifts 0.2, −0.5, 0.3; ratios 1.1, 0.5, 1.8 (|log| 0.10, 0.69, 0.59)
    expect(worstMarginals(run, exact)).toBe('-0.500 (x2) | 0.500 (x2)');
  });
});

describe('markdown table', () => {
  it('gives median and range over seeds, matches, and the call ratio against each peer', () => {
    const rows = [
      row({ seed: 1, nLike: 7000 }),
      row({ seed: 2, nLike: 7200, logZ: -5.9 }),
      row({ seed: 3, nLike: 6800, logZ: -6.5 }), // 6.3σ off: does not match
      ...recordedPeerRows().filter((r) => r.problem === 'rosenbrock-2d' && r.nLive === 500),
    ];
    const md = markdownTable(rows);
    const nf = md.split('\n').find((l) => l.includes('| nestflow |'))!;
    expect(nf).toContain('7,000 (6,800–7,200)');
    expect(nf).toContain('2/3');
    const pc = md.split('\n').find((l) => l.includes('PolyChord (recorded)'))!;
    expect(pc).toContain(`| ${(7000 / 331644).toPrecision(2)} |`);
  });
});

describe('recorded peer figures', () => {
  const peersMd = join(__dirname, '../../../shared/PEERS.md');
  it.skipIf(!existsSync(peersMd))('agree with PEERS.md (skipped where shared/PEERS.md is absent)', () => {
    const text = readFileSync(peersMd, 'utf8');
    const recorded = recordedPeerRows().filter((r) => r.stop !== 'unfinished');
    expect(recorded.length).toBeGreaterThan(30);
    const num = (s: string): string => s.replace(/−/g, '-').replace(/,/g, '');
    const lineNumbers = text.split('\n').map((l) => (num(l).match(/-?\d+(\.\d+)?/g) ?? []).map(Number));
    for (const r of recorded) {
      // Every recorded count, log Z and error appears together on one line of PEERS.md.
      const hit = lineNumbers.some((ns) => [r.nLike, r.logZ, r.logZErr].every((v) => ns.includes(v)));
      expect(hit, `${r.tool} ${r.problem} nLive ${r.nLive}: ${r.nLike}, ${r.logZ}`).toBe(true);
    }
  });
});

describe('peers use the same likelihoods', () => {
  const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  it.skipIf(!hasNumpy)('bench/peers.py gives the log L of lib/problems.ts (skipped without python3 and numpy)', () => {
    const u = uniformRng(7);
    for (const name of ['rosenbrock-3d', 'gaussian-4d', 'shells-2d', 'eggbox-2d']) {
      const p = problemByName(name);
      const n = 20;
      const cube = Float64Array.from({ length: n * p.dim }, () => u());
      const theta = new Float64Array(n * p.dim);
      p.prior.transform(cube, theta, n);
      const ours = p.logLikelihood(theta, n);
      const points = Array.from({ length: n }, (_, i) => Array.from(theta.subarray(i * p.dim, (i + 1) * p.dim)));
      const r = spawnSync('python3', [join(__dirname, '../../bench/peers.py'), '--tool', 'nessai', '--problem', name, '--eval'], { input: JSON.stringify(points), encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const theirs = JSON.parse(r.stdout) as number[];
      for (let i = 0; i < n; i++) expect(theirs[i]!).toBeCloseTo(ours[i]!, 9);
    }
  });
});

describe('bench:peers against a stand-in peer', () => {
  const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
  // A fake `ultranest` module: 1,234 likelihood calls, then either a result or (FAKE_HANG) a hang until the cap.
  const fake = `
import os, time
import numpy as np
class ReactiveNestedSampler:
    def __init__(self, names, like, transform, vectorized=False):
        self.like, self.transform, self.d = like, transform, len(names)
    def run(self, min_num_live_points, **kw):
        rng = np.random.default_rng(0)
        logl = [self.like(self.transform(rng.random(self.d))) for _ in range(1234)]
        while os.environ.get('FAKE_HANG'):
            time.sleep(0.05)
        # a posterior with mean (1, 2) and sd (1, 2)
        points = [[0.0, 0.0], [2.0, 4.0]] * 500
        return {'logz': -5.5, 'logzerr': 0.25, 'weighted_samples': {'logl': logl[:1000], 'points': points, 'weights': [1.0] * 1000}}
`;
  function runPeers(dir: string, env: Record<string, string>, cap: number) {
    return spawnSync(
      process.execPath,
      ['--import', 'tsx', join(__dirname, '../../bench/peers.ts'), '--problem', 'rosenbrock', '--dims', '2', '--tools', 'ultranest', '--max-seconds', String(cap), '--out', join(dir, 'out')],
      { encoding: 'utf8', env: { ...process.env, PYTHON: 'python3', PYTHONPATH: join(dir, 'py'), ...env } },
    );
  }
  it.skipIf(!hasNumpy)('counts every call, and reports an unfinished run at its cap with the calls so far (skipped without python3 and numpy)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-peers-'));
    try {
      mkdirSync(join(dir, 'py', 'ultranest'), { recursive: true });
      writeFileSync(join(dir, 'py', 'ultranest', '__init__.py'), fake);
      writeFileSync(join(dir, 'py', 'ultranest', 'stepsampler.py'), '');
      const done = runPeers(dir, {}, 120);
      expect(done.status, done.stderr).toBe(0);
      let rows = fromCsv(readFileSync(join(dir, 'out', 'peers.csv'), 'utf8'));
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tool: 'UltraNest', source: 'measured', problem: 'rosenbrock-2d', nLike: 1234, dead: 1000, logZ: -5.5, logZErr: 0.25, stop: 'converged' });
      // Its posterior, against the exact marginals.
      const cells = worstMarginals([{ mean: 1, sd: 1 }, { mean: 2, sd: 2 }], problemByName('rosenbrock-2d').marginals!());
      expect(done.stdout).toContain(`| UltraNest | rosenbrock-2d | ${cells} |`);
      // The same run hanging after its calls: ended at the cap, and its calls still counted.
      const capped = runPeers(dir, { FAKE_HANG: '1' }, 8);
      expect(capped.status, capped.stderr).toBe(0);
      expect(capped.stderr).toContain('unfinished at 8 s (> 1234 calls)');
      rows = fromCsv(readFileSync(join(dir, 'out', 'peers.csv'), 'utf8'));
      expect(rows).toHaveLength(1); // the rerun replaced its row
      expect(rows[0]).toMatchObject({ nLike: 1234, stop: 'unfinished', wallSeconds: 8 });
      expect(Number.isNaN(rows[0]!.logZ)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('report', () => {
  it('writes the table and both figures as SVG and PNG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nestflow-report-'));
    try {
      const rows = [
        row({}),
        row({ problem: 'rosenbrock-4d', dim: 4, nLike: 18300, logZ: -15.09, logZErr: 0.2, ref: -15.1016907279 }),
        ...recordedPeerRows().filter((r) => (r.problem === 'rosenbrock-2d' || r.problem === 'rosenbrock-4d') && r.nLive === 500),
      ];
      const written = await writeReport(rows, join(dir, 'x'));
      expect(written.sort()).toEqual(['x.md', 'x-rosenbrock-calls.png', 'x-rosenbrock-calls.svg', 'x-rosenbrock-logz.png', 'x-rosenbrock-logz.svg'].map((f) => join(dir, f)).sort());
      const calls = readFileSync(join(dir, 'x-rosenbrock-calls.svg'), 'utf8');
      expect(calls).toContain('likelihood calls');
      expect(calls).toContain('dimension d');
      // One marker per (tool, d): nestflow, UltraNest, PolyChord, nessai at d = 2 and 4.
      expect(calls.match(/role-mark.*?class="mark-symbol/g)?.length ?? 0).toBeGreaterThan(0);
      expect(calls).toContain('nessai');
      const logz = readFileSync(join(dir, 'x-rosenbrock-logz.svg'), 'utf8');
      expect(logz).toContain('log Z − reference');
      const png = readFileSync(join(dir, 'x-rosenbrock-logz.png'));
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(png.length).toBeGreaterThan(10_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The benchmark harness shared by `npm run bench`, `bench:rosenbrock` and
 * `bench:peers`: one row per run (nestflow or a peer), kept in a CSV that
 * later runs add to, and the markdown table and the two figures (calls
 * against dimension, log Z − reference against dimension) rebuilt from all
 * rows each time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NestedSampler } from '../lib/index.js';
import { renderFigure, type VegaLiteSpec } from '../lib/plot/render.js';
import { deviationsInStandardErrors, marginalDeviations } from '../lib/posterior.js';
import { eggbox, gaussian, matches, rosenbrock, shells, type MarginalMoments, type Problem } from '../lib/problems.js';

/**
 * A posterior against the exact marginals, as two table cells: the worst
 * coordinate's mean shift (in exact sds) and the sd ratio furthest from 1.
 */
export function worstMarginals(run: readonly MarginalMoments[], exact: readonly MarginalMoments[]): string {
  const dev = marginalDeviations(run, exact);
  const mean = dev.reduce((a, v, k) => (Math.abs(v.meanShift) > Math.abs(dev[a]!.meanShift) ? k : a), 0);
  const sd = dev.reduce((a, v, k) => (Math.abs(Math.log(v.sdRatio)) > Math.abs(Math.log(dev[a]!.sdRatio)) ? k : a), 0);
  return `${dev[mean]!.meanShift.toFixed(3)} (x${mean + 1}) | ${dev[sd]!.sdRatio.toFixed(3)} (x${sd + 1})`;
}

/**
 * The largest of a run's posterior deviations in standard errors at its
 * ESS (mean or sd, either sign), with the coordinate and the ESS: a cell.
 */
export function worstInStandardErrors(run: readonly MarginalMoments[], exact: readonly MarginalMoments[], ess: number): string {
  const z = deviationsInStandardErrors(marginalDeviations(run, exact), exact, ess);
  let worst = { value: 0, label: '' };
  z.forEach((zk, k) => {
    for (const [what, v] of [['mean', zk.mean], ['sd', zk.sd]] as const)
      if (Math.abs(v) > Math.abs(worst.value)) worst = { value: v, label: `x${k + 1} ${what}` };
  });
  return `${worst.value.toFixed(1)} (${worst.label}; ESS ${Math.round(ess)})`;
}

/** Where a row's figures come from. */
export type RowSource = 'measured' | 'recorded';

export interface BenchRow {
  tool: string;
  source: RowSource;
  problem: string;
  dim: number;
  nLive: number;
  seed: number;
  backend: string;
  nLike: number;
  /** Upper end of a recorded range (UltraNest's unreproducible vectorised runs); NaN otherwise. */
  nLikeMax: number;
  dead: number;
  logZ: number;
  logZErr: number;
  ref: number;
  /** Wall time of the whole run and its parts (NaN where unknown). */
  wallSeconds: number;
  likelihoodSeconds: number;
  trainSeconds: number;
  sampleSeconds: number;
  /** Accepted new points per likelihood call after the prior draws. */
  efficiency: number;
  /** 'converged', a cap, or 'unfinished' for a peer that hit its time cap. */
  stop: string;
  date: string;
  machine: string;
  note: string;
}

const COLUMNS: Array<keyof BenchRow> = [
  'tool', 'source', 'problem', 'dim', 'nLive', 'seed', 'backend', 'nLike', 'nLikeMax', 'dead', 'logZ', 'logZErr', 'ref',
  'wallSeconds', 'likelihoodSeconds', 'trainSeconds', 'sampleSeconds', 'efficiency', 'stop', 'date', 'machine', 'note',
];
const NUMERIC = new Set<keyof BenchRow>(['dim', 'nLive', 'seed', 'nLike', 'nLikeMax', 'dead', 'logZ', 'logZErr', 'ref', 'wallSeconds', 'likelihoodSeconds', 'trainSeconds', 'sampleSeconds', 'efficiency']);

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

export function problemByName(name: string): Problem {
  const m = /^(gaussian|rosenbrock)-(\d+)d$/.exec(name);
  if (m) return m[1] === 'gaussian' ? gaussian(Number(m[2])) : rosenbrock(Number(m[2]));
  if (name === 'shells-2d') return shells();
  if (name === 'eggbox-2d') return eggbox();
  throw new RangeError(`unknown problem '${name}' (gaussian-<d>d, rosenbrock-<d>d, shells-2d, eggbox-2d)`);
}

/** Δ/σ of a row; NaN without a finite result. */
export function deltaSigma(r: Pick<BenchRow, 'logZ' | 'logZErr' | 'ref'>): number {
  return (r.logZ - r.ref) / r.logZErr;
}

/** docs/problems.md's rule; false for an unfinished run. */
export function rowMatches(r: BenchRow): boolean {
  return r.stop !== 'unfinished' && Number.isFinite(r.logZ) && matches(r.logZ, r.logZErr, r.ref);
}

export function machineName(): string {
  return `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores`;
}

export interface NestflowRunOptions {
  nLive: number;
  seed: number;
  backend: string;
  threads?: number;
  maxSeconds?: number;
  verbose?: boolean;
}

/** One nestflow run as a row. */
export async function runNestflow(problem: Problem, o: NestflowRunOptions): Promise<BenchRow> {
  if (o.backend !== 'cpu') throw new RangeError(`backend '${o.backend}' is not available: this build has the CPU backend only`);
  const t0 = performance.now();
  const sampler = new NestedSampler({
    logLikelihood: problem.logLikelihood,
    prior: problem.prior,
    nLive: o.nLive,
    seed: o.seed,
    ...(o.maxSeconds !== undefined ? { maxSeconds: o.maxSeconds } : {}),
    flow: o.threads !== undefined ? { threads: o.threads } : {},
    onWarning: () => {},
  });
  const r = await sampler.run({
    onIteration: o.verbose
      ? (it) => console.error(`${problem.name} nLive ${o.nLive} seed ${o.seed} it ${it.iteration} logX ${it.logX.toFixed(2)} calls ${it.likelihoodCalls} eff ${it.efficiency.toFixed(2)} unfound ${it.unfound}`)
      : undefined,
  });
  const dead = r.dead.logL.length;
  return {
    tool: 'nestflow',
    source: 'measured',
    problem: problem.name,
    dim: problem.dim,
    nLive: o.nLive,
    seed: o.seed,
    backend: o.backend,
    nLike: r.nLike,
    nLikeMax: NaN,
    dead,
    logZ: r.logZ,
    logZErr: r.logZErr,
    ref: problem.logZ,
    wallSeconds: (performance.now() - t0) / 1000,
    likelihoodSeconds: r.timings.likelihood / 1000,
    trainSeconds: r.timings.train / 1000,
    sampleSeconds: r.timings.sample / 1000,
    efficiency: (dead - o.nLive) / Math.max(1, r.nLike - o.nLive),
    stop: r.stopReason,
    date: new Date().toISOString().slice(0, 10),
    machine: machineName(),
    note: '',
  };
}

/** docs/peers.md's figures as rows marked recorded. */
export function recordedPeerRows(): BenchRow[] {
  const file = JSON.parse(readFileSync(join(BENCH_DIR, 'peers-recorded.json'), 'utf8')) as {
    runs: Array<{ problem: string; nLive: number; tool: string; seed?: number; nLike: number; nLikeMax?: number; logZ?: number; logZErr?: number; wallSeconds: number; unfinished?: boolean; note?: string }>;
  };
  return file.runs.map((p) => {
    const problem = problemByName(p.problem);
    return {
      tool: p.tool,
      source: 'recorded' as const,
      problem: p.problem,
      dim: problem.dim,
      nLive: p.nLive,
      seed: p.seed ?? 42,
      backend: 'cpu',
      nLike: p.nLike,
      nLikeMax: p.nLikeMax ?? NaN,
      dead: NaN,
      logZ: p.logZ ?? NaN,
      logZErr: p.logZErr ?? NaN,
      ref: problem.logZ,
      wallSeconds: p.wallSeconds,
      likelihoodSeconds: NaN,
      trainSeconds: NaN,
      sampleSeconds: NaN,
      efficiency: NaN,
      stop: p.unfinished ? 'unfinished' : 'converged',
      date: '',
      machine: '2-core AMD EPYC VM, one core per run (docs/peers.md)',
      note: p.note ?? '',
    };
  });
}

// ---------------------------------------------------------------- CSV

function csvField(v: string | number): string {
  const s = typeof v === 'number' ? (Number.isNaN(v) ? '' : String(v)) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out;
}

export function toCsv(rows: BenchRow[]): string {
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvField(r[c])).join(','))].join('\n') + '\n';
}

export function fromCsv(text: string): BenchRow[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = parseCsvLine(lines[0] ?? '');
  return lines.slice(1).map((line) => {
    const f = parseCsvLine(line);
    const row: Record<string, string | number> = {};
    header.forEach((name, i) => {
      const v = f[i] ?? '';
      row[name] = NUMERIC.has(name as keyof BenchRow) ? (v === '' ? NaN : Number(v)) : v;
    });
    return row as unknown as BenchRow;
  });
}

const rowKey = (r: BenchRow): string => [r.tool, r.source, r.problem, r.nLive, r.seed, r.backend].join('|');

/** Adds rows to a CSV file, a new run replacing an older one with the same tool, problem, nLive, seed and backend. */
export function appendRows(path: string, rows: BenchRow[]): BenchRow[] {
  const old = existsSync(path) ? fromCsv(readFileSync(path, 'utf8')) : [];
  const byKey = new Map(old.map((r) => [rowKey(r), r]));
  for (const r of rows) byKey.set(rowKey(r), r);
  const all = [...byKey.values()];
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, toCsv(all));
  return all;
}

// ---------------------------------------------------------------- summary

export interface Summary {
  tool: string;
  source: RowSource;
  problem: string;
  dim: number;
  nLive: number;
  runs: BenchRow[];
  /** Median, min and max calls over the runs. */
  nLike: number;
  nLikeMin: number;
  nLikeMax: number;
  unfinished: boolean;
  matched: number;
  /** Median of the parts of the wall time. */
  wallSeconds: number;
  overheadSeconds: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[s.length >> 1]! : 0.5 * (s[s.length / 2 - 1]! + s[s.length / 2]!);
};

export function summarise(rows: BenchRow[]): Summary[] {
  const groups = new Map<string, BenchRow[]>();
  for (const r of rows) {
    const k = [r.tool, r.source, r.problem, r.nLive].join('|');
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out: Summary[] = [];
  for (const runs of groups.values()) {
    const r0 = runs[0]!;
    const calls = runs.map((r) => r.nLike);
    const maxCalls = runs.map((r) => (Number.isFinite(r.nLikeMax) ? r.nLikeMax : r.nLike));
    // nestflow's overhead is what is not the likelihood; a peer's recorded
    // wall time was on a cheap likelihood, so it is all overhead.
    const overhead = runs.map((r) => (Number.isFinite(r.likelihoodSeconds) ? r.wallSeconds - r.likelihoodSeconds : r.wallSeconds));
    out.push({
      tool: r0.tool,
      source: r0.source,
      problem: r0.problem,
      dim: r0.dim,
      nLive: r0.nLive,
      runs,
      nLike: median(calls),
      nLikeMin: Math.min(...calls),
      nLikeMax: Math.max(...maxCalls),
      unfinished: runs.some((r) => r.stop === 'unfinished'),
      matched: runs.filter(rowMatches).length,
      wallSeconds: median(runs.map((r) => r.wallSeconds)),
      overheadSeconds: median(overhead),
    });
  }
  const family = (p: string): string => p.replace(/-\d+d$/, '');
  return out.sort((a, b) => family(a.problem).localeCompare(family(b.problem)) || a.dim - b.dim || a.nLive - b.nLive || (a.tool === 'nestflow' ? -1 : b.tool === 'nestflow' ? 1 : a.tool.localeCompare(b.tool)));
}

/**
 * Likelihood cost per call (seconds) above which nestflow's whole run is
 * faster than the peer's: overhead_n + N_n·c < overhead_p + N_p·c.
 * 0 when nestflow wins at any cost; a negative value −c when it wins only
 * below c; Infinity when it never does.
 */
export function breakEvenSeconds(nestflow: { nLike: number; overheadSeconds: number }, peer: { nLike: number; overheadSeconds: number }): number {
  const dCalls = peer.nLike - nestflow.nLike;
  const dOverhead = nestflow.overheadSeconds - peer.overheadSeconds;
  if (dCalls > 0) return dOverhead <= 0 ? 0 : dOverhead / dCalls;
  if (dCalls === 0) return dOverhead <= 0 ? 0 : Infinity;
  return dOverhead < 0 ? -(-dOverhead / -dCalls) : Infinity;
}

export function formatBreakEven(s: number): string {
  if (s === 0) return 'always faster';
  if (s === Infinity) return 'never faster';
  if (s < 0) return `faster only below ${formatSeconds(-s)}/call`;
  return `faster above ${formatSeconds(s)}/call`;
}

function formatSeconds(s: number): string {
  if (s >= 1) return `${s.toPrecision(3)} s`;
  if (s >= 1e-3) return `${(s * 1e3).toPrecision(3)} ms`;
  return `${(s * 1e6).toPrecision(3)} µs`;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const fmtSigned = (x: number, digits: number): string => (Number.isFinite(x) ? (x >= 0 ? '+' : '−') + Math.abs(x).toFixed(digits) : '—');
const fmtNum = (x: number, digits: number): string => (Number.isFinite(x) ? (x < 0 ? '−' : '') + Math.abs(x).toFixed(digits) : '—');

/** The markdown table: every tool per problem and nLive, nestflow first, with ratios and break-even. */
export function markdownTable(rows: BenchRow[]): string {
  const sums = summarise(rows);
  const lines: string[] = [];
  lines.push('| problem | nLive | tool | runs | nLike median (range) | nLike/dead | logZ ± err | ref | Δ/σ | match | eff. | wall s (likelihood / train / sample) | nestflow/peer calls | break-even (nestflow faster) |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of sums) {
    const nf = sums.find((x) => x.tool === 'nestflow' && x.problem === s.problem && x.nLive === s.nLive);
    const runs = s.runs;
    const calls = s.unfinished ? `> ${fmtInt(s.nLike)} (unfinished)` : s.nLikeMin === s.nLikeMax ? fmtInt(s.nLike) : `${fmtInt(s.nLike)} (${fmtInt(s.nLikeMin)}–${fmtInt(s.nLikeMax)})`;
    const dead = runs.map((r) => r.dead).filter(Number.isFinite);
    const perDead = dead.length ? (median(runs.map((r) => r.nLike / r.dead))).toFixed(2) : '—';
    const logZs = runs.filter((r) => Number.isFinite(r.logZ));
    const logZ = logZs.length === 0 ? '—' : logZs.length === 1 ? `${fmtNum(logZs[0]!.logZ, 3)} ± ${logZs[0]!.logZErr.toFixed(3)}` : `mean ${fmtNum(logZs.reduce((a, r) => a + r.logZ, 0) / logZs.length, 3)} ± ${(logZs.reduce((a, r) => a + r.logZErr, 0) / logZs.length).toFixed(3)}`;
    const sig = logZs.map(deltaSigma);
    const sigma = sig.length === 0 ? '—' : sig.length === 1 ? fmtSigned(sig[0]!, 2) : `${fmtSigned(Math.min(...sig), 2)} … ${fmtSigned(Math.max(...sig), 2)}`;
    const match = s.unfinished ? 'no (unfinished)' : `${s.matched}/${runs.length}`;
    const eff = runs.map((r) => r.efficiency).filter(Number.isFinite);
    const wallParts = runs.every((r) => Number.isFinite(r.likelihoodSeconds))
      ? `${s.wallSeconds.toFixed(0)} (${median(runs.map((r) => r.likelihoodSeconds)).toFixed(1)} / ${median(runs.map((r) => r.trainSeconds)).toFixed(0)} / ${median(runs.map((r) => r.sampleSeconds)).toFixed(0)})`
      : `${s.wallSeconds.toFixed(0)}${s.source === 'recorded' ? ' (recorded)' : ''}`;
    let ratio = '—';
    let breakEven = '—';
    if (nf && s !== nf) {
      ratio = `${s.unfinished ? '< ' : ''}${(nf.nLike / s.nLike).toPrecision(2)}`;
      breakEven = s.unfinished ? '—' : formatBreakEven(breakEvenSeconds(nf, s));
    }
    const tool = s.source === 'recorded' ? `${s.tool} (recorded${runs[0]!.seed !== 42 ? `, seed ${runs[0]!.seed}` : ''})` : s.tool;
    lines.push(`| ${s.problem} | ${s.nLive} | ${tool} | ${runs.length} | ${calls} | ${perDead} | ${logZ} | ${fmtNum(runs[0]!.ref, 3)} | ${sigma} | ${match} | ${eff.length ? median(eff).toFixed(2) : '—'} | ${wallParts} | ${ratio} | ${breakEven} |`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- figures

const TOOL_COLOURS: Record<string, string> = {
  nestflow: '#d62728',
  nessai: '#2ca02c',
  PolyChord: '#1f77b4',
  UltraNest: '#ff7f0e',
  'UltraNest slice': '#9467bd',
};

function colourScale(tools: string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(tools)].sort((a, b) => (a === 'nestflow' ? -1 : b === 'nestflow' ? 1 : a.localeCompare(b)));
  return { domain, range: domain.map((t, i) => TOOL_COLOURS[t] ?? ['#8c564b', '#e377c2', '#7f7f7f', '#17becf'][i % 4]!) };
}

/** The dimensions' range with room for the sideways offsets. */
function xDomain(dims: number[]): { domain: number[]; zero: false; nice: false } {
  return { domain: [Math.min(...dims) - 0.6, Math.max(...dims) + 0.6], zero: false, nice: false };
}

/** One panel per nLive with the given layers, shared y scale, the report's fonts. */
function facetByNLive(text: string, subtitle: string, data: unknown[], layer: unknown[]): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text, subtitle },
    data: { values: data },
    // panels in nLive order (500 before 2000), not the labels' string order
    facet: { column: { field: 'nLive', type: 'nominal', title: null, sort: [...new Set((data as Array<{ nLive: string }>).map((d) => d.nLive))].sort((x, y) => Number(x.replace(/\D/g, '')) - Number(y.replace(/\D/g, ''))) } },
    spec: { width: 320, height: 260, layer },
    resolve: { scale: { y: 'shared' } },
    config: { font: 'DejaVu Sans', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, labelLimit: 260 } },
  } as VegaLiteSpec;
}

/** Calls against dimension on a log scale, one panel per nLive; unfinished peer runs as open markers (a lower bound). */
export function callsFigure(rows: BenchRow[], family: string): VegaLiteSpec {
  const sums = summarise(rows).filter((s) => s.problem.startsWith(`${family}-`));
  const data = sums.map((s) => ({ tool: s.tool, dim: s.dim, nLive: `nLive = ${s.nLive}`, nLike: s.nLike, lo: s.nLikeMin, hi: s.nLikeMax, status: s.unfinished ? 'unfinished (lower bound)' : 'finished' }));
  const colour = { field: 'tool', type: 'nominal' as const, title: 'sampler', scale: colourScale(data.map((d) => d.tool)) };
  return facetByNLive(`${family}: likelihood calls against dimension`, 'median over seeds, bars: range; open markers: runs cut off by the time cap', data, [
        { mark: { type: 'line', opacity: 0.6 }, transform: [{ filter: "datum.status === 'finished'" }], encoding: { x: { field: 'dim', type: 'quantitative' }, y: { field: 'nLike', type: 'quantitative' }, color: colour } },
        { mark: { type: 'rule' }, encoding: { x: { field: 'dim', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: colour } },
        {
          mark: { type: 'point', size: 60, strokeWidth: 2 },
          encoding: {
            x: { field: 'dim', type: 'quantitative', title: 'dimension d', scale: xDomain(data.map((d) => d.dim)), axis: { values: [...new Set(data.map((d) => d.dim))] } },
            y: { field: 'nLike', type: 'quantitative', title: 'likelihood calls', scale: { type: 'log' }, axis: { format: '~s' } },
            color: colour,
            shape: { field: 'status', type: 'nominal', title: null, scale: { domain: ['finished', 'unfinished (lower bound)'], range: ['circle', 'triangle-up'] } },
            fill: { condition: { test: "datum.status === 'finished'", field: 'tool', type: 'nominal', scale: colourScale(data.map((d) => d.tool)) }, value: 'transparent' },
            tooltip: [{ field: 'tool' }, { field: 'dim' }, { field: 'nLike', format: ',' }],
          },
        },
  ]);
}

/** log Z − reference against dimension, ±1σ bars, the match band (3σ or 0.15) not drawn per run but the zero line is. */
export function logZFigure(rows: BenchRow[], family: string): VegaLiteSpec {
  const finished = rows.filter((r) => r.problem.startsWith(`${family}-`) && r.stop !== 'unfinished' && Number.isFinite(r.logZ));
  const tools = colourScale(finished.map((r) => r.tool));
  // Runs of one tool and dimension side by side, tools apart.
  const slot = new Map<string, number>();
  const data = finished.map((r) => {
    const key = `${r.tool}|${r.dim}|${r.nLive}`;
    const k = slot.get(key) ?? 0;
    slot.set(key, k + 1);
    const offset = (tools.domain.indexOf(r.tool) - (tools.domain.length - 1) / 2) * 0.14 + k * 0.04;
    return { tool: r.tool, nLive: `nLive = ${r.nLive}`, dim: r.dim, x: r.dim + offset, delta: r.logZ - r.ref, lo: r.logZ - r.ref - r.logZErr, hi: r.logZ - r.ref + r.logZErr, seed: r.seed, sigma: deltaSigma(r) };
  });
  const colour = { field: 'tool', type: 'nominal' as const, title: 'sampler', scale: tools };
  return facetByNLive(`${family}: log Z − exact value against dimension`, 'each run with its reported ±1σ; tools offset sideways', data, [
        { mark: { type: 'rule', strokeDash: [4, 3], color: 'black' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'rule', strokeWidth: 1.5 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: colour } },
        {
          mark: { type: 'point', filled: true, size: 45 },
          encoding: {
            x: { field: 'x', type: 'quantitative', title: 'dimension d', scale: xDomain(data.map((d) => d.dim)), axis: { values: [...new Set(data.map((d) => d.dim))] } },
            y: { field: 'delta', type: 'quantitative', title: 'log Z − reference (nats)' },
            color: colour,
            tooltip: [{ field: 'tool' }, { field: 'dim' }, { field: 'seed' }, { field: 'delta', format: '.3f' }, { field: 'sigma', title: 'Δ/σ', format: '.2f' }],
          },
        },
  ]);
}

/** Writes `<stem>.md` and, per problem family with a dimension axis, the two figures as SVG and PNG. Returns the paths written. */
export async function writeReport(rows: BenchRow[], stem: string): Promise<string[]> {
  const written: string[] = [];
  const md = `# Benchmark: ${rows.length} runs\n\nnLike counts every likelihood call (prior draws included). Peers marked recorded are docs/peers.md's figures (another machine: a 2-core AMD EPYC VM, one core per run); break-even compares whole-run wall times, overhead = wall − likelihood time (a recorded peer's wall time was on a cheap likelihood, so all of it counts as overhead).\n\n${markdownTable(rows)}`;
  writeFileSync(`${stem}.md`, md);
  written.push(`${stem}.md`);
  const families = [...new Set(rows.map((r) => r.problem.replace(/-\d+d$/, '')))].filter((f) => f === 'rosenbrock' || f === 'gaussian');
  for (const family of families) {
    const measured = new Set(rows.filter((r) => r.source === 'measured' && r.tool === 'nestflow' && r.problem.startsWith(`${family}-`)).map((r) => r.nLive));
    // Only the nLive values nestflow ran at: peers alone make no comparison.
    const sel = rows.filter((r) => r.problem.startsWith(`${family}-`) && measured.has(r.nLive));
    if (sel.length === 0) continue;
    for (const [name, spec] of [['calls', callsFigure(sel, family)], ['logz', logZFigure(sel, family)]] as const) {
      const fig = await renderFigure(spec);
      writeFileSync(`${stem}-${family}-${name}.svg`, fig.svg);
      writeFileSync(`${stem}-${family}-${name}.png`, fig.png);
      written.push(`${stem}-${family}-${name}.svg`, `${stem}-${family}-${name}.png`);
    }
  }
  return written;
}

/**
 * PolyChord's file layout (docs/file-formats.md), which anesthetic and GetDist
 * read: writers for a finished run and the live points of a running one, and
 * a reader for runs written by nestflow or PolyChord. Every file is written to
 * a temporary name, flushed and renamed, so a reader never sees half a file.
 */
import { readFileSync, existsSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';
import { computeEvidence, equalWeightIndices, type Evidence } from './evidence.js';
import type { NestedSamplingResult } from './sampler/result.js';

/** A run's files could not be read; `.code` is stable. */
export class RunFileError extends Error {
  readonly code: 'RUN_MISSING' | 'RUN_MALFORMED' | 'RUN_MISMATCH';
  constructor(code: RunFileError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RunFileError';
    this.code = code;
  }
}

/** PolyChord's log-zero: births and log-likelihoods at or below it mean −∞. */
export const LOG_ZERO = -1e30;

/** A number as Fortran's E24.15E3: `  0.123456789012345E+001`. */
export function formatFortran(value: number): string {
  if (Number.isNaN(value)) throw new RangeError('cannot write NaN');
  let v = value;
  if (v === -Infinity || v <= LOG_ZERO) v = LOG_ZERO;
  if (v === Infinity) throw new RangeError('cannot write +Infinity');
  if (v === 0) return '  0.000000000000000E+000';
  const sign = v < 0 ? '-' : ' ';
  // d.dddddddddddddde±x → 0.ddddddddddddddd × 10^(x+1)
  const [mant, expPart] = Math.abs(v).toExponential(14).split('e') as [string, string];
  let digits = mant.replace('.', '');
  let exp = Number(expPart) + 1;
  if (digits.length > 15) digits = digits.slice(0, 15);
  const expSign = exp < 0 ? '-' : '+';
  exp = Math.abs(exp);
  return ` ${sign}0.${digits}E${expSign}${String(exp).padStart(3, '0')}`;
}

function row(values: ArrayLike<number>): string {
  let s = '';
  for (let i = 0; i < values.length; i++) s += formatFortran(values[i]!);
  return s + '\n';
}

/** Points with their contours: θ row-major [n × dim]. */
export interface BirthDeathPoints {
  theta: Float64Array;
  logL: Float64Array;
  logLBirth: Float64Array;
}

function birthDeathRows(points: BirthDeathPoints, dim: number): string {
  let s = '';
  const n = points.logL.length;
  const r = new Float64Array(dim + 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) r[j] = points.theta[i * dim + j]!;
    r[dim] = points.logL[i]!;
    const birth = points.logLBirth[i]!;
    r[dim + 1] = birth === -Infinity ? LOG_ZERO : birth;
    s += row(r);
  }
  return s;
}

/** `<root>_phys_live-birth.txt`: the current live points (refreshed while running). */
export function writeLivePoints(root: string, live: BirthDeathPoints, dim: number): void {
  writeFileAtomic(`${root}_phys_live-birth.txt`, birthDeathRows(live, dim));
}

/** Options of {@link writePolyChord}. */
export interface WriteOptions {
  /** LaTeX labels for `.paramnames`, parameters then derived ones (default: the names). */
  latex?: string[];
  /** Seed of the equal-weight resampling (default 0). */
  seed?: number;
  /** Live points of a run that was stopped early (written to `_phys_live-birth.txt`); a finished run has none. */
  live?: BirthDeathPoints;
}

/** What {@link writePolyChord} needs of a run (a sampler's result, or merged runs). */
export type PolyChordWritable = Pick<NestedSamplingResult, 'dim' | 'paramNames' | 'logZ' | 'logZErr' | 'ess' | 'nLike'> & {
  dead: Pick<NestedSamplingResult['dead'], 'theta' | 'logL' | 'logLBirth' | 'logWeight'> & { derived?: Float64Array };
  /** Derived parameters, written after the parameters (`name*` in `.paramnames`). */
  derivedNames?: string[];
};

/** θ with each point's derived values appended: row-major [n × (dim + nDerived)]. */
function withDerived(theta: Float64Array, derived: Float64Array, dim: number, nDerived: number): Float64Array {
  const n = theta.length / dim;
  if (derived.length !== n * nDerived) throw new RangeError(`dead.derived has ${derived.length} values, expected ${n} × ${nDerived}`);
  const out = new Float64Array(n * (dim + nDerived));
  for (let i = 0; i < n; i++) {
    out.set(theta.subarray(i * dim, (i + 1) * dim), i * (dim + nDerived));
    out.set(derived.subarray(i * nDerived, (i + 1) * nDerived), i * (dim + nDerived) + dim);
  }
  return out;
}

/**
 * Writes a run as PolyChord does: `_dead-birth.txt`, `.txt`,
 * `_equal_weights.txt`, `.paramnames` and `.stats` under `root`
 * (`<dir>/<file_root>`). Returns the paths written.
 */
export function writePolyChord(result: PolyChordWritable, root: string, options: WriteOptions = {}): string[] {
  const nDerived = result.derivedNames?.length ?? 0;
  if (nDerived > 0 && options.live) throw new RangeError('live points carry no derived parameters: write a finished run (no live) when it has derived ones');
  // Derived parameters are just more columns, as PolyChord writes them.
  const dim = result.dim + nDerived;
  const dead = nDerived > 0 ? { ...result.dead, theta: withDerived(result.dead.theta, result.dead.derived ?? new Float64Array(0), result.dim, nDerived) } : result.dead;
  const paramNames = [...result.paramNames, ...(result.derivedNames ?? []).map((name) => `${name}*`)];
  const n = dead.logL.length;
  const written: string[] = [];
  const put = (path: string, content: string): void => {
    writeFileAtomic(path, content);
    written.push(path);
  };
  put(`${root}_dead-birth.txt`, birthDeathRows(dead, dim));
  if (options.live) put(`${root}_phys_live-birth.txt`, birthDeathRows(options.live, dim));

  let maxLogW = -Infinity;
  for (let i = 0; i < n; i++) maxLogW = Math.max(maxLogW, dead.logWeight[i]!);
  const r = new Float64Array(dim + 2);
  let weighted = '';
  let nPosterior = 0;
  for (let i = 0; i < n; i++) {
    const w = Math.exp(dead.logWeight[i]! - maxLogW);
    if (!(w > 0)) continue;
    r[0] = w;
    r[1] = -2 * dead.logL[i]!;
    for (let j = 0; j < dim; j++) r[2 + j] = dead.theta[i * dim + j]!;
    weighted += row(r);
    nPosterior++;
  }
  put(`${root}.txt`, weighted);

  const nEquals = Math.max(1, Math.floor(result.ess));
  const idx = equalWeightIndices(dead.logWeight, nEquals, options.seed ?? 0);
  let equal = '';
  for (const i of idx) {
    r[0] = 1;
    r[1] = -2 * dead.logL[i]!;
    for (let j = 0; j < dim; j++) r[2 + j] = dead.theta[i * dim + j]!;
    equal += row(r);
  }
  put(`${root}_equal_weights.txt`, equal);

  const latex = options.latex ?? [];
  put(`${root}.paramnames`, paramNames.map((name, j) => `${name}   ${latex[j] ?? name.replace(/\*$/, '')}\n`).join(''));

  // Weighted means and standard deviations for the .stats tail.
  const mean = new Float64Array(dim);
  const sq = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const w = Math.exp(dead.logWeight[i]!);
    for (let j = 0; j < dim; j++) {
      const v = dead.theta[i * dim + j]!;
      mean[j]! += w * v;
      sq[j]! += w * v * v;
    }
  }
  const fmt = (v: number): string => formatFortran(v).trim();
  const lines = [
    'Evidence estimates:',
    '===================',
    '  - The evidence Z is a log-normally distributed, with location and scale parameters mu and sigma.',
    '  - We denote this as log(Z) = mu +/- sigma.',
    '',
    'Global evidence:',
    '----------------',
    '',
    `log(Z)       = ${fmt(result.logZ)} +/- ${fmt(result.logZErr)}`,
    '',
    '',
    'Local evidences:',
    '----------------',
    '',
    `log(Z_1)     = ${fmt(result.logZ)} +/- ${fmt(result.logZErr)}`,
    '',
    '',
    'Run-time information:',
    '---------------------',
    '',
    ' ncluster:          1 /       1',
    ` nposterior: ${String(nPosterior).padStart(10)}`,
    ` nequals:    ${String(nEquals).padStart(10)}`,
    ` ndead:      ${String(n).padStart(10)}`,
    ` nlive:      ${String(options.live ? options.live.logL.length : 0).padStart(10)}`,
    ` nlike:      ${String(result.nLike).padStart(10)}`,
    ` <nlike>:    ${(result.nLike / Math.max(1, n)).toFixed(2).padStart(10)}   (${(result.nLike / Math.max(1, n)).toFixed(2)} per dead point )`,
    '',
    '',
    'Dim No.       Mean        Sigma',
    ...Array.from({ length: dim }, (_, j) => {
      const sd = Math.sqrt(Math.max(0, sq[j]! - mean[j]! * mean[j]!));
      return `${String(j + 1).padStart(3)}  ${fmt(mean[j]!)} +/- ${fmt(sd)}`;
    }),
    '',
  ];
  put(`${root}.stats`, lines.join('\n'));
  return written;
}

/** A run read back from PolyChord-layout files. */
export interface PolyChordRun extends BirthDeathPoints {
  /** Columns before logL: the parameters, then any derived ones. */
  dim: number;
  paramNames: string[];
  /** `.paramnames`' LaTeX column (the name where it has none). */
  labels: string[];
  /** How many of the last columns are derived parameters (named with a trailing `*`). */
  nDerived: number;
  /** The evidence recomputed from `_dead-birth.txt` alone (births and deaths → live counts → log Z). */
  evidence: Evidence;
}

/** A number as Fortran, C or Python print it: 1.5D+02, 1.5E+02, inf, -inf, nan. */
function parseNumber(v: string): number {
  const lower = v.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (lower === 'nan') return NaN;
  return Number(v.replace(/[dD]/, 'E'));
}

/** Parses whitespace-separated numeric rows (Fortran E or plain; inf and nan as Python writes them). */
export function readTable(path: string): number[][] {
  const text = readFileSync(path, 'utf8');
  const rows: number[][] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t) continue;
    rows.push(t.split(/\s+/).map(parseNumber));
  }
  return rows;
}

/**
 * Reads `<root>_dead-birth.txt` (with `_phys_live-birth.txt` and
 * `.paramnames` if present), written by nestflow or PolyChord, and
 * recomputes the evidence from it.
 */
export function readPolyChord(root: string, options: { simulations?: number; seed?: number } = {}): PolyChordRun {
  const path = `${root}_dead-birth.txt`;
  if (!existsSync(path)) throw new RunFileError('RUN_MISSING', `no such run: ${path} does not exist`);
  const rows = readTable(path);
  if (rows.length === 0) throw new RunFileError('RUN_MALFORMED', `${path} has no rows`);
  // A run stopped with live points left (PolyChord at its precision
  // criterion, or nestflow interrupted) has them in _phys_live-birth.txt:
  // they die last, in order of logL, as anesthetic reads them.
  const livePath = `${root}_phys_live-birth.txt`;
  if (existsSync(livePath)) rows.push(...readTable(livePath));
  const width = rows[0]!.length;
  if (width < 3) throw new RunFileError('RUN_MALFORMED', `${path}: expected params…, logL, logL_birth columns, got ${width} columns`);
  const dim = width - 2;
  const n = rows.length;
  const theta = new Float64Array(n * dim);
  const logL = new Float64Array(n);
  const logLBirth = new Float64Array(n);
  rows.forEach((r, i) => {
    if (r.length !== width) throw new RunFileError('RUN_MALFORMED', `${path}: row ${i + 1} has ${r.length} columns, expected ${width}`);
    for (let j = 0; j < dim; j++) theta[i * dim + j] = r[j]!;
    logL[i] = r[dim]! <= LOG_ZERO ? -Infinity : r[dim]!;
    logLBirth[i] = r[dim + 1]! <= LOG_ZERO ? -Infinity : r[dim + 1]!;
  });
  // Death order is non-decreasing logL; PolyChord's files may interleave clusters.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => logL[a]! - logL[b]! || a - b);
  const sortedTheta = new Float64Array(n * dim);
  const sortedL = new Float64Array(n);
  const sortedBirth = new Float64Array(n);
  order.forEach((src, k) => {
    sortedTheta.set(theta.subarray(src * dim, (src + 1) * dim), k * dim);
    sortedL[k] = logL[src]!;
    sortedBirth[k] = logLBirth[src]!;
  });
  let paramNames = Array.from({ length: dim }, (_, j) => `theta${j}`);
  let labels = paramNames;
  let nDerived = 0;
  if (existsSync(`${root}.paramnames`)) {
    const lines = readFileSync(`${root}.paramnames`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    if (lines.length >= dim) {
      const first = lines.slice(0, dim).map((l) => l.split(/\s+/)[0]!);
      // A derived parameter is named with a trailing '*'; they come last.
      while (nDerived < dim && first[dim - 1 - nDerived]!.endsWith('*')) nDerived++;
      paramNames = first.map((name) => name.replace(/\*$/, ''));
      labels = lines.slice(0, dim).map((l, j) => l.split(/\s+/).slice(1).join(' ') || paramNames[j]!);
    }
  }
  const evidence = computeEvidence(sortedL, sortedBirth, { simulations: options.simulations ?? 200, seed: options.seed ?? 0 });
  return { dim, paramNames, labels, nDerived, theta: sortedTheta, logL: sortedL, logLBirth: sortedBirth, evidence };
}

/**
 * A finished run read back for plotting: PolyChord-layout files (written by
 * nestflow or by PolyChord itself) plus, for nestflow, the per-iteration
 * records in `<root>.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readPolyChord } from '../output.js';

/** The per-iteration fields the diagnostics use (a subset of IterationRecord). */
export interface PlotIteration {
  iteration: number;
  killed: number;
  logX: number;
  logZ: number;
  logZErr: number;
  proposals: number;
  likelihoodCalls: number;
  efficiency: number;
  insertionPValue: number;
  trainLoss: number;
}

export interface PlotRun {
  root: string;
  /** 'nestflow' when `<root>.json` came from nestflow, else 'polychord-files'. */
  source: 'nestflow' | 'polychord-files';
  dim: number;
  paramNames: string[];
  /** Second column of `.paramnames` (LaTeX), shown as written. */
  labels: string[];
  theta: Float64Array;
  logL: Float64Array;
  logLBirth: Float64Array;
  logX: Float64Array;
  /** Normalised log posterior weights. */
  logWeight: Float64Array;
  logZ: number;
  logZErr: number;
  ess: number;
  information: number;
  /** From `.stats` or `<root>.json`, NaN when neither says. */
  nLike: number;
  referenceLogZ: number;
  iterations: PlotIteration[];
  /** `<root>.json` as written, when there is one. */
  summary?: Record<string, unknown>;
}

export function loadRun(root: string): PlotRun {
  const run = readPolyChord(root, { simulations: 200, seed: 0 });
  const labels = existsSync(`${root}.paramnames`)
    ? readFileSync(`${root}.paramnames`, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean).map((l) => l.split(/\s+/).slice(1).join(' ') || l.split(/\s+/)[0]!)
    : [];
  let summary: Record<string, unknown> | undefined;
  if (existsSync(`${root}.json`)) {
    try {
      summary = JSON.parse(readFileSync(`${root}.json`, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${root}.json is not valid JSON: ${(err as Error).message}`);
    }
  }
  let nLike = typeof summary?.nLike === 'number' ? summary.nLike : NaN;
  if (!Number.isFinite(nLike) && existsSync(`${root}.stats`)) {
    const m = /nlike:\s+(\d+)/.exec(readFileSync(`${root}.stats`, 'utf8'));
    if (m) nLike = Number(m[1]);
  }
  const iterations = Array.isArray(summary?.iterations) ? (summary.iterations as PlotIteration[]) : [];
  const ref = summary?.referenceLogZ;
  return {
    root,
    source: summary && typeof summary.version === 'string' ? 'nestflow' : 'polychord-files',
    dim: run.dim,
    paramNames: run.paramNames,
    labels: run.paramNames.map((n, j) => labels[j] ?? n),
    theta: run.theta,
    logL: run.logL,
    logLBirth: run.logLBirth,
    logX: run.evidence.logX,
    logWeight: run.evidence.logWeight,
    logZ: run.evidence.logZ,
    logZErr: run.evidence.logZErr,
    ess: run.evidence.ess,
    information: run.evidence.information,
    nLike,
    referenceLogZ: typeof ref === 'number' ? ref : NaN,
    iterations,
    ...(summary ? { summary } : {}),
  };
}

/**
 * A finished run read back for plotting: PolyChord-layout files (written by
 * nestflow or by PolyChord itself) plus, for nestflow, the per-iteration
 * records in `<root>.json`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readPolyChord } from '../output.js';
import { readRunSummary, type RunSummary, type SummaryIteration } from '../run-summary.js';
import { summarizePosterior, type ParameterSummary } from '../summary.js';

/** The per-iteration fields the diagnostics use (a summary's, with NaN where the file has null). */
export type PlotIteration = { [K in keyof SummaryIteration]: number };

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
  /** The run's own log Z ± error (from `<root>.json`), else recomputed from the files. */
  logZ: number;
  logZErr: number;
  /** Where logZ and logZErr come from. */
  logZSource: 'run' | 'recomputed';
  /** Each parameter's posterior summary. */
  parameters: ParameterSummary[];
  ess: number;
  information: number;
  /** From `.stats` or `<root>.json`, NaN when neither says. */
  nLike: number;
  referenceLogZ: number;
  iterations: PlotIteration[];
  /** `<root>.json` as written, when there is one. */
  summary?: RunSummary;
}

export function loadRun(root: string): PlotRun {
  const run = readPolyChord(root, { simulations: 200, seed: 0 });
  const summary = existsSync(`${root}.json`) ? readRunSummary(`${root}.json`) : undefined;
  const finished = summary?.status === 'finished' ? summary : undefined;
  let nLike = finished?.nLike ?? NaN;
  if (!Number.isFinite(nLike) && existsSync(`${root}.stats`)) {
    const m = /nlike:\s+(\d+)/.exec(readFileSync(`${root}.stats`, 'utf8'));
    if (m) nLike = Number(m[1]);
  }
  const iterations = (finished?.iterations ?? []).map((r) => {
    const out = {} as PlotIteration;
    for (const k of Object.keys(r) as (keyof SummaryIteration)[]) out[k] = r[k] ?? NaN;
    return out;
  });
  const ref = finished?.referenceLogZ ?? (summary?.status === 'merged' ? summary.referenceLogZ : undefined);
  // One log Z ± error per run: the run's own where it has one (its error
  // came from its own simulations), so the plot says what the CLI said.
  const own = summary?.status === 'finished' || summary?.status === 'merged' ? summary : undefined;
  return {
    root,
    source: summary ? 'nestflow' : 'polychord-files',
    dim: run.dim,
    paramNames: run.paramNames,
    labels: run.labels,
    theta: run.theta,
    logL: run.logL,
    logLBirth: run.logLBirth,
    logX: run.evidence.logX,
    logWeight: run.evidence.logWeight,
    logZ: own ? own.logZ : run.evidence.logZ,
    logZErr: own ? own.logZErr : run.evidence.logZErr,
    logZSource: own ? 'run' : 'recomputed',
    parameters: summarizePosterior(run.theta, run.evidence.logWeight, run.logL, run.dim, run.paramNames, run.labels.map((l, j) => (l !== run.paramNames[j] ? l : ''))),
    ess: run.evidence.ess,
    information: run.evidence.information,
    nLike,
    referenceLogZ: typeof ref === 'number' ? ref : NaN,
    iterations,
    ...(summary ? { summary } : {}),
  };
}

/**
 * Independent runs of one problem merged into one run, as a job array
 * produces them: K runs of nLive each become one run whose dead points are
 * all of theirs in order of logL, the live count at each death following
 * from births and deaths (K · nLive at the start, as anesthetic merges
 * runs). Its evidence is that of one run with K · nLive live points.
 */
import { existsSync, readFileSync } from 'node:fs';
import { computeEvidence, type Evidence } from './evidence.js';
import { readPolyChord, RunFileError, writePolyChord, type PolyChordRun } from './output.js';
import { readRunSummary, writeRunSummary } from './run-summary.js';
import { summarizePosterior } from './summary.js';
import { VERSION } from './version.js';

/** Runs merged: the combined dead points, their evidence, and where they came from. */
export interface MergedRun {
  /** Columns before logL: the parameters, then nDerived derived ones. */
  dim: number;
  paramNames: string[];
  /** LaTeX labels, from the first run's `.paramnames`. */
  labels: string[];
  nDerived: number;
  theta: Float64Array;
  logL: Float64Array;
  logLBirth: Float64Array;
  evidence: Evidence;
  /** Likelihood calls of all the runs (0 for a run that does not say). */
  nLike: number;
  /** The problem the runs' `.json` name (undefined when none has one), and its exact log Z where they give it. */
  problem: string | undefined;
  referenceLogZ: number | undefined;
  roots: string[];
}

/** A run's problem (from `<root>.json`) and its likelihood calls (`.json`, else `.stats`). */
function runFacts(root: string): { problem: string | undefined; nLike: number; referenceLogZ: number | undefined } {
  const summary = existsSync(`${root}.json`) ? readRunSummary(`${root}.json`) : undefined;
  let nLike = summary?.status === 'finished' ? summary.nLike : NaN;
  if (!Number.isFinite(nLike) && existsSync(`${root}.stats`)) {
    const m = /nlike:\s+(\d+)/.exec(readFileSync(`${root}.stats`, 'utf8'));
    if (m) nLike = Number(m[1]);
  }
  const ref = summary?.status === 'finished' ? summary.referenceLogZ : null;
  return { problem: summary?.problem, nLike: Number.isFinite(nLike) ? nLike : 0, referenceLogZ: ref ?? undefined };
}

/**
 * Merges the runs at `roots` (PolyChord layout, nestflow's or PolyChord's).
 * Refuses, naming the run, runs of another dimension, parameters or problem.
 */
export function mergeRuns(roots: readonly string[], options: { simulations?: number; seed?: number } = {}): MergedRun {
  if (roots.length < 2) throw new RangeError(`merge needs at least two runs, got ${roots.length}`);
  const runs: PolyChordRun[] = roots.map((r) => readPolyChord(r, { simulations: 100 }));
  const facts = roots.map(runFacts);
  const first = runs[0]!;
  runs.forEach((run, k) => {
    if (run.dim !== first.dim)
      throw new RunFileError('RUN_MISMATCH', `cannot merge ${roots[k]} (dim ${run.dim}) with ${roots[0]} (dim ${first.dim}): runs of different problems`);
    if (run.paramNames.join(' ') !== first.paramNames.join(' ') || run.nDerived !== first.nDerived)
      throw new RunFileError('RUN_MISMATCH', `cannot merge ${roots[k]} (parameters ${run.paramNames.join(', ')}) with ${roots[0]} (parameters ${first.paramNames.join(', ')})`);
    const a = facts[0]!.problem;
    const b = facts[k]!.problem;
    if (a !== undefined && b !== undefined && a !== b) throw new RunFileError('RUN_MISMATCH', `cannot merge ${roots[k]} (problem ${b}) with ${roots[0]} (problem ${a})`);
  });
  // All dead points in death order; ties keep run order, then each run's order.
  const rows: { run: number; i: number }[] = [];
  runs.forEach((run, k) => run.logL.forEach((_, i) => rows.push({ run: k, i })));
  rows.sort((p, q) => runs[p.run]!.logL[p.i]! - runs[q.run]!.logL[q.i]! || p.run - q.run || p.i - q.i);
  const dim = first.dim;
  const n = rows.length;
  const theta = new Float64Array(n * dim);
  const logL = new Float64Array(n);
  const logLBirth = new Float64Array(n);
  rows.forEach(({ run, i }, k) => {
    const r = runs[run]!;
    theta.set(r.theta.subarray(i * dim, (i + 1) * dim), k * dim);
    logL[k] = r.logL[i]!;
    logLBirth[k] = r.logLBirth[i]!;
  });
  const evidence = computeEvidence(logL, logLBirth, { simulations: options.simulations ?? 200, seed: options.seed ?? 0 });
  const problem = facts.find((f) => f.problem !== undefined)?.problem;
  const referenceLogZ = facts.find((f) => f.referenceLogZ !== undefined)?.referenceLogZ;
  return { dim, paramNames: first.paramNames, labels: first.labels, nDerived: first.nDerived, theta, logL, logLBirth, evidence, nLike: facts.reduce((s, f) => s + f.nLike, 0), problem, referenceLogZ, roots: [...roots] };
}

/** Writes a merged run in the PolyChord layout, with a `<root>.json` of status "merged"; returns the paths. */
export function writeMergedRun(m: MergedRun, root: string): string[] {
  const e = m.evidence;
  // Derived columns stay derived (name* in .paramnames), as the runs wrote them.
  const nd = m.nDerived;
  const dim = m.dim - nd;
  const n = m.logL.length;
  const theta = new Float64Array(n * dim);
  const derived = new Float64Array(n * nd);
  for (let i = 0; i < n; i++) {
    theta.set(m.theta.subarray(i * m.dim, i * m.dim + dim), i * dim);
    derived.set(m.theta.subarray(i * m.dim + dim, (i + 1) * m.dim), i * nd);
  }
  const written = writePolyChord(
    {
      dim,
      paramNames: m.paramNames.slice(0, dim),
      derivedNames: m.paramNames.slice(dim),
      logZ: e.logZ,
      logZErr: e.logZErr,
      ess: e.ess,
      nLike: m.nLike,
      dead: { theta, derived, logL: m.logL, logLBirth: m.logLBirth, logWeight: e.logWeight },
    },
    root,
    { latex: m.labels },
  );
  writeRunSummary(root, {
    version: VERSION,
    problem: m.problem ?? 'merged',
    settings: {},
    status: 'merged',
    root,
    runs: m.roots,
    logZ: e.logZ,
    logZErr: e.logZErr,
    referenceLogZ: m.referenceLogZ ?? null,
    nLike: m.nLike,
    nDead: m.logL.length,
    ess: e.ess,
    information: Number.isFinite(e.information) ? e.information : null,
    parameters: summarizePosterior(m.theta, e.logWeight, m.logL, m.dim, m.paramNames),
  });
  return [...written, `${root}.json`];
}

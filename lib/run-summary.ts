/**
 * `<root>.json`: the run's summary, as the CLI writes it while a run goes
 * (`running`), when it fails or is interrupted, and when it has finished
 * (or, written by `nestflow merge`, when runs were merged);
 * `nestflow plot` reads it back through the same schema. JSON has no
 * non-finite numbers, so those fields are written (and read) as null.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { RunFileError } from './output.js';
import type { IterationRecord, NestedSamplingResult } from './sampler/index.js';
import { RunCountsSchema, StopReasonSchema } from './sampler/records.js';
import { VERSION } from './version.js';

const num = z.number().nullable();

/** A parameter's posterior summary (lib/summary.ts), as `<root>.json` keeps it. */
export const ParameterSummarySchema = z.object({
  name: z.string(),
  label: z.string().optional(),
  mean: z.number(),
  sd: z.number(),
  median: z.number(),
  ci68: z.tuple([z.number(), z.number()]),
  ci95: z.tuple([z.number(), z.number()]),
  maxLogL: z.number(),
});

/** The per-iteration fields a summary keeps (what the diagnostics plot). */
export const SummaryIterationSchema = z.object({
  iteration: z.number(),
  killed: z.number(),
  logX: num,
  logZ: num,
  logZErr: num,
  proposals: z.number(),
  likelihoodCalls: z.number(),
  efficiency: num,
  insertionPValue: num,
  trainLoss: num,
  unfound: z.number(),
});
export type SummaryIteration = z.infer<typeof SummaryIterationSchema>;

const common = {
  version: z.string(),
  problem: z.string(),
  /** The configuration the run was started with. */
  settings: z.record(z.string(), z.unknown()),
};

export const RunSummarySchema = z.discriminatedUnion('status', [
  z.object({ ...common, status: z.literal('running') }),
  z.object({ ...common, status: z.literal('failed'), error: z.string(), checkpoint: z.string() }),
  z.object({ ...common, status: z.literal('interrupted'), signal: z.string().optional(), nLike: z.number(), nIterations: z.number(), checkpoint: z.string() }),
  z.object({
    ...common,
    status: z.literal('finished'),
    root: z.string(),
    logZ: z.number(),
    logZErr: z.number(),
    referenceLogZ: num,
    nLike: z.number(),
    nDead: z.number(),
    nIterations: z.number(),
    ess: z.number(),
    information: num,
    insertionPValue: num,
    stopReason: StopReasonSchema,
    timingsMs: z.object({ total: z.number(), train: z.number(), sample: z.number(), likelihood: z.number() }),
    counts: RunCountsSchema,
    warnings: z.array(z.string()),
    seed: z.number(),
    /** Absent in files written before nestflow 0.1.0 had summaries. */
    parameters: z.array(ParameterSummarySchema).optional(),
    iterations: z.array(SummaryIterationSchema),
  }),
  // Runs merged by `nestflow merge` (mergeRuns): no iterations of its own.
  z.object({
    ...common,
    status: z.literal('merged'),
    root: z.string(),
    runs: z.array(z.string()),
    logZ: z.number(),
    logZErr: z.number(),
    referenceLogZ: num,
    nLike: z.number(),
    nDead: z.number(),
    ess: z.number(),
    information: num,
    parameters: z.array(ParameterSummarySchema).optional(),
  }),
]);
/** What `<root>.json` holds, by `status`. */
export type RunSummary = z.infer<typeof RunSummarySchema>;
export type FinishedRunSummary = Extract<RunSummary, { status: 'finished' }>;

const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The per-iteration subset kept in a summary. */
export function summaryIteration(it: IterationRecord): SummaryIteration {
  return {
    iteration: it.iteration,
    killed: it.killed,
    logX: finite(it.logX),
    logZ: finite(it.logZ),
    logZErr: finite(it.logZErr),
    proposals: it.proposals,
    likelihoodCalls: it.likelihoodCalls,
    efficiency: finite(it.efficiency),
    insertionPValue: finite(it.insertionPValue),
    trainLoss: finite(it.trainLoss),
    unfound: it.unfound,
  };
}

/** The summary of a finished run. */
export function finishedSummary(
  r: NestedSamplingResult,
  run: { problem: string; root: string; seed: number; referenceLogZ?: number; settings: Record<string, unknown> },
): FinishedRunSummary {
  return {
    version: VERSION,
    problem: run.problem,
    status: 'finished',
    root: run.root,
    logZ: r.logZ,
    logZErr: r.logZErr,
    referenceLogZ: run.referenceLogZ ?? null,
    nLike: r.nLike,
    nDead: r.dead.logL.length,
    nIterations: r.nIterations,
    ess: r.ess,
    information: finite(r.information),
    insertionPValue: finite(r.insertionPValue),
    stopReason: r.stopReason,
    timingsMs: { ...r.timings },
    counts: { ...r.counts },
    warnings: r.warnings,
    seed: run.seed,
    settings: run.settings,
    parameters: r.parameters,
    iterations: r.iterations.map(summaryIteration),
  };
}

/** Writes `<root>.json` atomically. */
export function writeRunSummary(root: string, summary: RunSummary): void {
  writeFileAtomic(`${root}.json`, JSON.stringify(summary, null, 2) + '\n');
}

/** Reads `<root>.json`; throws naming the file and the first bad fields. */
export function readRunSummary(path: string): RunSummary {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RunFileError('RUN_MALFORMED', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = RunSummarySchema.safeParse(raw);
  if (!parsed.success) {
    const fields = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(summary)'}: ${i.message}`);
    throw new RunFileError('RUN_MALFORMED', `${path} is not a nestflow run summary: ${fields.join('; ')}`);
  }
  return parsed.data;
}

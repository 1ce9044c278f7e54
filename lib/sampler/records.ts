/**
 * What a run reports: the per-iteration record, the stop reasons and the
 * counters, each a schema (checkpoints and run summaries are read back
 * through it) with its type derived from it.
 */
import { z } from 'zod';

/** Any number, the non-finite ones included (checkpoints carry −∞ and NaN exactly). */
export const anyNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number');
const count = z.number().int().nonnegative();

/** Why a run ended. */
export const StopReasonSchema = z.enum(['converged', 'plateau', 'maxCalls', 'maxIterations', 'maxSeconds', 'aborted']);
export type StopReason = z.infer<typeof StopReasonSchema>;

/** One iteration's record. */
export const IterationRecordSchema = z
  .object({
    iteration: count,
    /** Live points before the kill. */
    nLive: count,
    /** Points killed (and replaced). */
    killed: count,
    /** Expected log X after the kill. */
    logX: anyNumber,
    /** The contour L* (largest logL killed). */
    contour: anyNumber,
    /** Running log Z estimate after the kill (live points excluded). */
    logZ: anyNumber,
    /** Skilling's running error estimate √(H / nLive), H from the dead points so far. */
    logZErr: anyNumber,
    /** log of the evidence left in the live points relative to logZ, X·mean(L_live)/Z; the run stops below log(tolerance). */
    logRemaining: anyNumber,
    /** Flow proposals drawn. */
    proposals: count,
    rejectedOutsidePrior: count,
    rejectedByWeight: count,
    rejectedByContour: count,
    /** Chains that kept their survivor (flow candidate refused and the delayed-rejection step refused too). */
    stayed: count,
    /** Chains whose flow candidates all fell outside the contour, so they moved by local steps. */
    unfound: count,
    /** Refused chains given a delayed-rejection local step, and how many of those moved. */
    delayedTries: count,
    delayedMoved: count,
    /** Random-walk proposals (delayed-rejection and local steps) and how many landed inside the contour. */
    localTries: count,
    localMoved: count,
    /** Likelihood calls of the random-walk steps (proposals outside the prior or refused by the delayed-rejection ratio cost none). */
    localCalls: count,
    /** Random-walk step this iteration, in units of the live points' Cholesky factor. */
    localScale: anyNumber,
    /** Likelihood calls this iteration. */
    likelihoodCalls: count,
    /** Accepted points per likelihood call. */
    efficiency: anyNumber,
    /** log of the envelope W (the larger of the two groups'). */
    logEnvelope: anyNumber,
    /** Whether W was capped by minWeightPassRate this iteration. */
    envelopeCapped: z.boolean(),
    /** KS p-value of the new points' insertion indices among the survivors. */
    insertionPValue: anyNumber,
    /** Final CFM training loss. */
    trainLoss: anyNumber,
    trainMs: anyNumber,
    sampleMs: anyNumber,
    likelihoodMs: anyNumber,
  })
  .strict();
export type IterationRecord = z.infer<typeof IterationRecordSchema>;

/** Totals over a run: the sums of these iteration counters. */
export const RunCountsSchema = IterationRecordSchema.pick({
  proposals: true,
  rejectedOutsidePrior: true,
  rejectedByWeight: true,
  rejectedByContour: true,
  stayed: true,
  unfound: true,
  localTries: true,
  localMoved: true,
}).strict();
export type RunCounts = z.infer<typeof RunCountsSchema>;

/** Milliseconds spent: the whole run, training the flows, sampling them, in the likelihood. */
export const RunTimingsSchema = z.object({ total: anyNumber, train: anyNumber, sample: anyNumber, likelihood: anyNumber }).strict();
export type RunTimings = z.infer<typeof RunTimingsSchema>;

/** Adds an iteration's counters to the run's totals. */
export function addCounts(totals: RunCounts, r: IterationRecord): void {
  for (const k of Object.keys(RunCountsSchema.shape) as (keyof RunCounts)[]) totals[k] += r[k];
}

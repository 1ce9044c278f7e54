/**
 * Cross-fitting: each live point belongs to one of two folds for life, and
 * each fold's survivors train one flow. Chains that start in fold A move
 * with flow B, which has never been trained on fold A nor proposed its
 * points, so a chain's kernel is independent of its start, as the
 * Metropolis–Hastings step needs (a flow fits its own training points better
 * than the rest of the region, and a point it proposed is, given the flow,
 * depleted where the flow under-covers). A chain's output joins its start's
 * fold.
 */
import type { Flow, TrainOptions } from '../flow.js';
import type { Survivors } from './kill.js';
import type { SamplerFlowOptions } from './options.js';
import { gatherRows } from './proposal.js';

/** The survivors of each fold (rows), and the halves the flows train on: two folds, or one when a fold has fewer than 2 points. */
export function splitFolds(s: Survivors): { foldRows: number[][]; halves: Int32Array[] } {
  const foldRows: number[][] = [[], []];
  for (let k = 0; k < s.n; k++) foldRows[s.fold[k]!]!.push(k);
  const split = foldRows[0]!.length >= 2 && foldRows[1]!.length >= 2;
  const halves = split ? foldRows.map((r) => Int32Array.from(r)) : [Int32Array.from({ length: s.n }, (_, k) => k)];
  return { foldRows, halves };
}

/**
 * Adam steps for a flow fitted to n points. A flow fitted too long to few
 * points memorises them (CFM's optimum is the empirical distribution): by
 * default at most 2 steps per point.
 */
export function trainSteps(flow: SamplerFlowOptions, n: number, firstIteration: boolean): number {
  const perIteration = flow.train?.steps ?? Math.max(20, Math.min(300, 2 * n));
  return firstIteration ? (flow.firstTrainSteps ?? 2 * perIteration) : perIteration;
}

/** Trains flow h on half h (warm-started); returns each flow's final loss. */
export async function trainFlows(flows: readonly Flow[], halves: Int32Array[], s: Survivors, options: SamplerFlowOptions, firstIteration: boolean): Promise<number[]> {
  const dim = flows[0]!.dim;
  const losses: number[] = [];
  for (let h = 0; h < halves.length; h++) {
    const steps = trainSteps(options, halves[h]!.length, firstIteration);
    const trained = await flows[h]!.train(gatherRows(s.u, halves[h]!, dim), { ...options.train, steps } satisfies TrainOptions);
    if (trained.loss.length) losses.push(trained.loss[trained.loss.length - 1]!);
  }
  return losses;
}

/**
 * Cross-fitting: each live point belongs to one of K folds for life. The
 * flow that serves fold k is trained on the survivors of every other fold,
 * so it has never been trained on a point its chains start from, as the
 * Metropolis–Hastings step needs (a flow fits its own training points
 * better than the rest of the region). A chain's output joins its start's
 * fold. The flow still trains on points that flows trained on fold k
 * proposed: that second-hand memory is what docs/algorithm.md measures
 * under "Where it struggles". More folds give each flow more points
 * ((K − 1)/K of the survivors) at the price of K trainings.
 */
import type { Flow, TrainOptions } from '../flow.js';
import type { Survivors } from './kill.js';
import type { SamplerFlowOptions } from './options.js';
import { gatherRows } from './rows.js';

/** What each flow trains on and which fold it serves. */
export interface FoldPlan {
  /** Survivor rows of each fold. */
  foldRows: number[][];
  /** Per flow: the survivor rows it trains on. */
  training: Int32Array[];
  /** Per flow: the fold whose chains it serves (−1: every chain, when the survivors could not be split). */
  serves: number[];
}

/**
 * Flow j serves fold K − 1 − j (so with two folds flow 0 trains on fold 0
 * and serves fold 1). When a fold has fewer than 2 survivors, one flow is
 * trained on all of them and serves every chain.
 */
export function planFolds(s: Survivors, folds: number): FoldPlan {
  const foldRows: number[][] = Array.from({ length: folds }, () => []);
  for (let k = 0; k < s.n; k++) foldRows[s.fold[k]!]!.push(k);
  if (foldRows.some((r) => r.length < 2)) return { foldRows, training: [Int32Array.from({ length: s.n }, (_, k) => k)], serves: [-1] };
  const serves = Array.from({ length: folds }, (_, j) => folds - 1 - j);
  const training = serves.map((k) => Int32Array.from(foldRows.flatMap((rows, f) => (f === k ? [] : rows)).sort((a, b) => a - b)));
  return { foldRows, training, serves };
}

/**
 * Adam steps for each of `flows` flows fitted to n points. A flow fitted too
 * long to few points memorises them (CFM's optimum is the empirical
 * distribution), and a memorised point looks well covered to the chains
 * that start near it: by default at most 2 steps per point, and the
 * iteration's steps shared so that K flows train as long as two did
 * (Rosenbrock 6-D, 4 folds, seeds 1 and 3: 150 steps each took 42–45k
 * calls against 39–40k with 300, at about half the training time). Steps
 * scale with the share of live points an iteration replaces (killFraction
 * / 0.5), so a run trains as long per unit of log X whatever that share
 * (Rosenbrock 10-D, killFraction 0.25, seeds 1, 3, 5: 145–223k calls with
 * 75 steps against 207–271k with 150).
 */
export function trainSteps(flow: SamplerFlowOptions, n: number, firstIteration: boolean, flows = 2, killFraction = 0.5): number {
  const perIteration =
    flow.train?.steps ?? Math.max(20, Math.round(((Math.min(300, 2 * n) * 2) / Math.max(2, flows)) * (killFraction / 0.5)));
  return firstIteration ? (flow.firstTrainSteps ?? 2 * perIteration) : perIteration;
}

/**
 * Trains flow j on its rows (warm-started); returns each flow's final loss.
 * Every point trains (no validation hold-out unless asked for): the points
 * a flow may use are few, and what a flow leaves out it under-covers.
 */
export async function trainFlows(flows: readonly Flow[], training: Int32Array[], s: Survivors, options: SamplerFlowOptions, firstIteration: boolean, killFraction: number): Promise<number[]> {
  const dim = flows[0]!.dim;
  // The flows train at once: each has its own thread pool and random stream,
  // so the result is the same as one after another, and one flow's serial
  // stretches overlap another's parallel ones.
  const trained = await Promise.all(
    training.map((rows, j) => {
      const steps = trainSteps(options, rows.length, firstIteration, training.length, killFraction);
      return flows[j]!.train(gatherRows(s.u, rows, dim), { validationFraction: 0, ...options.train, steps } satisfies TrainOptions);
    }),
  );
  return trained.flatMap((t) => (t.loss.length ? [t.loss[t.loss.length - 1]!] : []));
}

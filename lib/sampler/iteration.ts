/**
 * One iteration's working set, shared by the moves: the chains (which group
 * and survivor each starts from, its envelope), their new points, the
 * counters the iteration record is made of, and the time spent sampling.
 */
import type { Random } from '../random.js';
import type { Kill } from './kill.js';
import type { Evaluate } from './likelihood.js';
import type { ResolvedOptions } from './options.js';
import type { ProposalGroup } from './group.js';

/** What an iteration counts while it runs. */
export interface IterationCounters {
  proposals: number;
  outside: number;
  weight: number;
  contour: number;
  stayed: number;
  flowCalls: number;
  flowInside: number;
  unfound: number;
  delayedTries: number;
  delayedMoved: number;
  localTries: number;
  localMoved: number;
  localCalls: number;
  capped: boolean;
  /** Refill draws of the flow move and how many passed the cube and group weight tests (the pass rate that sizes the next iteration's refills). */
  refillDrawn: number;
  refillQueued: number;
}

export class Iteration {
  /** Chains: one per killed point. */
  readonly m: number;
  readonly contour: number;
  /** Per chain: its group (flow), its start (a survivor's row), the start's log w and the chain's envelope log W. */
  readonly chainGroup: Int32Array;
  readonly chainStart: Int32Array;
  readonly chainStartLogW: Float64Array;
  readonly chainLogW: Float64Array;
  /** The fold each chain's output joins. */
  readonly chainFold: Uint8Array;
  /** log w of the flow candidate a chain refused (for the delayed-rejection step). */
  readonly refusedLogW: Float64Array;
  readonly newU: Float64Array;
  readonly newTheta: Float64Array;
  readonly newLogL: Float64Array;
  readonly counters: IterationCounters = {
    proposals: 0, outside: 0, weight: 0, contour: 0, stayed: 0, flowCalls: 0, flowInside: 0, unfound: 0,
    delayedTries: 0, delayedMoved: 0, localTries: 0, localMoved: 0, localCalls: 0, capped: false, refillDrawn: 0, refillQueued: 0,
  };
  /** Milliseconds spent in the flows' ODE (sampling and inverting). */
  sampleMs = 0;
  /** Likelihood calls this iteration. */
  calls = 0;
  /** Steps of the delayed-rejection move's second stage (more than 1 when refused chains walk). */
  delayedSteps = 1;

  constructor(
    readonly index: number,
    readonly dim: number,
    readonly rng: Random,
    readonly options: ResolvedOptions,
    readonly kill: Kill,
    readonly groups: ProposalGroup[],
    readonly runEvaluate: Evaluate,
    /** Random-walk step in units of the local factor; the random walk retunes it. */
    public localScale: number,
  ) {
    const m = kill.killed;
    this.m = m;
    this.contour = kill.contour;
    this.chainGroup = new Int32Array(m);
    this.chainStart = new Int32Array(m);
    this.chainStartLogW = new Float64Array(m);
    this.chainLogW = new Float64Array(m);
    this.chainFold = new Uint8Array(m);
    this.refusedLogW = new Float64Array(m);
    this.newU = new Float64Array(m * dim);
    this.newTheta = new Float64Array(m * dim);
    this.newLogL = new Float64Array(m);
  }

  /** The run's checked likelihood call, counted for this iteration. */
  evaluate(u: Float64Array, n: number): ReturnType<Evaluate> {
    this.calls += n;
    return this.runEvaluate(u, n);
  }

  /** Chain c's new point: row k of (u, theta, logL). */
  setNew(c: number, u: Float64Array, theta: Float64Array, logL: Float64Array, k: number): void {
    const d = this.dim;
    this.newU.set(u.subarray(k * d, (k + 1) * d), c * d);
    this.newTheta.set(theta.subarray(k * d, (k + 1) * d), c * d);
    this.newLogL[c] = logL[k]!;
  }

  /** Chain c keeps (for now) its start. */
  copyStart(c: number): void {
    const s = this.kill.survivors;
    this.setNew(c, s.u, s.theta, s.logL, this.chainStart[c]!);
  }

  /** Runs an ODE call and counts its time as sampling. */
  async timed<T>(op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    const out = await op();
    this.sampleMs += performance.now() - t0;
    return out;
  }

  /**
   * Chains per group bring each fold back to its share of the live points
   * (nLive / folds); starts cycle through their group in a random order.
   * Without a split, outputs go to the folds below their share.
   */
  assignChains(nLive: number, foldSizes: readonly number[]): void {
    const { m, groups, rng } = this;
    const folds = foldSizes.length;
    // Each fold's share of the live points, and how far each is below it.
    const target = (k: number): number => Math.round((nLive * (k + 1)) / folds) - Math.round((nLive * k) / folds);
    const deficit = foldSizes.map((n, k) => Math.max(0, target(k) - n));
    const share = (wants: number[]): number[] => {
      let left = m;
      return wants.map((w, k) => {
        const c = k === wants.length - 1 ? left : Math.min(left, w);
        left -= c;
        return c;
      });
    };
    // One group per fold: its chains refill their own fold. One group: chains go where the deficit is.
    const perFold = share(deficit);
    const chainsPerGroup = groups.length === folds ? perFold : [m];
    const chainFolds = groups.length === folds ? [] : perFold.flatMap((c, k) => Array<number>(c).fill(k));
    for (let c = 0, h = 0, k = 0; c < m; c++, k++) {
      while (k >= chainsPerGroup[h]!) {
        h++;
        k = 0;
      }
      const g = groups[h]!;
      if (k % g.starts.length === 0) g.order = rng.permutation(g.starts.length);
      const j = g.order[k % g.starts.length]!;
      this.chainGroup[c] = h;
      this.chainStart[c] = g.starts[j]!;
      this.chainStartLogW[c] = g.logWStart[j]!;
      this.chainLogW[c] = g.logWStart[j]! > g.threshold ? g.logWLow : g.logWHigh;
      this.chainFold[c] = groups.length === folds ? h : chainFolds[c]!;
    }
  }
}

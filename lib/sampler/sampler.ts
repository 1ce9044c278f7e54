/**
 * Nested sampling with flow proposals: the run loop. Each iteration kills
 * the worst half of the live points, fits cross-fitted flows to the
 * survivors (one per fold), and replaces the dead by chains whose moves come from the
 * flows (then a delayed-rejection step, then random walks where the flow
 * failed). The state between iterations is one object, checkpointed whole.
 */
import { Flow } from '../flow.js';
import { logSumExp } from '../evidence.js';
import { CheckpointWriter, checkpointSettings, readRunCheckpoint, type CheckpointOptions } from './checkpointing.js';
import { endIteration } from './end-iteration.js';
import { planFolds, trainFlows } from './folds.js';
import { checkLiveLikelihood, checkRestoredState } from './state-check.js';
import { Iteration } from './iteration.js';
import { drawFromPrior, killWorst, type Kill } from './kill.js';
import type { Evaluate } from './likelihood.js';
import { openLikelihood, type LikelihoodSource } from './likelihood-source.js';
import { DelayedRejectionMove, refusalsWalk } from './moves/delayed-rejection.js';
import { FlowChainsMove } from './moves/flow-chains.js';
import { runMoves } from './moves/move.js';
import { RandomWalkMove } from './moves/random-walk.js';
import { resolveOptions, runFingerprint, type NestedSamplerOptions, type ResolvedOptions } from './options.js';
import { buildGroups, pilotUpFront } from './proposal.js';
import type { IterationRecord, StopReason } from './records.js';
import { finishRun, type NestedSamplingResult } from './result.js';
import { newRunState, type RunState } from './state.js';

/** A run's totals after an iteration: what a resumed run had before included. */
export interface RunProgress {
  /** Likelihood calls so far. */
  nLike: number;
  /** Milliseconds of the run so far. */
  elapsedMs: number;
}

/** Options of {@link NestedSampler.run}. */
export interface RunOptions {
  /** Called after every iteration, with the run's totals so far (a resumed run's included). */
  onIteration?: (record: IterationRecord, totals: RunProgress) => void;
  /** Called after every iteration with the live points (θ row-major, logL, birth contours), e.g. to write `_phys_live-birth.txt`. */
  onLive?: (live: { theta: Float64Array; logL: Float64Array; logLBirth: Float64Array }) => void;
  /** Aborts between iterations; the result so far is returned (stopReason 'aborted'). */
  signal?: AbortSignal;
  /**
   * Write checkpoints to `path` (atomically: temporary file, fsync, rename)
   * every `everyIterations` iterations (default 1) or `everySeconds` seconds
   * (default Infinity), when the run stops (a finished run, or one stopped by
   * a cap or the signal, which can be resumed), and before an error escapes.
   */
  checkpoint?: CheckpointOptions;
  /**
   * Continue from this checkpoint: the run ends with exactly the dead points,
   * log Z and nLike of an uninterrupted run with the same settings (CPU
   * backend). A finished run's checkpoint returns its result without work.
   */
  resume?: string;
}

/**
 * Nested sampling with flow proposals.
 *
 * ```ts
 * const sampler = new NestedSampler({ logLikelihood, prior: priors.uniform([-5, -5], [5, 5]), nLive: 500, seed: 1 });
 * const r = await sampler.run();
 * console.log(r.logZ, r.logZErr, r.nLike);
 * ```
 */
export class NestedSampler {
  readonly dim: number;
  readonly nLive: number;
  readonly #o: ResolvedOptions;
  #flows: Flow[];

  constructor(options: NestedSamplerOptions) {
    this.#o = resolveOptions(options);
    this.dim = this.#o.dim;
    this.nLive = this.#o.nLive;
    // Built now so bad flow options fail before any likelihood call; each run reseeds them.
    const f = this.#o.flow;
    const make = (): Flow => new Flow({ dim: this.dim, hidden: f.hidden, threads: f.threads, odeSteps: f.odeSteps, trace: f.trace, backend: f.backend });
    this.#flows = Array.from({ length: this.#o.folds }, make);
  }

  /** Runs to convergence (or a cap) and returns the evidence and posterior. */
  async run(options: RunOptions = {}): Promise<NestedSamplingResult> {
    const o = this.#o;
    const likelihood = await openLikelihood(o.logLikelihood, o.vectorized, o.dim, o.workers, o.mpi);
    try {
      return await this.#run(options, likelihood);
    } finally {
      await likelihood.close();
    }
  }

  async #run(options: RunOptions, likelihood: LikelihoodSource): Promise<NestedSamplingResult> {
    const o = this.#o;
    const fingerprint = runFingerprint(o);
    const mNominal = Math.max(1, Math.min(o.nLive - 1, Math.round(o.killFraction * o.nLive)));
    const resumed = options.resume !== undefined;
    const checkpoint = checkpointSettings(options.checkpoint);
    const state = resumed ? await this.#resume(options.resume, fingerprint, mNominal, likelihood) : newRunState(o.dim, o.nLive, o.seed);
    if (!resumed) for (const f of this.#flows) f.reset(state.rng.nextSeed());
    if (!state.finished) state.stopReason = 'converged';
    const start = performance.now() - state.timings.total;
    const warn = (m: string): void => {
      state.warnings.push(m);
      o.onWarning(m);
    };
    const evaluate: Evaluate = async (u, n) => {
      const theta = new Float64Array(n * o.dim);
      o.prior.transform(u, theta, n);
      const t0 = performance.now();
      const logL = await likelihood.evaluate(theta, n);
      state.timings.likelihood += performance.now() - t0;
      state.nLike += n;
      return { theta, logL };
    };
    if (!resumed) await drawFromPrior(state, Math.max(o.nLive, Math.round(o.nLive * o.priorBoost)), o.dim, o.folds, evaluate);

    const writer = checkpoint ? new CheckpointWriter(checkpoint, fingerprint, state.iteration) : undefined;
    try {
      while (!state.finished) {
        state.timings.total = performance.now() - start;
        writer?.atBoundary(state, this.#flows);
        const stop = this.#shouldStop(state, start, options.signal);
        if (stop) {
          state.stopReason = stop;
          break;
        }
        const kill = killWorst(state, mNominal, o.dim);
        if (!kill) {
          state.stopReason = 'plateau';
          break;
        }
        const record = await this.#iterate(state, kill, evaluate, warn);
        options.onIteration?.(record, { nLike: state.nLike, elapsedMs: performance.now() - start });
        options.onLive?.({ theta: state.live.theta, logL: state.live.logL, logLBirth: state.live.birth });
        state.iteration++;
      }
    } catch (err) {
      // The last iteration's start is a good state: keep it for a resume.
      try {
        writer?.write();
      } catch {
        // the original error matters more
      }
      throw err;
    }
    if (writer && !state.finished) {
      // Converged (or a plateau): the checkpoint holds the finished run; other stops can be resumed.
      state.finished = state.stopReason === 'converged' || state.stopReason === 'plateau';
      state.timings.total = performance.now() - start;
      writer.atBoundary(state, this.#flows, true);
    }
    const result = finishRun(state, o, mNominal, warn);
    result.timings.total = performance.now() - start;
    return result;
  }

  /**
   * The state and flows of a checkpoint, checked before the run continues:
   * settings, the state's own consistency, and its live points against the
   * likelihood (an edited or foreign checkpoint is refused, never resumed).
   */
  async #resume(path: unknown, fingerprint: Record<string, unknown>, mNominal: number, likelihood: LikelihoodSource): Promise<RunState> {
    const o = this.#o;
    const source = `checkpoint ${String(path)}`;
    const { state, flows } = readRunCheckpoint(path, fingerprint, o.flow);
    checkRestoredState(state, flows, this.#flows[0]!.info.hidden, o, mNominal, source);
    state.timings.likelihood += await checkLiveLikelihood(state, likelihood, source);
    this.#flows = flows;
    return state;
  }

  /** Why the run stops before this iteration, if it does. */
  #shouldStop(state: RunState, start: number, signal: AbortSignal | undefined): StopReason | undefined {
    const o = this.#o;
    // The evidence left in the live points is negligible.
    const logLiveMean = logSumExp(state.live.logL) - Math.log(o.nLive);
    if (state.evidence.logX + logLiveMean < Math.log(o.tolerance) + state.evidence.logZ) return 'converged';
    if (state.nLike >= o.maxCalls) return 'maxCalls';
    if (state.iteration >= o.maxIterations) return 'maxIterations';
    if ((performance.now() - start) / 1000 >= o.maxSeconds) return 'maxSeconds';
    if (signal?.aborted) return 'aborted';
    return undefined;
  }

  /** One iteration after the kill: fit the flows, move the chains, record. */
  async #iterate(state: RunState, kill: Kill, evaluate: Evaluate, warn: (m: string) => void): Promise<IterationRecord> {
    const o = this.#o;
    const flows = this.#flows;
    // Fit: one flow per fold, trained on the other folds' survivors (cross-fitting).
    const plan = planFolds(kill.survivors, o.folds);
    const t0 = performance.now();
    const losses = await trainFlows(flows, plan.training, kill.survivors, o.flow, state.iteration === 0, o.killFraction);
    const trainMs = performance.now() - t0;
    state.timings.train += trainMs;
    // Propose: each chain starts at a survivor and moves with the flow that never saw its fold.
    const likelihoodMsBefore = state.timings.likelihood;
    const it = new Iteration(state.iteration, o.dim, state.rng, o, kill, [], evaluate, state.rates.localScale);
    const last = state.iterations[state.iterations.length - 1];
    await buildGroups(it, flows, plan, pilotUpFront(last, state.rates.weightPassRate, o.minWeightPassRate));
    it.assignChains(o.nLive, plan.foldRows.map((r) => r.length));
    // Refused chains walk when the last iteration's flow refused many chains.
    it.delayedSteps = refusalsWalk(last) ? o.localSteps : 1;
    // Without flow moves (a diagnostic) the walk is the first move and takes every chain.
    const moves = o.flowMoves
      ? [new FlowChainsMove(state.rates.weightPassRate, state.rates.flowContourRate), new DelayedRejectionMove(), new RandomWalkMove()]
      : [new RandomWalkMove()];
    await runMoves(moves, it);
    // The envelope as the moves left it (a late pilot may have capped it).
    const logEnvelope = Math.max(...it.groups.map((g) => g.logWHigh));
    // Record: rates, insertion test, the new live set.
    return endIteration(state, it, { trainMs, losses, logEnvelope, likelihoodMsBefore }, warn);
  }
}

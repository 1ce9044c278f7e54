/**
 * The nested-sampling loop of DESIGN.md: batch kills, two cross-fitted flows
 * trained on the survivors, new points by rejection-Metropolis chains whose
 * proposals come from the flows and tempered copies of them (free cube and
 * weight tests first, only then the likelihood), local random-walk steps where
 * the flow fails, and checkpoints that resume bit for bit.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointError, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { computeEvidence, equalWeightIndices, logSumExp, log1mExp, type Evidence } from './evidence.js';
import { Flow, type TraceMode, type TrainOptions } from './flow.js';
import { ksUniform } from './ks.js';
import type { Prior } from './priors.js';
import { Random } from './random.js';

/** A batched log-likelihood: θ is row-major [n × dim]; returns n values (−Infinity allowed). */
export type BatchLogLikelihood = (theta: Float64Array, n: number) => Float64Array | number[] | Promise<Float64Array | number[]>;
/** A per-point log-likelihood (with `vectorized: false`). */
export type PointLogLikelihood = (theta: Float64Array) => number | Promise<number>;

/** Flow settings used by the sampler. */
export interface SamplerFlowOptions {
  /** Hidden widths of the vector field. Default [128, 128, 128]. */
  hidden?: number[];
  /** Threads of the flow backend (default: OMP_NUM_THREADS or all cores). */
  threads?: number;
  /** RK4 steps. Default 10. */
  odeSteps?: number;
  /** Trace mode. Default 'auto' (exact up to 64-D). */
  trace?: TraceMode;
  /** Training options per iteration (warm-started). Default: 300 steps, batch 1000, lr 1e-3. */
  train?: TrainOptions;
  /** Training steps of the first iteration (from scratch). Default 2 × train.steps. */
  firstTrainSteps?: number;
}

/** Options of {@link NestedSampler}. */
export interface NestedSamplerOptions {
  /** The log-likelihood: batched (default) or per point with `vectorized: false`. */
  logLikelihood: BatchLogLikelihood | PointLogLikelihood;
  /** The prior, as a unit-hypercube transform (see `priors`). */
  prior: Prior;
  /** `false`: logLikelihood takes one θ and returns a number. Default true. */
  vectorized?: boolean;
  /** Live points. Default 500. */
  nLive?: number;
  /** Seed of the run's random stream (prior draws, rejections, the flow). Default 0. */
  seed?: number;
  /** Fraction of the live points killed per iteration. Default 0.5. */
  killFraction?: number;
  /** Stop when the evidence left in the live points, X·mean(L_live), is below tolerance·Z. Default 1e-3. */
  tolerance?: number;
  /** Prior draws at the start = nLive × priorBoost (the worst become dead points). Default 1. */
  priorBoost?: number;
  /**
   * The envelope W of the weight test is the survivors' weight 1/q at this
   * quantile (leave-one-out), times e^envelopeMargin. Lower: fewer proposals
   * and calls, but more chains that keep their survivor. Default 0.9.
   */
  envelopeQuantile?: number;
  /** Nats added to log W. Default 0. */
  envelopeMargin?: number;
  /**
   * W is capped where the flow's own draws would pass the weight test at this
   * rate (a poor flow then costs chains that stay, not a stall). Default 0.01.
   */
  minWeightPassRate?: number;
  /**
   * A chain whose flow candidates fall outside the contour this many times
   * moves by local random-walk steps instead. Default 12; an iteration uses
   * 1 instead when r · localSteps < 1, r the last iteration's fraction of
   * flow candidates inside the contour (a try then saves less than it costs).
   */
  maxFlowCallsPerPoint?: number;
  /**
   * Random-walk Metropolis steps (one likelihood call each) for such a chain.
   * Default 3 × dim: about one integrated autocorrelation time of a random
   * walk tuned to 25% acceptance (≈ 3.3 d; Roberts, Gelman & Gilks 1997).
   * Shorter walks leave new points correlated with their starts, which biases
   * log Z high as PolyChord's short chains do (Rosenbrock 6-D: +3.0σ and
   * +3.5σ with dim steps).
   */
  localSteps?: number;
  /**
   * Fraction of proposals from the tempered flow (latent z ~ N(0, τ² I), τ
   * from how far the other fold's points sit in the flow's latent space).
   * Default 0.2; 0 turns it off.
   */
  temperedFraction?: number;
  /** Stop after this many likelihood calls (checked between iterations). */
  maxCalls?: number;
  /** Stop after this many iterations. */
  maxIterations?: number;
  /** Stop after this many seconds. */
  maxSeconds?: number;
  /** An iteration that needs more flow proposals than this throws (a stalled run, e.g. a partial plateau). Default 1e7. */
  maxProposalsPerIteration?: number;
  /** Parameter names (length dim). Default theta0, theta1, … */
  paramNames?: string[];
  /** Flow settings. */
  flow?: SamplerFlowOptions;
  /** Receives warnings (low insertion-index p-value). Default console.warn. */
  onWarning?: (message: string) => void;
}

/** One iteration's record. */
export interface IterationRecord {
  iteration: number;
  /** Live points before the kill. */
  nLive: number;
  /** Points killed (and replaced). */
  killed: number;
  /** Expected log X after the kill. */
  logX: number;
  /** The contour L* (largest logL killed). */
  contour: number;
  /** Running log Z estimate after the kill (live points excluded). */
  logZ: number;
  /** Skilling's running error estimate √(H / nLive), H from the dead points so far. */
  logZErr: number;
  /** log of the evidence left in the live points relative to logZ, X·mean(L_live)/Z; the run stops below log(tolerance). */
  logRemaining: number;
  /** Flow proposals drawn. */
  proposals: number;
  rejectedOutsidePrior: number;
  rejectedByWeight: number;
  rejectedByContour: number;
  /** Chains that kept their survivor (flow candidate refused and the delayed-rejection step refused too). */
  stayed: number;
  /** Chains whose flow candidates all fell outside the contour, so they moved by local steps. */
  unfound: number;
  /** Refused chains given a delayed-rejection local step, and how many of those moved. */
  delayedTries: number;
  delayedMoved: number;
  /** Random-walk proposals (delayed-rejection and local steps) and how many landed inside the contour. */
  localTries: number;
  localMoved: number;
  /** Likelihood calls of the random-walk steps (proposals outside the prior or refused by the delayed-rejection ratio cost none). */
  localCalls: number;
  /** Random-walk step this iteration, in units of the live points' Cholesky factor. */
  localScale: number;
  /** Likelihood calls this iteration. */
  likelihoodCalls: number;
  /** Accepted points per likelihood call. */
  efficiency: number;
  /** log of the envelope W (the larger of the two groups'). */
  logEnvelope: number;
  /** Whether W was capped by minWeightPassRate this iteration. */
  envelopeCapped: boolean;
  /** KS p-value of the new points' insertion indices among the survivors. */
  insertionPValue: number;
  /** Final CFM training loss. */
  trainLoss: number;
  trainMs: number;
  sampleMs: number;
  likelihoodMs: number;
}

/** Dead points, in death order. */
export interface DeadPoints {
  /** Parameters, row-major [n × dim]. */
  theta: Float64Array;
  logL: Float64Array;
  /** Contour the point was born in (−Infinity for prior draws). */
  logLBirth: Float64Array;
  /** Normalised log posterior weights. */
  logWeight: Float64Array;
  /** Live points at each death. */
  nLive: Int32Array;
}

/** Why a run ended. */
export type StopReason = 'converged' | 'plateau' | 'maxCalls' | 'maxIterations' | 'maxSeconds' | 'aborted';

/** The outcome of {@link NestedSampler.run}. */
export interface NestedSamplingResult {
  logZ: number;
  logZErr: number;
  /** Every likelihood evaluation, the start included. */
  nLike: number;
  nIterations: number;
  /** KL information H (nats). */
  information: number;
  /** Kish effective sample size. */
  ess: number;
  dead: DeadPoints;
  dim: number;
  paramNames: string[];
  iterations: IterationRecord[];
  /** KS p-value of all insertion indices of the run. */
  insertionPValue: number;
  stopReason: StopReason;
  warnings: string[];
  /** Totals. */
  counts: { proposals: number; rejectedOutsidePrior: number; rejectedByWeight: number; rejectedByContour: number; stayed: number; unfound: number; localTries: number; localMoved: number };
  /** Milliseconds spent. */
  timings: { total: number; train: number; sample: number; likelihood: number };
  /** Equal-weight posterior samples (systematic resampling), row-major [n × dim]. Default n: ESS. */
  posteriorSamples(n?: number): Float64Array;
}

/** Options of {@link NestedSampler.run}. */
export interface RunOptions {
  /** Called after every iteration. */
  onIteration?: (record: IterationRecord) => void;
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

/** Where and how often {@link NestedSampler.run} writes checkpoints. */
export interface CheckpointOptions {
  path: string;
  everyIterations?: number;
  everySeconds?: number;
}

function positiveInt(value: unknown, name: string, min: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

function positiveNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`${name} must be a positive finite number, got ${value}`);
  return value;
}

/** Error raised by the sampler for a misbehaving likelihood; `.code` is stable. */
export class LikelihoodError extends Error {
  readonly code: 'LIKELIHOOD_NAN' | 'LIKELIHOOD_INF' | 'LIKELIHOOD_LENGTH' | 'LIKELIHOOD_TYPE' | 'LIKELIHOOD_THREW';
  constructor(code: LikelihoodError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LikelihoodError';
    this.code = code;
  }
}

/** Growable column store for dead points. */
class DeadStore {
  theta: Float64Array;
  logL: Float64Array;
  logLBirth: Float64Array;
  size = 0;
  constructor(readonly dim: number) {
    this.theta = new Float64Array(1024 * dim);
    this.logL = new Float64Array(1024);
    this.logLBirth = new Float64Array(1024);
  }
  push(theta: Float64Array, offset: number, logL: number, birth: number): void {
    if (this.size === this.logL.length) {
      const grow = (a: Float64Array): Float64Array => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.theta = grow(this.theta);
      this.logL = grow(this.logL);
      this.logLBirth = grow(this.logLBirth);
    }
    this.theta.set(theta.subarray(offset * this.dim, (offset + 1) * this.dim), this.size * this.dim);
    this.logL[this.size] = logL;
    this.logLBirth[this.size] = birth;
    this.size++;
  }
}

/**
 * Points of one iteration (queued candidates or accepted points) in typed
 * arrays: u (and θ) rows, logL and log w, appended and filtered in place.
 */
class PointBuffer {
  u: Float64Array;
  theta: Float64Array;
  logL: Float64Array;
  logW: Float64Array;
  size = 0;
  constructor(readonly dim: number, capacity: number) {
    this.u = new Float64Array(capacity * dim);
    this.theta = new Float64Array(capacity * dim);
    this.logL = new Float64Array(capacity);
    this.logW = new Float64Array(capacity);
  }
  reset(capacity: number): void {
    if (capacity > this.logW.length) {
      this.u = new Float64Array(capacity * this.dim);
      this.theta = new Float64Array(capacity * this.dim);
      this.logL = new Float64Array(capacity);
      this.logW = new Float64Array(capacity);
    }
    this.size = 0;
  }
  push(u: Float64Array, uRow: number, logW: number, theta?: Float64Array, thetaRow = 0, logL = NaN): void {
    const d = this.dim;
    this.u.set(u.subarray(uRow * d, (uRow + 1) * d), this.size * d);
    if (theta) this.theta.set(theta.subarray(thetaRow * d, (thetaRow + 1) * d), this.size * d);
    this.logL[this.size] = logL;
    this.logW[this.size] = logW;
    this.size++;
  }
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
  readonly #opts: Required<Omit<NestedSamplerOptions, 'maxCalls' | 'maxIterations' | 'maxSeconds' | 'flow' | 'paramNames' | 'onWarning'>> & {
    maxCalls: number;
    maxIterations: number;
    maxSeconds: number;
    paramNames: string[];
    flow: SamplerFlowOptions;
    onWarning: (m: string) => void;
  };

  constructor(options: NestedSamplerOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    if (typeof options.logLikelihood !== 'function') throw new TypeError('logLikelihood must be a function');
    const prior = options.prior;
    if (!prior || typeof prior.transform !== 'function' || typeof prior.dim !== 'number')
      throw new TypeError('prior must be a Prior (see priors.uniform, priors.custom, …)');
    const dim = positiveInt(prior.dim, 'prior.dim', 1);
    const nLive = positiveInt(options.nLive ?? 500, 'nLive', 2);
    const killFraction = options.killFraction ?? 0.5;
    if (typeof killFraction !== 'number' || !(killFraction > 0 && killFraction < 1))
      throw new RangeError(`killFraction must be in (0, 1), got ${String(killFraction)}`);
    const paramNames = options.paramNames ?? Array.from({ length: dim }, (_, i) => `theta${i}`);
    if (!Array.isArray(paramNames) || paramNames.length !== dim)
      throw new RangeError(`paramNames has ${Array.isArray(paramNames) ? paramNames.length : 'no'} entries, but the prior has dim ${dim}`);
    const margin = options.envelopeMargin ?? 0;
    if (typeof margin !== 'number' || !(margin >= 0) || !Number.isFinite(margin))
      throw new RangeError(`envelopeMargin must be a finite number ≥ 0, got ${String(margin)}`);
    this.dim = dim;
    this.nLive = nLive;
    this.#opts = {
      logLikelihood: options.logLikelihood,
      prior,
      vectorized: options.vectorized ?? true,
      nLive,
      seed: positiveInt(options.seed ?? 0, 'seed', 0),
      killFraction,
      tolerance: positiveNumber(options.tolerance ?? 1e-3, 'tolerance'),
      priorBoost: positiveNumber(options.priorBoost ?? 1, 'priorBoost'),
      envelopeMargin: margin,
      maxCalls: options.maxCalls === undefined ? Infinity : positiveInt(options.maxCalls, 'maxCalls', 1),
      maxIterations: options.maxIterations === undefined ? Infinity : positiveInt(options.maxIterations, 'maxIterations', 1),
      maxSeconds: options.maxSeconds === undefined ? Infinity : positiveNumber(options.maxSeconds, 'maxSeconds'),
      minWeightPassRate: (() => {
        const v = options.minWeightPassRate ?? 0.01;
        if (typeof v !== 'number' || !(v > 0 && v < 1)) throw new RangeError(`minWeightPassRate must be in (0, 1), got ${String(v)}`);
        return v;
      })(),
      envelopeQuantile: (() => {
        const v = options.envelopeQuantile ?? 0.9;
        if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new RangeError(`envelopeQuantile must be in (0, 1], got ${String(v)}`);
        return v;
      })(),
      temperedFraction: (() => {
        const v = options.temperedFraction ?? 0.2;
        if (typeof v !== 'number' || !(v >= 0 && v < 1)) throw new RangeError(`temperedFraction must be in [0, 1), got ${String(v)}`);
        return v;
      })(),
      maxFlowCallsPerPoint: positiveInt(options.maxFlowCallsPerPoint ?? 12, 'maxFlowCallsPerPoint', 1),
      localSteps: positiveInt(options.localSteps ?? Math.max(4, 3 * dim), 'localSteps', 1),
      maxProposalsPerIteration: positiveInt(options.maxProposalsPerIteration ?? 10_000_000, 'maxProposalsPerIteration', 1),
      paramNames: paramNames.map(String),
      flow: options.flow ?? {},
      onWarning: options.onWarning ?? ((m) => console.warn(`nestflow: ${m}`)),
    };
    if (this.#opts.priorBoost < 1) throw new RangeError(`priorBoost must be ≥ 1, got ${this.#opts.priorBoost}`);
    // Built now so bad flow options fail before any likelihood call; each run reseeds it.
    const f = this.#opts.flow;
    const make = (): Flow => new Flow({ dim, hidden: f.hidden, threads: f.threads, odeSteps: f.odeSteps, trace: f.trace });
    this.#flows = [make(), make()];
  }

  readonly #flows: [Flow, Flow];

  /** The settings a checkpoint must share with the run that resumes it. */
  #fingerprint(): Record<string, unknown> {
    const o = this.#opts;
    return {
      dim: this.dim,
      nLive: this.nLive,
      seed: o.seed,
      killFraction: o.killFraction,
      tolerance: o.tolerance,
      priorBoost: o.priorBoost,
      envelopeQuantile: o.envelopeQuantile,
      envelopeMargin: o.envelopeMargin,
      minWeightPassRate: o.minWeightPassRate,
      temperedFraction: o.temperedFraction,
      maxFlowCallsPerPoint: o.maxFlowCallsPerPoint,
      localSteps: o.localSteps,
      flow: JSON.parse(JSON.stringify(o.flow)) as unknown,
    };
  }

  #readResume(path: unknown): Record<string, unknown> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('resume must be a checkpoint path (string)');
    const saved = readCheckpoint(path);
    if (saved.kind !== 'nestflow-sampler') throw new CheckpointError('CHECKPOINT_FOREIGN', `checkpoint ${path} does not hold a nested-sampling run`);
    const want = this.#fingerprint();
    const have = (saved.settings ?? {}) as Record<string, unknown>;
    const differ = Object.keys(want).filter((k) => JSON.stringify(want[k]) !== JSON.stringify(have[k]));
    if (differ.length > 0)
      throw new CheckpointError(
        'CHECKPOINT_MISMATCH',
        `checkpoint ${path} was written with other settings: ${differ.map((k) => `${k} ${JSON.stringify(have[k])} (now ${JSON.stringify(want[k])})`).join(', ')}`,
      );
    return saved;
  }

  #checkpointSettings(c: unknown): { path: string; everyIterations: number; everySeconds: number } | undefined {
    if (c === undefined) return undefined;
    if (typeof c !== 'object' || c === null) throw new TypeError('checkpoint must be an object { path, everyIterations?, everySeconds? }');
    const { path, everyIterations, everySeconds } = c as CheckpointOptions;
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('checkpoint.path must be a non-empty string');
    const settings = {
      path,
      everyIterations: positiveInt(everyIterations ?? 1, 'checkpoint.everyIterations', 1),
      everySeconds: everySeconds === undefined ? Infinity : positiveNumber(everySeconds, 'checkpoint.everySeconds'),
    };
    // An unwritable place fails now, before any likelihood call.
    try {
      mkdirSync(dirname(path), { recursive: true });
      accessSync(dirname(path), constants.W_OK);
    } catch (err) {
      throw new CheckpointError('CHECKPOINT_UNWRITABLE', `cannot write checkpoints to ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return settings;
  }

  /** Evaluates the likelihood on n points, checking what comes back. */
  async #evaluate(theta: Float64Array, n: number): Promise<Float64Array> {
    const dim = this.dim;
    const { logLikelihood, vectorized } = this.#opts;
    let values: ArrayLike<unknown>;
    try {
      if (vectorized) {
        values = (await (logLikelihood as BatchLogLikelihood)(theta, n)) as ArrayLike<unknown>;
      } else {
        const out = new Array<unknown>(n);
        for (let i = 0; i < n; i++) out[i] = await (logLikelihood as PointLogLikelihood)(theta.slice(i * dim, (i + 1) * dim));
        values = out;
      }
    } catch (err) {
      throw new LikelihoodError('LIKELIHOOD_THREW', `logLikelihood threw: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<unknown>).length !== 'number')
      throw new LikelihoodError('LIKELIHOOD_TYPE', `logLikelihood must return an array of ${n} numbers (Float64Array or number[]), got ${values === null ? 'null' : typeof values}`);
    if (values.length !== n)
      throw new LikelihoodError('LIKELIHOOD_LENGTH', `logLikelihood returned ${values.length} values for ${n} points`);
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') throw new LikelihoodError('LIKELIHOOD_TYPE', `logLikelihood returned a ${typeof v} at index ${i}, expected a number`);
      if (Number.isNaN(v) || v === Infinity) {
        const point = Array.from(theta.subarray(i * dim, (i + 1) * dim));
        throw new LikelihoodError(
          Number.isNaN(v) ? 'LIKELIHOOD_NAN' : 'LIKELIHOOD_INF',
          `logLikelihood returned ${v} at theta = [${point.join(', ')}] (−Infinity is allowed, NaN and +Infinity are not)`,
        );
      }
      out[i] = v;
    }
    return out;
  }

  /** Runs to convergence (or a cap) and returns the evidence and posterior. */
  async run(options: RunOptions = {}): Promise<NestedSamplingResult> {
    const o = this.#opts;
    const dim = this.dim;
    const nLive = this.nLive;
    const saved = options.resume !== undefined ? this.#readResume(options.resume) : undefined;
    const checkpoint = this.#checkpointSettings(options.checkpoint);
    const start = performance.now() - (saved ? (saved.elapsedMs as number) : 0);
    const rng = new Random(o.seed);
    const flows = this.#flows;
    if (saved) {
      rng.state = saved.rng as number[];
      const f = o.flow;
      (saved.flows as Uint8Array[]).forEach((bytes, h) => {
        flows[h] = Flow.load(bytes, { threads: f.threads, odeSteps: f.odeSteps, trace: f.trace });
      });
    } else for (const f of flows) f.reset(rng.nextSeed());
    const trainOpts: TrainOptions = { ...o.flow.train };
    // A flow fitted too long to few points memorises them (CFM's optimum is the
    // empirical distribution): by default at most 2 Adam steps per point.
    const stepsFor = (n: number): number => trainOpts.steps ?? Math.max(20, Math.min(300, 2 * n));
    const timings = { total: 0, train: 0, sample: 0, likelihood: 0 };
    const counts = { proposals: 0, rejectedOutsidePrior: 0, rejectedByWeight: 0, rejectedByContour: 0, stayed: 0, unfound: 0, localTries: 0, localMoved: 0 };
    const warnings: string[] = [];
    const warn = (m: string): void => {
      warnings.push(m);
      o.onWarning(m);
    };
    const dead = new DeadStore(dim);
    let nLike = 0;

    const evaluate = async (u: Float64Array, n: number): Promise<{ theta: Float64Array; logL: Float64Array }> => {
      const theta = new Float64Array(n * dim);
      o.prior.transform(u, theta, n);
      const t0 = performance.now();
      const logL = await this.#evaluate(theta, n);
      timings.likelihood += performance.now() - t0;
      nLike += n;
      return { theta, logL };
    };

    // Proposals come from a mixture of the flow and a tempered copy of it
    // (latent z ~ N(0, τ² I)), which covers what a fold's flow leaves out.
    const drawMixture = async (flow: Flow, tau: number, n: number): Promise<{ x: Float64Array; logW: Float64Array }> => {
      let nTempered = 0;
      for (let i = 0; i < n; i++) if (rng.uniform() < o.temperedFraction) nTempered++;
      const x = new Float64Array(n * dim);
      const logProb = new Float64Array(n);
      const z = new Float64Array(n * dim);
      const parts = [
        { count: n - nTempered, scale: 1 },
        { count: nTempered, scale: tau },
      ];
      let row = 0;
      for (const part of parts) {
        if (part.count === 0) continue;
        const d = await flow.sample(part.count, part.scale === 1 ? undefined : { baseScale: part.scale });
        x.set(d.x, row * dim);
        z.set(d.z, row * dim);
        logProb.set(d.logProb, row);
        row += part.count;
      }
      // Shuffled, the stream is an iid draw from the mixture.
      const perm = rng.permutation(n);
      const xs = new Float64Array(n * dim);
      const zs = new Float64Array(n * dim);
      const lp = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const k = perm[i]!;
        xs.set(x.subarray(k * dim, (k + 1) * dim), i * dim);
        zs.set(z.subarray(k * dim, (k + 1) * dim), i * dim);
        lp[i] = logProb[k]!;
      }
      return { x: xs, logW: mixtureLogW(lp, zs, dim, tau, o.temperedFraction) };
    };

    let liveU = new Float64Array(nLive * dim);
    let liveTheta = new Float64Array(nLive * dim);
    let liveLogL = new Float64Array(nLive);
    let liveBirth = new Float64Array(nLive).fill(-Infinity);
    // Each live point belongs to one of two folds for life (see step 3).
    let liveFold = new Uint8Array(nLive);
    // Running evidence with the exact live counts (prior deaths first).
    let logX = 0;
    let logZ = -Infinity;
    // Posterior mean of logL over the dead points so far, for H = E[logL] − logZ.
    let meanLogL = 0;
    const killAt = (logL: number, n: number): void => {
      const next = logX - 1 / n;
      const logWeight = logL + logX + log1mExp(next - logX);
      const newLogZ = logSumExp([logZ, logWeight]);
      if (newLogZ > -Infinity) {
        const a = Math.exp(logZ - newLogZ);
        const b = Math.exp(logWeight - newLogZ);
        meanLogL = (a > 0 ? a * meanLogL : 0) + (b > 0 ? b * logL : 0);
      }
      logZ = newLogZ;
      logX = next;
    };
    const iterations: IterationRecord[] = [];
    let staysWarned = false;
    const insertionU: number[] = [];
    let stopReason: StopReason = 'converged';
    // Rates from the last iteration, to size the proposal batches.
    let weightPassRate = 0.1; // proposals passing the cube and weight tests
    let flowContourRate = 0.7; // of the flow candidates' likelihood calls, inside the contour
    let localScale = 1 / Math.sqrt(dim); // random-walk step, in units of the live points' spread
    const mNominal = Math.max(1, Math.min(nLive - 1, Math.round(o.killFraction * nLive)));
    let firstIteration = 0;
    let finished = false;

    if (saved) {
      // Everything below is the state at the start of iteration `it`, bit for bit.
      type F64 = Float64Array<ArrayBuffer>;
      const live = saved.live as { u: F64; theta: F64; logL: F64; birth: F64; fold: Uint8Array<ArrayBuffer> };
      liveU = live.u;
      liveTheta = live.theta;
      liveLogL = live.logL;
      liveBirth = live.birth;
      liveFold = live.fold;
      const d = saved.dead as { theta: Float64Array; logL: Float64Array; birth: Float64Array };
      for (let r = 0; r < d.logL.length; r++) dead.push(d.theta, r, d.logL[r]!, d.birth[r]!);
      nLike = saved.nLike as number;
      logX = saved.logX as number;
      logZ = saved.logZ as number;
      meanLogL = saved.meanLogL as number;
      iterations.push(...(saved.iterations as IterationRecord[]));
      insertionU.push(...(saved.insertionU as Float64Array));
      warnings.push(...(saved.warnings as string[]));
      Object.assign(counts, saved.counts);
      Object.assign(timings, saved.timings);
      staysWarned = saved.staysWarned as boolean;
      weightPassRate = saved.weightPassRate as number;
      flowContourRate = saved.flowContourRate as number;
      localScale = saved.localScale as number;
      firstIteration = saved.it as number;
      finished = saved.finished as boolean;
      if (finished) stopReason = saved.stopReason as StopReason;
    } else {
      // 1. Start: nLive × boost prior draws; the best nLive live, the rest dead.
      const nInit = Math.max(nLive, Math.round(nLive * o.priorBoost));
      const uInit = new Float64Array(nInit * dim);
      for (let i = 0; i < uInit.length; i++) uInit[i] = rng.uniform();
      const init = await evaluate(uInit, nInit);
      const order = Array.from({ length: nInit }, (_, i) => i).sort((a, b) => init.logL[a]! - init.logL[b]!);
      for (let k = 0; k < nInit - nLive; k++) dead.push(init.theta, order[k]!, init.logL[order[k]!]!, -Infinity);
      for (let k = 0; k < nLive; k++) liveFold[k] = k & 1;
      for (let k = 0; k < nLive; k++) {
        const src = order[nInit - nLive + k]!;
        liveU.set(uInit.subarray(src * dim, (src + 1) * dim), k * dim);
        liveTheta.set(init.theta.subarray(src * dim, (src + 1) * dim), k * dim);
        liveLogL[k] = init.logL[src]!;
      }
      for (let k = 0; k < nInit - nLive; k++) killAt(init.logL[order[k]!]!, nInit - k);
    }

    // The state at an iteration's start, as a checkpoint holds it.
    const snapshot = (it: number): Record<string, unknown> => ({
      kind: 'nestflow-sampler',
      settings: this.#fingerprint(),
      it,
      finished,
      stopReason,
      nLike,
      logX,
      logZ,
      meanLogL,
      live: { u: liveU, theta: liveTheta, logL: liveLogL, birth: liveBirth, fold: liveFold },
      dead: { theta: dead.theta.slice(0, dead.size * dim), logL: dead.logL.slice(0, dead.size), birth: dead.logLBirth.slice(0, dead.size) },
      rng: rng.state,
      flows: flows.map((f) => f.save()),
      iterations: iterations.slice(),
      insertionU: Float64Array.from(insertionU),
      warnings: warnings.slice(),
      counts: { ...counts },
      timings: { train: timings.train, sample: timings.sample, likelihood: timings.likelihood },
      elapsedMs: performance.now() - start,
      staysWarned,
      weightPassRate,
      flowContourRate,
      localScale,
    });
    let boundary: Record<string, unknown> | undefined;
    let itNow = firstIteration;
    let lastWrite = performance.now();
    const writeBoundary = (): void => {
      if (!checkpoint || !boundary) return;
      writeCheckpoint(checkpoint.path, boundary);
      lastWrite = performance.now();
    };

    try {
    for (let it = firstIteration; !finished; it++) {
      itNow = it;
      if (checkpoint) {
        boundary = snapshot(it);
        if ((it - firstIteration) % checkpoint.everyIterations === 0 && it > firstIteration) writeBoundary();
        else if ((performance.now() - lastWrite) / 1000 >= checkpoint.everySeconds) writeBoundary();
      }
      // 6. Stop when the evidence left in the live points is negligible.
      const logLiveMean = logSumExp(liveLogL) - Math.log(nLive);
      if (logX + logLiveMean < Math.log(o.tolerance) + logZ) break;
      if (nLike >= o.maxCalls) { stopReason = 'maxCalls'; break; }
      if (it >= o.maxIterations) { stopReason = 'maxIterations'; break; }
      if ((performance.now() - start) / 1000 >= o.maxSeconds) { stopReason = 'maxSeconds'; break; }
      if (options.signal?.aborted) { stopReason = 'aborted'; break; }

      // 2. Kill the worst m; the contour is the largest logL among them.
      const idx = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => liveLogL[a]! - liveLogL[b]!);
      const contour = liveLogL[idx[mNominal - 1]!]!;
      // A likelihood plateau at the top: no point can beat the contour, and the
      // live points share their volume equally, as the final kill assumes.
      if (contour === liveLogL[idx[nLive - 1]!]!) { stopReason = 'plateau'; break; }
      // Points tied with the contour are not inside it (L > L*): they die too.
      let m = mNominal;
      while (liveLogL[idx[m]!]! === contour) m++;
      for (let k = 0; k < m; k++) {
        const i = idx[k]!;
        dead.push(liveTheta, i, liveLogL[i]!, liveBirth[i]!);
        killAt(liveLogL[i]!, nLive - k);
      }
      const nSurv = nLive - m;
      const survU = new Float64Array(nSurv * dim);
      const survTheta = new Float64Array(nSurv * dim);
      const survLogL = new Float64Array(nSurv);
      const survBirth = new Float64Array(nSurv);
      const survFold = new Uint8Array(nSurv);
      for (let k = 0; k < nSurv; k++) {
        const i = idx[m + k]!;
        survU.set(liveU.subarray(i * dim, (i + 1) * dim), k * dim);
        survTheta.set(liveTheta.subarray(i * dim, (i + 1) * dim), k * dim);
        survLogL[k] = liveLogL[i]!;
        survBirth[k] = liveBirth[i]!;
        survFold[k] = liveFold[i]!;
      }

      // 3. Fit two flows, one to each fold of the survivors (cross-fitting).
      // Chains that start in fold A move with flow B, which has never been
      // trained on fold A nor proposed its points, so a chain's kernel is
      // independent of its start, as the Metropolis–Hastings step below needs
      // (a flow fits its own training points better than the rest of the
      // region, and a point it proposed is, given the flow, depleted where the
      // flow under-covers). A chain's output joins its start's fold.
      const foldRows: number[][] = [[], []];
      for (let k = 0; k < nSurv; k++) foldRows[survFold[k]!]!.push(k);
      const split = foldRows[0]!.length >= 2 && foldRows[1]!.length >= 2;
      const halves: Int32Array[] = split ? foldRows.map((r) => Int32Array.from(r)) : [Int32Array.from({ length: nSurv }, (_, k) => k)];
      // Rows of a row-major [n × dim] array, packed.
      const gatherFrom = (src: Float64Array, rows: ArrayLike<number>): Float64Array => {
        const out = new Float64Array(rows.length * dim);
        for (let k = 0; k < rows.length; k++) out.set(src.subarray(rows[k]! * dim, (rows[k]! + 1) * dim), k * dim);
        return out;
      };
      const gather = (rows: Int32Array): Float64Array => gatherFrom(survU, rows);
      let t0 = performance.now();
      const losses: number[] = [];
      for (let h = 0; h < halves.length; h++) {
        const n = halves[h]!.length;
        const steps = it === 0 ? (o.flow.firstTrainSteps ?? 2 * stepsFor(n)) : stepsFor(n);
        const trained = await flows[h]!.train(gather(halves[h]!), { ...trainOpts, steps });
        if (trained.loss.length) losses.push(trained.loss[trained.loss.length - 1]!);
      }
      const trainMs = performance.now() - t0;
      timings.train += trainMs;

      // 4. New points by independence Metropolis–Hastings (Tierney 1994's
      // rejection-Metropolis): chain c starts at a survivor s (uniform inside
      // the contour) and proposes y from Q_W ∝ min(q, 1/W) restricted to the
      // contour — flow draws passing the free weight test, then the
      // likelihood — and moves with probability min(1, max(w_y, W) / max(w_s, W)).
      // That is 1 unless the survivor lies where the flow under-covers
      // (w_s > W), so W need not bound w: a low W saves proposals and calls,
      // and the rare chain that stays keeps every new point uniform.
      const rec = { proposals: 0, outside: 0, weight: 0, contour: 0, stayed: 0, calls: 0, likeMs: 0, capped: false, flowCalls: 0, flowInside: 0, unfound: 0, delayedTries: 0, delayedMoved: 0, localTries: 0, localMoved: 0, localCalls: 0 };
      const callsBefore = nLike;
      const likeBefore = timings.likelihood;
      let sampleMs = 0;
      let logEnvelope = -Infinity;
      // Chains per group in proportion to the group's starts.
      const groups = halves.map((starts, h) => {
        const flow = flows[halves.length === 2 ? 1 - h : 0]!;
        return { starts, flow, tau: 1, order: new Int32Array(0) as Int32Array, logWStart: new Float64Array(0), logWHigh: 0, logWLow: 0, threshold: 0, queue: new PointBuffer(dim, 0), head: 0, drawn: 0, queued: 0 };
      });
      const chainGroup = new Int32Array(m);
      const chainStart = new Int32Array(m);
      const chainLogW = new Float64Array(m);
      const chainStartLogW = new Float64Array(m);
      for (const g of groups) {
        t0 = performance.now();
        const inv = await g.flow.inverse(gather(g.starts));
        sampleMs += performance.now() - t0;
        // A flow fitted to one fold is too narrow for the other (its points sit
        // at |z|² well above dim): widen the tempered component to match.
        const zz = Float64Array.from({ length: g.starts.length }, (_, k) => sumSquares(inv.z, k, dim)).sort();
        g.tau = Math.min(4, Math.max(1.25, 1.25 * Math.sqrt(zz[zz.length >> 1]! / dim)));
        g.logWStart = mixtureLogW(inv.logProb, inv.z, dim, g.tau, o.temperedFraction);
        const n = g.starts.length;
        const sorted = Float64Array.from(g.logWStart).sort();
        // W for a chain comes from the other starts of its group (leave-one-out),
        // so it is independent of the chain's own start.
        const q = Math.min(n - 2, Math.floor(o.envelopeQuantile * (n - 1)));
        g.logWHigh = (n < 2 ? sorted[0]! : sorted[q + 1]!) + o.envelopeMargin; // starts ranked ≤ q
        g.logWLow = (n < 2 ? sorted[0]! : sorted[q]!) + o.envelopeMargin; // starts ranked > q
        g.threshold = n < 2 ? Infinity : sorted[q]!;
        // A flow that misses part of the contour puts some starts at huge w;
        // cap W where a pilot of the flow's own draws (independent of the
        // starts) would pass the weight test at minWeightPassRate, so a bad
        // flow costs chains that stay rather than a stalled iteration.
        t0 = performance.now();
        const pilot = await drawMixture(g.flow, g.tau, PILOT_DRAWS);
        sampleMs += performance.now() - t0;
        rec.proposals += PILOT_DRAWS;
        const pilotLogW: number[] = [];
        for (let c = 0; c < PILOT_DRAWS; c++) {
          let inside = true;
          for (let j = 0; j < dim; j++) {
            const v = pilot.x[c * dim + j]!;
            if (!(v > 0 && v < 1)) inside = false;
          }
          if (inside) pilotLogW.push(pilot.logW[c]!);
        }
        const passRate = (logW: number): number => {
          let sum = 0;
          for (const lw of pilotLogW) sum += lw >= logW ? 1 : Math.exp(lw - logW);
          return sum / PILOT_DRAWS;
        };
        if (pilotLogW.length > 0 && passRate(g.logWHigh) < o.minWeightPassRate) {
          let lo = Math.min(...pilotLogW);
          let hi = g.logWHigh;
          if (passRate(lo) < o.minWeightPassRate) hi = lo;
          for (let k = 0; k < 50 && hi - lo > 1e-3; k++) {
            const mid = 0.5 * (lo + hi);
            if (passRate(mid) >= o.minWeightPassRate) lo = mid;
            else hi = mid;
          }
          g.logWHigh = Math.min(g.logWHigh, lo);
          g.logWLow = Math.min(g.logWLow, lo);
          rec.capped = true;
        }
        logEnvelope = Math.max(logEnvelope, g.logWHigh);
      }
      // Chains per fold bring each fold back to half the live points.
      const chainsPerGroup = groups.map(() => 0);
      if (groups.length === 2) {
        const want0 = Math.round(nLive / 2) - groups[0]!.starts.length;
        chainsPerGroup[0] = Math.min(m, Math.max(0, want0));
        chainsPerGroup[1] = m - chainsPerGroup[0]!;
      } else chainsPerGroup[0] = m;
      const chainFold = new Uint8Array(m);
      const needFold1 = Math.max(0, Math.round(nLive / 2) - foldRows[1]!.length);
      for (let c = 0, h = 0, k = 0; c < m; c++, k++) {
        while (k >= chainsPerGroup[h]!) { h++; k = 0; }
        const g = groups[h]!;
        // Starts cycle through the fold in a random order.
        if (k % g.starts.length === 0) g.order = rng.permutation(g.starts.length);
        const j = g.order[k % g.starts.length]!;
        chainGroup[c] = h;
        chainStart[c] = g.starts[j]!;
        chainStartLogW[c] = g.logWStart[j]!;
        chainLogW[c] = g.logWStart[j]! > g.threshold ? g.logWLow : g.logWHigh;
        // Without a split, outputs go to the smaller fold.
        chainFold[c] = groups.length === 2 ? h : c < needFold1 ? 1 : 0;
      }
      const newU = new Float64Array(m * dim);
      const newTheta = new Float64Array(m * dim);
      const newLogL = new Float64Array(m);
      // Per chain: likelihood calls spent on flow candidates, and the refused candidate's log w.
      const chainFlowCalls = new Int32Array(m);
      const refusedLogW = new Float64Array(m);
      const refused: number[] = [];
      const unfound: number[] = [];
      // A chain gives up on the flow after maxFlowCalls candidates outside the
      // contour; whether it does depends on the draws alone, not on its start,
      // so the chain may then move by local steps instead (a state-independent
      // mixture of two kernels that both keep the contour's uniform law).
      // Each further flow try costs one call and lands inside with rate r
      // (last iteration's), saving a walk of localSteps calls: worth it while
      // r · localSteps ≥ 1. Below that a chain gets one try (a useless flow
      // then costs few calls, and few draws: those dominate the wall time).
      const maxFlowCalls = flowContourRate * o.localSteps >= 1 ? o.maxFlowCallsPerPoint : 1;
      let pending = Array.from({ length: m }, (_, c) => c);
      // Chain c's new point: row k of (u, theta, logL).
      const setNew = (c: number, u: Float64Array, theta: Float64Array, logL: Float64Array, k: number): void => {
        newU.set(u.subarray(k * dim, (k + 1) * dim), c * dim);
        newTheta.set(theta.subarray(k * dim, (k + 1) * dim), c * dim);
        newLogL[c] = logL[k]!;
      };
      const copyStart = (c: number): void => setNew(c, survU, survTheta, survLogL, chainStart[c]!);
      const refill = async (g: (typeof groups)[number], need: number): Promise<void> => {
        if (rec.proposals > o.maxProposalsPerIteration)
          throw new Error(
            `nested sampling stalled at iteration ${it}: ${rec.proposals} flow proposals left ${pending.length} of ${m} new points unfound inside the contour logL > ${contour} ` +
              `(${nLike - callsBefore} likelihood calls). Is the likelihood flat above the contour, or the posterior unresolvable at this nLive?`,
          );
        // Pass rates: this group's so far this iteration, else the last iteration's.
        const passRate = g.drawn >= 1000 ? Math.max(1e-6, g.queued / g.drawn) : weightPassRate;
        // No chain takes more than maxFlowCalls candidates.
        const nCand = Math.min(200_000, Math.max(256, Math.ceil((1.1 * need * Math.min(maxFlowCalls, 1 / flowContourRate)) / passRate)));
        const ts = performance.now();
        const draws = await drawMixture(g.flow, g.tau, nCand);
        g.drawn += nCand;
        sampleMs += performance.now() - ts;
        rec.proposals += nCand;
        g.queue.reset(nCand);
        g.head = 0;
        for (let c = 0; c < nCand; c++) {
          let inside = true;
          for (let j = 0; j < dim; j++) {
            const v = draws.x[c * dim + j]!;
            if (!(v > 0 && v < 1)) inside = false;
          }
          if (!inside) { rec.outside++; continue; }
          const logw = draws.logW[c]!;
          // Free weight test against the group's larger envelope; chains with the smaller one thin further.
          if (Math.log(rng.uniform()) >= logw - g.logWHigh) { rec.weight++; continue; }
          g.queue.push(draws.x, c, logw);
          g.queued++;
        }
      };

      while (pending.length > 0) {
        // One candidate from Q_W per pending chain, in chain order.
        const batchU = new Float64Array(pending.length * dim);
        const batchLogW = new Float64Array(pending.length);
        const needPerGroup = groups.map((_, h) => pending.filter((c) => chainGroup[c] === h).length);
        for (let b = 0; b < pending.length; b++) {
          const c = pending[b]!;
          const g = groups[chainGroup[c]!]!;
          const logWChain = chainLogW[c]!;
          for (;;) {
            while (g.head >= g.queue.size) await refill(g, needPerGroup[chainGroup[c]!]!);
            const i = g.head++;
            const logw = g.queue.logW[i]!;
            if (logWChain < g.logWHigh) {
              const keep = Math.min(0, logw - logWChain) - Math.min(0, logw - g.logWHigh);
              if (Math.log(rng.uniform()) >= keep) { rec.weight++; continue; }
            }
            batchU.set(g.queue.u.subarray(i * dim, (i + 1) * dim), b * dim);
            batchLogW[b] = logw;
            break;
          }
        }
        // 5. Only now the likelihood, once per pending chain.
        const { theta, logL } = await evaluate(batchU, pending.length);
        rec.flowCalls += pending.length;
        const still: number[] = [];
        for (let b = 0; b < pending.length; b++) {
          const c = pending[b]!;
          if (!(logL[b]! > contour)) {
            rec.contour++;
            if (++chainFlowCalls[c]! >= maxFlowCalls) unfound.push(c);
            else still.push(c);
            continue;
          }
          const logWChain = chainLogW[c]!;
          const logAccept = Math.max(batchLogW[b]!, logWChain) - Math.max(chainStartLogW[c]!, logWChain);
          if (logAccept >= 0 || Math.log(rng.uniform()) < logAccept) setNew(c, batchU, theta, logL, b);
          else {
            refusedLogW[c] = batchLogW[b]!;
            refused.push(c);
          }
        }
        pending = still;
      }
      rec.flowInside = rec.flowCalls - rec.contour;

      // 5b. A refused chain gets a second, local proposal y2 = x + s·L·ε
      // (L: Cholesky factor of the covariance of the points its flow was
      // trained on), accepted by delayed rejection (Tierney & Mira 1999) with
      // probability 1_C(y2) · (1 − W̃1/W̃2)⁺ / (1 − W̃1/W̃x), W̃ = max(w, W):
      // the flow proposal cancels (it does not depend on the start) and the
      // random walk is symmetric. The ratio needs only the flow, so the
      // likelihood is called only for a step that the ratio lets through.
      const choleskyOf = groups.map((g, h) => {
        const rows = halves.length === 2 ? halves[1 - h]! : g.starts;
        return covarianceCholesky(gather(rows), rows.length, dim);
      });
      const eps = new Float64Array(dim); // reused by every local proposal
      const localProposal = (c: number, from: Float64Array, fromRow: number, out: Float64Array, outRow: number): boolean => {
        const L = choleskyOf[chainGroup[c]!]!;
        for (let j = 0; j < dim; j++) eps[j] = rng.normal();
        let inside = true;
        for (let j = 0; j < dim; j++) {
          let v = from[fromRow * dim + j]!;
          for (let k = 0; k <= j; k++) v += localScale * L[j * dim + k]! * eps[k]!;
          out[outRow * dim + j] = v;
          if (!(v > 0 && v < 1)) inside = false;
        }
        return inside;
      };
      if (refused.length > 0) {
        const y2 = new Float64Array(refused.length * dim);
        const inCube = refused.map((c, b) => localProposal(c, survU, chainStart[c]!, y2, b));
        const logW2 = new Float64Array(refused.length).fill(Infinity);
        for (let h = 0; h < groups.length; h++) {
          const rows = refused.map((c, b) => (chainGroup[c] === h && inCube[b] ? b : -1)).filter((b) => b >= 0);
          if (rows.length === 0) continue;
          const xs = gatherFrom(y2, rows);
          const ts = performance.now();
          const inv = await groups[h]!.flow.inverse(xs);
          sampleMs += performance.now() - ts;
          const lw2 = mixtureLogW(inv.logProb, inv.z, dim, groups[h]!.tau, o.temperedFraction);
          rows.forEach((b, k) => (logW2[b] = lw2[k]!));
        }
        const toEvaluate: number[] = [];
        for (let b = 0; b < refused.length; b++) {
          const c = refused[b]!;
          rec.delayedTries++;
          if (!inCube[b]) { copyStart(c); continue; }
          const lw = chainLogW[c]!;
          const t1 = Math.max(refusedLogW[c]!, lw);
          const tx = Math.max(chainStartLogW[c]!, lw);
          const t2 = Math.max(logW2[b]!, lw);
          const accept = t2 > t1 ? Math.min(1, -Math.expm1(t1 - t2) / -Math.expm1(t1 - tx)) : 0;
          if (rng.uniform() < accept) toEvaluate.push(b);
          else copyStart(c);
        }
        if (toEvaluate.length > 0) {
          const u = gatherFrom(y2, toEvaluate);
          const { theta, logL } = await evaluate(u, toEvaluate.length);
          rec.localCalls += toEvaluate.length;
          toEvaluate.forEach((b, k) => {
            const c = refused[b]!;
            rec.localTries++;
            if (logL[k]! > contour) {
              rec.delayedMoved++;
              rec.localMoved++;
              setNew(c, u, theta, logL, k);
            } else copyStart(c);
          });
        }
        rec.stayed = refused.length - rec.delayedMoved;
      }

      // 5c. Chains whose flow candidates all fell outside the contour walk
      // from their start: localSteps random-walk Metropolis steps inside it.
      if (unfound.length > 0) {
        for (const c of unfound) copyStart(c);
        const y = new Float64Array(unfound.length * dim);
        for (let step = 0; step < o.localSteps; step++) {
          const rows: number[] = [];
          unfound.forEach((c, b) => {
            if (localProposal(c, newU, c, y, b)) rows.push(b);
          });
          rec.localTries += unfound.length;
          let moved = 0;
          if (rows.length > 0) {
            const u = gatherFrom(y, rows);
            const { theta, logL } = await evaluate(u, rows.length);
            rec.localCalls += rows.length;
            rows.forEach((b, k) => {
              if (!(logL[k]! > contour)) return;
              moved++;
              setNew(unfound[b]!, u, theta, logL, k);
            });
          }
          rec.localMoved += moved;
          // The region shrinks every iteration: retune the step as the walk goes.
          if (unfound.length >= 50) localScale = retuneScale(localScale, moved / unfound.length, 0.05);
        }
      }
      rec.unfound = unfound.length;
      rec.calls = nLike - callsBefore;
      rec.likeMs = timings.likelihood - likeBefore;
      timings.sample += sampleMs;
      const queued = rec.proposals - rec.outside - rec.weight;
      weightPassRate = Math.max(1e-5, queued / Math.max(1, rec.proposals));
      flowContourRate = Math.max(0.01, rec.flowInside / Math.max(1, rec.flowCalls));
      // Random-walk scale: aim at a quarter of local steps inside the contour.
      const scaleUsedThisIteration = localScale;
      if (unfound.length < 50 && rec.localTries >= 20) localScale = retuneScale(localScale, rec.localMoved / rec.localTries, 0.5);

      // Insertion indices of the new points among the survivors: uniform if
      // the new points are uniform inside the contour. All m share the same
      // survivors, so their ranks scatter like a two-sample test's.
      const sortedSurv = Float64Array.from(survLogL).sort();
      const iterU: number[] = [];
      for (const L of newLogL) {
        let lo = 0;
        let hi = nSurv;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (sortedSurv[mid]! < L) lo = mid + 1;
          else hi = mid;
        }
        iterU.push((lo + rng.uniform()) / (nSurv + 1));
      }
      insertionU.push(...iterU);
      const insertionPValue = ksUniform(iterU, (m * nSurv) / (m + nSurv)).pValue;

      // The new live set: survivors and the accepted points (born at the contour).
      liveU = new Float64Array(nLive * dim);
      liveTheta = new Float64Array(nLive * dim);
      liveLogL = new Float64Array(nLive);
      liveBirth = new Float64Array(nLive);
      liveFold = new Uint8Array(nLive);
      liveFold.set(survFold);
      liveFold.set(chainFold, nSurv);
      liveU.set(survU);
      liveTheta.set(survTheta);
      liveLogL.set(survLogL);
      liveBirth.set(survBirth);
      liveU.set(newU, nSurv * dim);
      liveTheta.set(newTheta, nSurv * dim);
      liveLogL.set(newLogL, nSurv);
      // Born inside L > −∞ after the −∞ deaths: a birth just above −∞ keeps them
      // out of the live counts of those deaths (birth −∞ would mean a prior draw).
      liveBirth.fill(contour === -Infinity ? -Number.MAX_VALUE : contour, nSurv);

      counts.proposals += rec.proposals;
      counts.rejectedOutsidePrior += rec.outside;
      counts.rejectedByWeight += rec.weight;
      counts.rejectedByContour += rec.contour;
      counts.stayed += rec.stayed;
      counts.unfound += rec.unfound;
      counts.localTries += rec.localTries;
      counts.localMoved += rec.localMoved;
      // Many chains keeping their survivor mean the flow misses much of the
      // region; copies then feed both flows and can collapse the live set
      // (Rosenbrock 8-D: from 25% stayed on, log Z ended 8σ low).
      if (rec.stayed > 0.25 * m && !staysWarned) {
        staysWarned = true;
        warn(`iteration ${it}: ${rec.stayed} of ${m} chains kept their survivor (the flow under-covers the contour); log Z may be biased from here on`);
      }
      const record: IterationRecord = {
        iteration: it,
        nLive,
        killed: m,
        logX,
        contour,
        logZ,
        logZErr: Math.sqrt(Math.max(0, meanLogL - logZ) / nLive),
        logRemaining: logX + logSumExp(liveLogL) - Math.log(nLive) - logZ,
        proposals: rec.proposals,
        rejectedOutsidePrior: rec.outside,
        rejectedByWeight: rec.weight,
        rejectedByContour: rec.contour,
        stayed: rec.stayed,
        unfound: rec.unfound,
        delayedTries: rec.delayedTries,
        delayedMoved: rec.delayedMoved,
        localTries: rec.localTries,
        localMoved: rec.localMoved,
        localCalls: rec.localCalls,
        localScale: scaleUsedThisIteration,
        likelihoodCalls: rec.calls,
        efficiency: m / Math.max(1, rec.calls),
        logEnvelope,
        envelopeCapped: rec.capped,
        insertionPValue,
        trainLoss: losses.length ? losses.reduce((x, y) => x + y, 0) / losses.length : NaN,
        trainMs,
        sampleMs,
        likelihoodMs: rec.likeMs,
      };
      iterations.push(record);
      options.onIteration?.(record);
      options.onLive?.({ theta: liveTheta, logL: liveLogL, logLBirth: liveBirth });
    }

    } catch (err) {
      // The last iteration's start is a good state: keep it for a resume.
      try {
        writeBoundary();
      } catch {
        // the original error matters more
      }
      throw err;
    }
    if (checkpoint && !finished) {
      // Converged (or a plateau): the checkpoint holds the finished run; other stops can be resumed.
      finished = stopReason === 'converged' || stopReason === 'plateau';
      boundary = snapshot(itNow);
      writeBoundary();
    }

    // Finally the live points die one by one, in order of logL.
    const idx = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => liveLogL[a]! - liveLogL[b]!);
    for (const i of idx) dead.push(liveTheta, i, liveLogL[i]!, liveBirth[i]!);

    const logL = dead.logL.slice(0, dead.size);
    const logLBirth = dead.logLBirth.slice(0, dead.size);
    const ev: Evidence = computeEvidence(logL, logLBirth, { simulations: 200, seed: rng.nextSeed() });
    const insertionPValue = ksUniform(insertionU, (insertionU.length * (nLive - mNominal)) / nLive).pValue;
    if (insertionU.length > 0 && insertionPValue < 0.01)
      warn(`insertion-index KS p-value over the run is ${insertionPValue.toExponential(2)} (< 0.01): the new points may not be uniform inside the contours`);
    timings.total = performance.now() - start;
    const theta = dead.theta.slice(0, dead.size * dim);
    const resampleSeed = rng.nextSeed();
    return {
      logZ: ev.logZ,
      logZErr: ev.logZErr,
      nLike,
      nIterations: iterations.length,
      information: ev.information,
      ess: ev.ess,
      dead: { theta, logL, logLBirth, logWeight: ev.logWeight, nLive: ev.nLive },
      dim,
      paramNames: o.paramNames,
      iterations,
      insertionPValue,
      stopReason,
      warnings,
      counts,
      timings,
      posteriorSamples(n?: number): Float64Array {
        return equalWeightSamples(theta, ev.logWeight, dim, n ?? Math.max(1, Math.floor(ev.ess)), resampleSeed);
      },
    };
  }
}

/** Flow draws per group and iteration that size the envelope cap. */
const PILOT_DRAWS = 1000;

function sumSquares(z: Float64Array, row: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += z[row * dim + j]! ** 2;
  return s;
}

/**
 * log w = −log Q for Q = (1 − ε) q + ε q_τ, where q_τ is the flow with its
 * latent drawn from N(0, τ² I): q_τ(x) = q(x) · N(z; 0, τ²) / N(z; 0, 1).
 */
export function mixtureLogW(logQ: Float64Array, z: Float64Array, dim: number, tau: number, epsilon: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(logQ.length);
  const a = Math.log1p(-epsilon);
  const b = Math.log(epsilon) - dim * Math.log(tau);
  const c = 0.5 * (1 - 1 / (tau * tau));
  for (let i = 0; i < logQ.length; i++) {
    const t = b + c * sumSquares(z, i, dim);
    const m = Math.max(a, t);
    out[i] = -(logQ[i]! + m + Math.log(Math.exp(a - m) + Math.exp(t - m)));
  }
  return out;
}

/**
 * Random-walk step for a quarter of the steps inside the contour: across a
 * thin region the acceptance is about width/step, so scale by acceptance/0.25.
 */
function retuneScale(scale: number, acceptance: number, minFactor: number): number {
  const factor = Math.min(2, Math.max(minFactor, acceptance / 0.25));
  return Math.min(2, Math.max(1e-6, scale * factor));
}

/**
 * Lower Cholesky factor (row-major dim×dim) of the sample covariance of n rows;
 * a small ridge keeps it defined when the points are few or repeated.
 */
export function covarianceCholesky(x: Float64Array, n: number, dim: number): Float64Array {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j]! += x[i * dim + j]! / n;
  const cov = new Float64Array(dim * dim);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const dj = x[i * dim + j]! - mean[j]!;
      for (let k = 0; k <= j; k++) cov[j * dim + k]! += (dj * (x[i * dim + k]! - mean[k]!)) / Math.max(1, n - 1);
    }
  let trace = 0;
  for (let j = 0; j < dim; j++) trace += cov[j * dim + j]!;
  const ridge = 1e-9 * Math.max(trace / dim, 1e-12) + 1e-15;
  const L = new Float64Array(dim * dim);
  for (let j = 0; j < dim; j++) {
    for (let k = 0; k <= j; k++) {
      let v = cov[j * dim + k]! + (j === k ? ridge : 0);
      for (let p = 0; p < k; p++) v -= L[j * dim + p]! * L[k * dim + p]!;
      L[j * dim + k] = j === k ? Math.sqrt(Math.max(v, ridge)) : v / L[k * dim + k]!;
    }
  }
  return L;
}

/** Systematic resampling of weighted points into n equally weighted ones. */
export function equalWeightSamples(theta: Float64Array, logWeight: Float64Array, dim: number, n: number, seed: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const out = new Float64Array(n * dim);
  equalWeightIndices(logWeight, n, seed).forEach((i, k) => out.set(theta.subarray(i * dim, (i + 1) * dim), k * dim));
  return out;
}

/**
 * The nested-sampling loop of DESIGN.md: batch kills, a flow trained on the
 * survivors, proposals rejection-sampled to the prior inside the contour with
 * a running envelope, and only then the likelihood.
 */
import { computeEvidence, logSumExp, log1mExp, type Evidence } from './evidence.js';
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
  /** Safety margin added to the log envelope, nats (costs proposals, never likelihood calls). Default 1. */
  envelopeMargin?: number;
  /** Stop after this many likelihood calls (checked between iterations). */
  maxCalls?: number;
  /** Stop after this many iterations. */
  maxIterations?: number;
  /** Stop after this many seconds. */
  maxSeconds?: number;
  /**
   * Defensive mixture weight α: proposals come from (1 − α)·flow + α·uniform on
   * the survivors' bounding box (widened by 10% a side, within the cube). It
   * caps w = 1/q at |box|/α, so a survivor the flow barely covers cannot blow
   * up the envelope, which bounds the flow work per iteration; but box draws
   * that pass the weight test are mostly outside the contour, so it costs
   * likelihood calls (Rosenbrock 2-D: 20,819 calls at α = 0.1 against 9,392 at
   * 0; 4-D: finishes in 291 s with 260k calls where α = 0 can spend many
   * minutes in one iteration). Default 0: the flow alone.
   */
  defensiveFraction?: number;
  /** An iteration that needs more flow proposals than this throws (a stalled run, e.g. a partial plateau). Default 1e7. */
  maxProposalsPerIteration?: number;
  /** Parameter names (length dim). Default theta0, theta1, … */
  paramNames?: string[];
  /** Flow settings. */
  flow?: SamplerFlowOptions;
  /** Receives warnings (low insertion-index p-value, envelope violations). Default console.warn. */
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
  /** Flow proposals drawn. */
  proposals: number;
  rejectedOutsidePrior: number;
  rejectedByWeight: number;
  rejectedByContour: number;
  /** Points accepted and then removed when the envelope grew. */
  thinned: number;
  /** Likelihood calls this iteration. */
  likelihoodCalls: number;
  /** Accepted points per likelihood call. */
  efficiency: number;
  /** log of the envelope W at the end of the iteration. */
  logEnvelope: number;
  /** Accepted points whose weight exceeded the survivors' maximum. */
  boundViolations: number;
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
  boundViolations: number;
  stopReason: StopReason;
  warnings: string[];
  /** Totals. */
  counts: { proposals: number; rejectedOutsidePrior: number; rejectedByWeight: number; rejectedByContour: number; thinned: number };
  /** Milliseconds spent. */
  timings: { total: number; train: number; sample: number; likelihood: number };
  /** Equal-weight posterior samples (systematic resampling), row-major [n × dim]. Default n: ESS. */
  posteriorSamples(n?: number): Float64Array;
}

/** Options of {@link NestedSampler.run}. */
export interface RunOptions {
  /** Called after every iteration. */
  onIteration?: (record: IterationRecord) => void;
  /** Aborts between iterations; the result so far is returned (stopReason 'aborted'). */
  signal?: AbortSignal;
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
  /** Keeps the entries for which keep(logW) is true, in order; keep is called last-to-first when reverse. */
  filter(keep: (logW: number) => boolean, reverse: boolean): number {
    const n = this.size;
    const kept = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      const i = reverse ? n - 1 - k : k;
      kept[i] = keep(this.logW[i]!) ? 1 : 0;
    }
    const d = this.dim;
    let w = 0;
    for (let i = 0; i < n; i++) {
      if (!kept[i]) continue;
      if (w !== i) {
        this.u.copyWithin(w * d, i * d, (i + 1) * d);
        this.theta.copyWithin(w * d, i * d, (i + 1) * d);
        this.logL[w] = this.logL[i]!;
        this.logW[w] = this.logW[i]!;
      }
      w++;
    }
    this.size = w;
    return n - w;
  }
  /** Removes the first k entries. */
  shift(k: number): void {
    const d = this.dim;
    this.u.copyWithin(0, k * d, this.size * d);
    this.theta.copyWithin(0, k * d, this.size * d);
    this.logL.copyWithin(0, k, this.size);
    this.logW.copyWithin(0, k, this.size);
    this.size -= k;
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
    const margin = options.envelopeMargin ?? 1;
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
      defensiveFraction: (() => {
        const a = options.defensiveFraction ?? 0;
        if (typeof a !== 'number' || !(a >= 0 && a < 1)) throw new RangeError(`defensiveFraction must be in [0, 1), got ${String(a)}`);
        return a;
      })(),
      maxProposalsPerIteration: positiveInt(options.maxProposalsPerIteration ?? 10_000_000, 'maxProposalsPerIteration', 1),
      paramNames: paramNames.map(String),
      flow: options.flow ?? {},
      onWarning: options.onWarning ?? ((m) => console.warn(`nestflow: ${m}`)),
    };
    if (this.#opts.priorBoost < 1) throw new RangeError(`priorBoost must be ≥ 1, got ${this.#opts.priorBoost}`);
    // Built now so bad flow options fail before any likelihood call; each run reseeds it.
    const f = this.#opts.flow;
    this.#flow = new Flow({ dim, hidden: f.hidden, threads: f.threads, odeSteps: f.odeSteps, trace: f.trace });
  }

  readonly #flow: Flow;

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
    const start = performance.now();
    const rng = new Random(o.seed);
    const flow = this.#flow;
    flow.reset(rng.nextSeed());
    const trainOpts: TrainOptions = { ...o.flow.train };
    const baseSteps = trainOpts.steps ?? 300;
    const firstSteps = o.flow.firstTrainSteps ?? 2 * baseSteps;
    const timings = { total: 0, train: 0, sample: 0, likelihood: 0 };
    const counts = { proposals: 0, rejectedOutsidePrior: 0, rejectedByWeight: 0, rejectedByContour: 0, thinned: 0 };
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

    // 1. Start: nLive × boost prior draws; the best nLive live, the rest dead.
    const nInit = Math.max(nLive, Math.round(nLive * o.priorBoost));
    const uInit = new Float64Array(nInit * dim);
    for (let i = 0; i < uInit.length; i++) uInit[i] = rng.uniform();
    const init = await evaluate(uInit, nInit);
    const order = Array.from({ length: nInit }, (_, i) => i).sort((a, b) => init.logL[a]! - init.logL[b]!);
    for (let k = 0; k < nInit - nLive; k++) dead.push(init.theta, order[k]!, init.logL[order[k]!]!, -Infinity);
    let liveU = new Float64Array(nLive * dim);
    let liveTheta = new Float64Array(nLive * dim);
    let liveLogL = new Float64Array(nLive);
    let liveBirth = new Float64Array(nLive).fill(-Infinity);
    for (let k = 0; k < nLive; k++) {
      const src = order[nInit - nLive + k]!;
      liveU.set(uInit.subarray(src * dim, (src + 1) * dim), k * dim);
      liveTheta.set(init.theta.subarray(src * dim, (src + 1) * dim), k * dim);
      liveLogL[k] = init.logL[src]!;
    }

    // Running evidence with the exact live counts (prior deaths first).
    let logX = 0;
    let logZ = -Infinity;
    const killAt = (logL: number, n: number): void => {
      const next = logX - 1 / n;
      logZ = logSumExp([logZ, logL + logX + log1mExp(next - logX)]);
      logX = next;
    };
    for (let k = 0; k < nInit - nLive; k++) killAt(init.logL[order[k]!]!, nInit - k);

    const iterations: IterationRecord[] = [];
    const insertionU: number[] = [];
    let boundViolations = 0;
    let stopReason: StopReason = 'converged';
    // Rates from the last iteration, to size the proposal batches.
    let weightPassRate = 0.1; // proposals passing the cube and weight tests
    let contourPassRate = 0.7; // of those, inside the contour (and kept after thinning)
    const m = Math.max(1, Math.min(nLive - 1, Math.round(o.killFraction * nLive)));
    const queue = new PointBuffer(dim, 0);

    for (let it = 0; ; it++) {
      // 6. Stop when the evidence left in the live points is negligible.
      const logLiveMean = logSumExp(liveLogL) - Math.log(nLive);
      if (logX + logLiveMean < Math.log(o.tolerance) + logZ) break;
      if (nLike >= o.maxCalls) { stopReason = 'maxCalls'; break; }
      if (it >= o.maxIterations) { stopReason = 'maxIterations'; break; }
      if ((performance.now() - start) / 1000 >= o.maxSeconds) { stopReason = 'maxSeconds'; break; }
      if (options.signal?.aborted) { stopReason = 'aborted'; break; }

      // 2. Kill the worst m; the contour is the largest logL among them.
      const idx = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => liveLogL[a]! - liveLogL[b]!);
      const contour = liveLogL[idx[m - 1]!]!;
      // A likelihood plateau at the top: no point can beat the contour, and the
      // live points share their volume equally, as the final kill assumes.
      if (contour === liveLogL[idx[nLive - 1]!]!) { stopReason = 'plateau'; break; }
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
      for (let k = 0; k < nSurv; k++) {
        const i = idx[m + k]!;
        survU.set(liveU.subarray(i * dim, (i + 1) * dim), k * dim);
        survTheta.set(liveTheta.subarray(i * dim, (i + 1) * dim), k * dim);
        survLogL[k] = liveLogL[i]!;
        survBirth[k] = liveBirth[i]!;
      }

      // 3. Fit the flow to the survivors (uniform inside the contour).
      let t0 = performance.now();
      const trained = await flow.train(survU, { ...trainOpts, steps: it === 0 ? firstSteps : baseSteps });
      const trainMs = performance.now() - t0;
      timings.train += trainMs;

      // 4. Envelope from points known to lie inside the contour.
      t0 = performance.now();
      const survLogQFlow = await flow.logProb(survU);
      let sampleMs = performance.now() - t0;
      // The defensive box: the survivors' bounding box, widened, within the cube.
      const alpha = o.defensiveFraction;
      const boxLo = new Float64Array(dim).fill(1);
      const boxHi = new Float64Array(dim).fill(0);
      for (let k = 0; k < nSurv; k++)
        for (let j = 0; j < dim; j++) {
          const v = survU[k * dim + j]!;
          if (v < boxLo[j]!) boxLo[j] = v;
          if (v > boxHi[j]!) boxHi[j] = v;
        }
      let logBoxVolume = 0;
      for (let j = 0; j < dim; j++) {
        const pad = 0.1 * (boxHi[j]! - boxLo[j]!) + 1e-12;
        boxLo[j] = Math.max(0, boxLo[j]! - pad);
        boxHi[j] = Math.min(1, boxHi[j]! + pad);
        logBoxVolume += Math.log(boxHi[j]! - boxLo[j]!);
      }
      const logA = Math.log(alpha);
      const log1mA = Math.log1p(-alpha);
      const inBox = (x: Float64Array, i: number): boolean => {
        for (let j = 0; j < dim; j++) {
          const v = x[i * dim + j]!;
          if (!(v >= boxLo[j]! && v <= boxHi[j]!)) return false;
        }
        return true;
      };
      // log q of the mixture from the flow's log q at a point.
      const mixLogQ = (logQFlow: number, x: Float64Array, i: number): number =>
        alpha > 0 ? logSumExp([log1mA + logQFlow, inBox(x, i) ? logA - logBoxVolume : -Infinity]) : logQFlow;
      let logWmaxSurvivors = -Infinity;
      for (let k = 0; k < nSurv; k++) logWmaxSurvivors = Math.max(logWmaxSurvivors, -mixLogQ(survLogQFlow[k]!, survU, k));
      let logWmax = logWmaxSurvivors;
      let logW = logWmax + o.envelopeMargin;

      const rec = { proposals: 0, outside: 0, weight: 0, contour: 0, thinned: 0, calls: 0, violations: 0, likeMs: 0 };
      const accepted = new PointBuffer(dim, m);
      queue.reset(0);
      const callsBefore = nLike;
      const likeBefore = timings.likelihood;

      // Raising the envelope: every point accepted (or queued) under the old W
      // is kept with probability min(1, w/W_new) / min(1, w/W_old).
      const raiseEnvelope = (newLogW: number): void => {
        const keepLog = (lw: number): number => Math.min(0, lw - newLogW) - Math.min(0, lw - logW);
        rec.thinned += accepted.filter((lw) => Math.log(rng.uniform()) < keepLog(lw), true);
        queue.filter((lw) => Math.log(rng.uniform()) < keepLog(lw), false);
        logW = newLogW;
      };

      while (accepted.size < m) {
        if (rec.proposals > o.maxProposalsPerIteration)
          throw new Error(
            `nested sampling stalled at iteration ${it}: ${rec.proposals} flow proposals gave ${accepted.size} of ${m} points inside the contour logL > ${contour} ` +
              `(${rec.calls + (nLike - callsBefore)} likelihood calls). Is the likelihood flat above the contour, or the posterior unresolvable at this nLive?`,
          );
        if (queue.size === 0) {
          // Draw enough proposals to fill the need at the last pass rate.
          const need = m - accepted.size;
          const nCand = Math.min(200_000, Math.max(256, Math.ceil((1.1 * need) / (weightPassRate * contourPassRate))));
          const ts = performance.now();
          // Mixture draws: the flow's with their log q, the box's with the flow's log q by the backward ODE.
          // Each candidate's component is drawn in order, so the queue stays an iid sequence from the mixture.
          const fromBox = new Uint8Array(nCand);
          let nBox = 0;
          if (alpha > 0) for (let c = 0; c < nCand; c++) if (rng.uniform() < alpha) { fromBox[c] = 1; nBox++; }
          const nFlow = nCand - nBox;
          const cand = new Float64Array(nCand * dim);
          const candLogQFlow = new Float64Array(nCand);
          const flowDraws = nFlow > 0 ? await flow.sample(nFlow) : undefined;
          const boxDraws = new Float64Array(nBox * dim);
          for (let c = 0; c < nBox; c++)
            for (let j = 0; j < dim; j++) boxDraws[c * dim + j] = boxLo[j]! + (boxHi[j]! - boxLo[j]!) * rng.uniform();
          const boxLogQ = nBox > 0 ? await flow.logProb(boxDraws) : new Float64Array(0);
          for (let c = 0, f = 0, b = 0; c < nCand; c++) {
            if (fromBox[c]) {
              cand.set(boxDraws.subarray(b * dim, (b + 1) * dim), c * dim);
              candLogQFlow[c] = boxLogQ[b++]!;
            } else {
              cand.set(flowDraws!.x.subarray(f * dim, (f + 1) * dim), c * dim);
              candLogQFlow[c] = flowDraws!.logProb[f++]!;
            }
          }
          sampleMs += performance.now() - ts;
          rec.proposals += nCand;
          queue.reset(nCand);
          for (let c = 0; c < nCand; c++) {
            const u = cand.subarray(c * dim, (c + 1) * dim);
            let inside = true;
            for (let j = 0; j < dim; j++) if (!(u[j]! > 0 && u[j]! < 1)) inside = false;
            if (!inside) { rec.outside++; continue; }
            const logw = -mixLogQ(candLogQFlow[c]!, cand, c);
            // Free weight test: accept with probability min(1, w / W).
            if (Math.log(rng.uniform()) >= logw - logW) { rec.weight++; continue; }
            queue.push(cand, c, logw);
          }
          continue;
        }
        // 5. Only now the likelihood: exactly as many as still needed.
        const nBatch = Math.min(queue.size, m - accepted.size);
        const bu = queue.u.slice(0, nBatch * dim);
        const bLogW = queue.logW.slice(0, nBatch);
        queue.shift(nBatch);
        const { theta, logL } = await evaluate(bu, nBatch);
        for (let k = 0; k < nBatch; k++) {
          if (!(logL[k]! > contour)) { rec.contour++; continue; }
          const logw = bLogW[k]!;
          if (logw > logWmaxSurvivors) rec.violations++;
          accepted.push(bu, k, logw, theta, k, logL[k]!);
          if (logw > logWmax) {
            logWmax = logw;
            if (logWmax + o.envelopeMargin > logW) raiseEnvelope(logWmax + o.envelopeMargin);
          }
        }
      }
      rec.calls = nLike - callsBefore;
      rec.likeMs = timings.likelihood - likeBefore;
      timings.sample += sampleMs;
      const queued = rec.proposals - rec.outside - rec.weight;
      weightPassRate = Math.max(1e-5, queued / Math.max(1, rec.proposals));
      contourPassRate = Math.max(0.01, m / Math.max(1, rec.calls));

      // Insertion indices of the new points among the survivors: uniform if
      // the new points are uniform inside the contour.
      const sortedSurv = Float64Array.from(survLogL).sort();
      const iterU: number[] = [];
      for (const L of accepted.logL.subarray(0, m)) {
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
      const insertionPValue = ksUniform(iterU).pValue;

      // The new live set: survivors and the accepted points (born at the contour).
      liveU = new Float64Array(nLive * dim);
      liveTheta = new Float64Array(nLive * dim);
      liveLogL = new Float64Array(nLive);
      liveBirth = new Float64Array(nLive);
      liveU.set(survU);
      liveTheta.set(survTheta);
      liveLogL.set(survLogL);
      liveBirth.set(survBirth);
      for (let k = 0; k < m; k++) {
        liveU.set(accepted.u.subarray(k * dim, (k + 1) * dim), (nSurv + k) * dim);
        liveTheta.set(accepted.theta.subarray(k * dim, (k + 1) * dim), (nSurv + k) * dim);
        liveLogL[nSurv + k] = accepted.logL[k]!;
        liveBirth[nSurv + k] = contour;
      }

      boundViolations += rec.violations;
      counts.proposals += rec.proposals;
      counts.rejectedOutsidePrior += rec.outside;
      counts.rejectedByWeight += rec.weight;
      counts.rejectedByContour += rec.contour;
      counts.thinned += rec.thinned;
      const record: IterationRecord = {
        iteration: it,
        nLive,
        killed: m,
        logX,
        contour,
        logZ,
        proposals: rec.proposals,
        rejectedOutsidePrior: rec.outside,
        rejectedByWeight: rec.weight,
        rejectedByContour: rec.contour,
        thinned: rec.thinned,
        likelihoodCalls: rec.calls,
        efficiency: m / Math.max(1, rec.calls),
        logEnvelope: logW,
        boundViolations: rec.violations,
        insertionPValue,
        trainLoss: trained.loss.length ? trained.loss[trained.loss.length - 1]! : NaN,
        trainMs,
        sampleMs,
        likelihoodMs: rec.likeMs,
      };
      iterations.push(record);
      options.onIteration?.(record);
    }

    // Finally the live points die one by one, in order of logL.
    const idx = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => liveLogL[a]! - liveLogL[b]!);
    for (const i of idx) dead.push(liveTheta, i, liveLogL[i]!, liveBirth[i]!);

    const logL = dead.logL.slice(0, dead.size);
    const logLBirth = dead.logLBirth.slice(0, dead.size);
    const ev: Evidence = computeEvidence(logL, logLBirth, { simulations: 200, seed: rng.nextSeed() });
    const insertionPValue = ksUniform(insertionU).pValue;
    if (insertionU.length > 0 && insertionPValue < 0.01)
      warn(`insertion-index KS p-value over the run is ${insertionPValue.toExponential(2)} (< 0.01): the new points may not be uniform inside the contours`);
    if (boundViolations > 0)
      warn(`${boundViolations} accepted point(s) had a weight above the survivors' maximum (envelope raised; see iterations[].boundViolations)`);
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
      boundViolations,
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

/** Systematic resampling of weighted points into n equally weighted ones. */
export function equalWeightSamples(theta: Float64Array, logWeight: Float64Array, dim: number, n: number, seed: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const rng = new Random(seed);
  const out = new Float64Array(n * dim);
  const start = rng.uniform() / n;
  let cum = 0;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const target = start + k / n;
    while (i < logWeight.length - 1 && cum + Math.exp(logWeight[i]!) < target) {
      cum += Math.exp(logWeight[i]!);
      i++;
    }
    out.set(theta.subarray(i * dim, (i + 1) * dim), k * dim);
  }
  return out;
}

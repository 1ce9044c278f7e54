/**
 * The sampler's options: their types, their defaults (the one place they are
 * written; the CLI help and the configuration schema read them from here)
 * and their validation.
 */
import type { BackendName, TraceMode, TrainOptions } from '../flow.js';
import type { Prior } from '../priors.js';
import { checkNumber, FRACTION, intFrom, POSITIVE, type NumberRule } from '../validate.js';
import type { BatchLogLikelihood, PointLogLikelihood } from './likelihood.js';
import { isLikelihoodModule, type LikelihoodModule } from './likelihood-module.js';
import { MpiWorld } from '../mpi/world.js';

/** Flow settings used by the sampler. */
export interface SamplerFlowOptions {
  /** Hidden widths of the vector field. Default [128, 128, 128]. */
  hidden?: number[];
  /** Threads of the flow backend (default: OMP_NUM_THREADS or all cores). */
  threads?: number;
  /** Where the flow's maths runs. Default 'auto' (the CPU today). */
  backend?: BackendName;
  /** RK4 steps. Default 10. */
  odeSteps?: number;
  /** Trace mode. Default 'auto' (exact up to 64-D). */
  trace?: TraceMode;
  /** Training options per iteration (warm-started). Default: min(300, 2 × points) steps, batch 1000, lr 1e-3. */
  train?: TrainOptions;
  /** Training steps of the first iteration (from scratch). Default 2 × the per-iteration steps. */
  firstTrainSteps?: number;
}

/** Options of {@link NestedSampler}. */
export interface NestedSamplerOptions {
  /**
   * The log-likelihood: a function, batched (default) or per point with
   * `vectorized: false`; or a module `{ module: path, export? }` exporting
   * one (and `vectorized = false` for a per-point one), which `workers`
   * threads can load for themselves.
   */
  logLikelihood: BatchLogLikelihood | PointLogLikelihood | LikelihoodModule;
  /**
   * Worker threads evaluating the likelihood, each loading the module once;
   * a batch is split between them and the run is the same whatever their
   * number. Needs a module: a function cannot be sent to another thread and
   * runs on the main thread (with a warning). Default 1 (the main thread).
   */
  workers?: number;
  /**
   * The MPI world of a job launched with `mpirun` / `srun` (from
   * `openMpiWorld()`), on rank 0: each likelihood batch is shared with the
   * other ranks, which run `serveLikelihood`. The run is the same whatever
   * the number of ranks. Default: none (one process).
   */
  mpi?: MpiWorld;
  /** The prior, as a unit-hypercube transform (see `priors`). */
  prior: Prior;
  /** `false`: logLikelihood takes one θ and returns a number. Default true. */
  vectorized?: boolean;
  /** Live points. Default 500. */
  nLive?: number;
  /** Seed of the run's random stream (prior draws, rejections, the flow). Default 0. */
  seed?: number;
  /**
   * Folds of the live points. The flow serving a fold's chains is trained on
   * the other folds' survivors, so more folds give each flow more points
   * ((folds − 1)/folds of them) for as many trainings. Default: 2 below 5-D,
   * 4 from 5-D ({@link defaultFolds}).
   */
  folds?: number;
  /**
   * Fraction of the live points killed per iteration. Default 0.5 below
   * 8-D, 0.25 from 8-D ({@link defaultKillFraction}).
   */
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
   * moves by local random-walk steps instead. Default 12; when
   * r · localSteps < 1, r the last iteration's fraction of flow candidates
   * inside the contour (a try then saves less than it costs), an iteration
   * gives one try to a random tenth of the chains (or the share
   * r · localSteps) and walks the rest at once.
   */
  maxFlowCallsPerPoint?: number;
  /**
   * Random-walk Metropolis steps (one likelihood call each) for such a chain.
   * Default max(4, 3 × dim): about one integrated autocorrelation time of a
   * random walk tuned to 25% acceptance (≈ 3.3 d; Roberts, Gelman & Gilks
   * 1997). Shorter walks leave new points correlated with their starts, which
   * biases log Z high as PolyChord's short chains do (Rosenbrock 6-D: +3.0σ
   * and +3.5σ with dim steps).
   */
  localSteps?: number;
  /**
   * k > 0: each random-walk step is shaped by the covariance of the k
   * training points of the chain's flow nearest to where the chain stands
   * (a Metropolis–Hastings ratio corrects for the shape changing along the
   * walk), rather than by one covariance per flow. Steps then follow thin,
   * curved regions; costs no likelihood call. Experimental: default 0 (off).
   */
  walkNeighbours?: number;
  /**
   * Fraction of proposals from the tempered flow (latent z ~ N(0, τ² I), τ
   * from how far the other fold's points sit in the flow's latent space).
   * Default 0.2; 0 turns it off.
   */
  temperedFraction?: number;
  /**
   * false: no chain tries the flow; every new point comes from `localSteps`
   * random-walk steps (the flows are still trained: the walk's step shape is
   * their whitening). A diagnostic, to measure what the flow's moves give:
   * `npm run bench:sampler -- --walk-only`. Default true.
   */
  flowMoves?: boolean;
  /** Stop after this many likelihood calls (checked between iterations). */
  maxCalls?: number;
  /** Stop after this many iterations. */
  maxIterations?: number;
  /** Stop after this many seconds. */
  maxSeconds?: number;
  /** An iteration that needs more flow proposals than this throws a `SAMPLER_STALLED` error (e.g. a partial plateau). Default 1e7. */
  maxProposalsPerIteration?: number;
  /** Parameter names (length dim). Default theta0, theta1, … */
  paramNames?: string[];
  /**
   * Derived parameters: a function of one point θ returning
   * `derivedNames.length` numbers, evaluated for every dead point when the
   * run ends (no likelihood call) and written after the parameters, as
   * PolyChord writes its derived parameters.
   */
  derived?: (theta: Float64Array) => ArrayLike<number>;
  /** Names of the derived parameters (required with `derived`). */
  derivedNames?: string[];
  /** Flow settings. */
  flow?: SamplerFlowOptions;
  /** Receives warnings (low insertion-index p-value). Default console.warn. */
  onWarning?: (message: string) => void;
}

/** The defaults of every numeric option that has one (folds, killFraction and localSteps depend on dim: {@link defaultFolds}, {@link defaultKillFraction}, {@link defaultLocalSteps}). */
export const SAMPLER_DEFAULTS = {
  nLive: 500,
  seed: 0,
  killFraction: 0.5,
  tolerance: 1e-3,
  priorBoost: 1,
  envelopeQuantile: 0.9,
  envelopeMargin: 0,
  minWeightPassRate: 0.01,
  maxFlowCallsPerPoint: 12,
  temperedFraction: 0.2,
  maxProposalsPerIteration: 10_000_000,
} as const;

/**
 * Folds by dimension. Where a flow has enough points (below 5-D) two folds
 * are cheapest; above, flows trained on half the survivors miss much of
 * the contour, and three quarters pay (Rosenbrock 6-D, nLive 500: 39–45k
 * calls instead of 59k, a third of the sampling time).
 */
export const defaultFolds = (dim: number): number => (dim >= 5 ? 4 : 2);

/**
 * Kill fraction by dimension. Killing half the live points per iteration
 * left Rosenbrock 10-D biased low (five seeds: −3.72 to +0.08σ, mean
 * −2.78σ, median 187,820 calls); killing a quarter, with each iteration's
 * training steps scaled to match (trainSteps in folds.ts), gave −2.10 to +0.90σ
 * (mean −0.79σ) at a median 145,230 calls. At 8-D (ten seeds) the quarter
 * took a median 79,141 calls against 93,457, with log Z at −0.27σ ± 0.25
 * against +0.28σ ± 0.39 and x₈'s tail better kept, so from 8-D a quarter
 * dies; below, half (fewer iterations, less training time).
 */
export const defaultKillFraction = (dim: number): number => (dim >= 8 ? 0.25 : SAMPLER_DEFAULTS.killFraction);

/** Random-walk steps of a chain the flow could not move: about one autocorrelation time. */
export const defaultLocalSteps = (dim: number): number => Math.max(4, 3 * dim);

/** What each numeric option may be (the config schema uses the same rules). */
export const OPTION_RULES = {
  nLive: intFrom(2),
  seed: intFrom(0),
  folds: { ...intFrom(2), max: 16 },
  killFraction: FRACTION,
  tolerance: POSITIVE,
  priorBoost: { min: 1 },
  envelopeQuantile: { min: 0, max: 1, openMin: true },
  envelopeMargin: { min: 0 },
  minWeightPassRate: FRACTION,
  maxFlowCallsPerPoint: intFrom(1),
  localSteps: intFrom(1),
  walkNeighbours: intFrom(0),
  temperedFraction: { min: 0, max: 1, openMax: true },
  maxCalls: intFrom(1),
  maxIterations: intFrom(1),
  maxSeconds: POSITIVE,
  maxProposalsPerIteration: intFrom(1),
  workers: { ...intFrom(1), max: 1024 },
} satisfies Record<string, NumberRule>;

/** Options after validation, every default filled in. */
export interface ResolvedOptions {
  logLikelihood: BatchLogLikelihood | PointLogLikelihood | LikelihoodModule;
  /** Worker threads that will evaluate the likelihood (1 for a function). */
  workers: number;
  mpi: MpiWorld | undefined;
  prior: Prior;
  vectorized: boolean;
  dim: number;
  nLive: number;
  seed: number;
  folds: number;
  killFraction: number;
  tolerance: number;
  priorBoost: number;
  envelopeQuantile: number;
  envelopeMargin: number;
  minWeightPassRate: number;
  maxFlowCallsPerPoint: number;
  localSteps: number;
  walkNeighbours: number;
  temperedFraction: number;
  flowMoves: boolean;
  maxCalls: number;
  maxIterations: number;
  maxSeconds: number;
  maxProposalsPerIteration: number;
  paramNames: string[];
  derived: ((theta: Float64Array) => ArrayLike<number>) | undefined;
  derivedNames: string[];
  flow: SamplerFlowOptions;
  onWarning: (message: string) => void;
}

type Numeric = keyof typeof OPTION_RULES;

/** Checks every option and fills in the defaults; throws TypeError / RangeError naming the bad option. */
export function resolveOptions(options: NestedSamplerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const fn = options.logLikelihood;
  if (typeof fn !== 'function' && !isLikelihoodModule(fn))
    throw new TypeError('logLikelihood must be a function or a module { module: path, export? }');
  const prior = options.prior;
  if (!prior || typeof prior.transform !== 'function' || typeof prior.dim !== 'number')
    throw new TypeError('prior must be a Prior (see priors.uniform, priors.custom, …)');
  const dim = checkNumber(prior.dim, 'prior.dim', intFrom(1));
  const given = (key: Numeric): number | undefined => options[key];
  const value = (key: Numeric, fallback: number): number => checkNumber(given(key) ?? fallback, key, OPTION_RULES[key]);
  const cap = (key: Numeric): number => (given(key) === undefined ? Infinity : value(key, NaN));
  const d = SAMPLER_DEFAULTS;
  const nLive = value('nLive', d.nLive);
  const killFraction = value('killFraction', defaultKillFraction(dim));
  const paramNames = options.paramNames ?? Array.from({ length: dim }, (_, i) => `theta${i}`);
  if (!Array.isArray(paramNames) || paramNames.length !== dim)
    throw new RangeError(`paramNames has ${Array.isArray(paramNames) ? paramNames.length : 'no'} entries, but the prior has dim ${dim}`);
  const onWarning = options.onWarning ?? ((m: string) => console.warn(`nestflow: ${m}`));
  let workers = value('workers', 1);
  if (workers > 1 && typeof fn === 'function') {
    onWarning(`logLikelihood is a function, which cannot be sent to worker threads: it runs on the main thread (workers: ${workers} ignored). Give it as a module, { module: '/path/to/model.js' }, to use workers.`);
    workers = 1;
  }
  const mpi = options.mpi;
  if (mpi !== undefined) {
    if (!(mpi instanceof MpiWorld)) throw new TypeError('mpi must be the MpiWorld from openMpiWorld()');
    if (mpi.rank !== 0) throw new RangeError(`mpi: the sampler runs on rank 0, this is rank ${mpi.rank} (other ranks call serveLikelihood)`);
  }
  return {
    logLikelihood: fn,
    workers,
    mpi,
    prior,
    vectorized: options.vectorized ?? true,
    dim,
    nLive,
    seed: value('seed', d.seed),
    folds: value('folds', defaultFolds(dim)),
    killFraction,
    tolerance: value('tolerance', d.tolerance),
    priorBoost: value('priorBoost', d.priorBoost),
    envelopeQuantile: value('envelopeQuantile', d.envelopeQuantile),
    envelopeMargin: value('envelopeMargin', d.envelopeMargin),
    minWeightPassRate: value('minWeightPassRate', d.minWeightPassRate),
    maxFlowCallsPerPoint: value('maxFlowCallsPerPoint', d.maxFlowCallsPerPoint),
    localSteps: value('localSteps', defaultLocalSteps(dim)),
    walkNeighbours: checkWalkNeighbours(value('walkNeighbours', 0)),
    temperedFraction: value('temperedFraction', d.temperedFraction),
    flowMoves: checkFlowMoves(options.flowMoves),
    maxCalls: cap('maxCalls'),
    maxIterations: cap('maxIterations'),
    maxSeconds: cap('maxSeconds'),
    maxProposalsPerIteration: value('maxProposalsPerIteration', d.maxProposalsPerIteration),
    paramNames: paramNames.map(String),
    ...checkDerived(options),
    flow: options.flow ?? {},
    onWarning,
  };
}

/** The settings a checkpoint must share with the run that resumes it. */
export function runFingerprint(o: ResolvedOptions): Record<string, unknown> {
  return {
    dim: o.dim,
    nLive: o.nLive,
    seed: o.seed,
    folds: o.folds,
    killFraction: o.killFraction,
    tolerance: o.tolerance,
    priorBoost: o.priorBoost,
    envelopeQuantile: o.envelopeQuantile,
    envelopeMargin: o.envelopeMargin,
    minWeightPassRate: o.minWeightPassRate,
    temperedFraction: o.temperedFraction,
    maxFlowCallsPerPoint: o.maxFlowCallsPerPoint,
    localSteps: o.localSteps,
    // Only when off, so that checkpoints written before the option resume.
    ...(o.flowMoves ? {} : { flowMoves: false }),
    ...(o.walkNeighbours === 0 ? {} : { walkNeighbours: o.walkNeighbours }),
    flow: JSON.parse(JSON.stringify(o.flow)) as unknown,
  };
}

function checkWalkNeighbours(k: number): number {
  if (k === 1) throw new RangeError('walkNeighbours must be 0 (off) or at least 2 (a covariance needs two points), got 1');
  return k;
}

function checkFlowMoves(flowMoves: unknown): boolean {
  if (flowMoves === undefined) return true;
  if (typeof flowMoves !== 'boolean') throw new TypeError(`flowMoves must be a boolean, got ${typeof flowMoves}`);
  return flowMoves;
}

function checkDerived(options: NestedSamplerOptions): { derived: ResolvedOptions['derived']; derivedNames: string[] } {
  const { derived, derivedNames } = options;
  if (derived === undefined) {
    if (derivedNames !== undefined && derivedNames.length > 0) throw new TypeError('derivedNames needs derived, the function that computes them');
    return { derived: undefined, derivedNames: [] };
  }
  if (typeof derived !== 'function') throw new TypeError('derived must be a function (theta: Float64Array) => number[]');
  if (!Array.isArray(derivedNames) || derivedNames.length === 0) throw new TypeError('derived needs derivedNames: one name per value it returns');
  return { derived, derivedNames: derivedNames.map(String) };
}

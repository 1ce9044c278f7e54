import { BACKEND_NAMES, loadNative, type NativeBackendName, type NativeCudaStatus, type NativeFlowHandle, type NativeFlowInfo } from './native.js';
import { checkChoice, checkNumber, intFrom } from './validate.js';

/** Values (points × dim) one call takes or returns; the native side refuses more before it allocates. */
export const MAX_BATCH_VALUES = 2 ** 26;

/** How tr(∂v/∂y) is computed along the ODE. */
const TRACE_MODES = ['auto', 'exact', 'hutchinson'] as const;
export type TraceMode = (typeof TRACE_MODES)[number];

/**
 * Where the flow's maths runs. `'cpu'`: the C++ kernels on all cores.
 * `'cuda'`: an NVIDIA GPU (training, sampling with the exact trace, log q);
 * throws a RangeError with code `CUDA_UNAVAILABLE` and the driver's reason
 * where no device answers or the addon was built without CUDA.
 * `'auto'` (default): CUDA when a device answers, else the CPU, with the
 * reason in `flow.info.backendNote`.
 */
export type BackendName = NativeBackendName;

/** Whether this build of nestflow carries the CUDA backend, and whether a device answers (or why not). */
export type CudaStatus = NativeCudaStatus;

/** The CUDA backend's state on this machine (asked once per process). */
export function cudaStatus(): CudaStatus {
  return loadNative().cudaStatus();
}

/** Defaults of the flow's ODE options (the CLI help shows them). */
export const FLOW_DEFAULTS = { odeSteps: 10, trace: 'auto', exactTraceMaxDim: 64, hutchinsonProbes: 4 } as const;

/** Options for {@link Flow}'s constructor. */
export interface FlowOptions {
  /** Dimension of the points (≥ 1). */
  dim: number;
  /**
   * Hidden layer widths of the vector-field MLP (SiLU activations, linear
   * output initialised to zero so the untrained flow is q = N(μ, Σ)).
   * Default `[128, 128, 128]`: the width the calibration runs used; wider
   * helps from ~10-D on.
   */
  hidden?: number[];
  /** Fourier time features: t, sin(2πkt), cos(2πkt) for k = 1..n. Default 3. */
  timeFrequencies?: number;
  /** Seed of the flow's random stream (initial weights, batches, latents). Default 0. */
  seed?: number;
  /** Worker threads; default OMP_NUM_THREADS, else all cores. Results do not depend on it. */
  threads?: number;
  /** Backend. Default 'auto'. */
  backend?: BackendName;
  /**
   * RK4 steps from t = 0 to 1. Default 10: on a trained 2-D flow the log q
   * error against a 400-step solution is ~1e-4 nats at 10 steps (see README).
   */
  odeSteps?: number;
  /**
   * `'exact'`: d tangent columns through the MLP, cost (1 + d)× a forward pass.
   * `'hutchinson'`: `hutchinsonProbes` Rademacher probes per trajectory,
   * unbiased for log q but noisy (variance grows with d and with the flow's
   * curvature), so rejection sampling against q is biased. `'auto'` (default):
   * exact up to `exactTraceMaxDim`, Hutchinson above.
   */
  trace?: TraceMode;
  /** Largest dim with the exact trace under `trace: 'auto'`. Default 64. */
  exactTraceMaxDim?: number;
  /** Probes per trajectory for the Hutchinson estimator. Default 4. */
  hutchinsonProbes?: number;
}

/** Options of {@link Flow.train}. Defaults are the calibrated ones (docs/algorithm.md). */
export interface TrainOptions {
  /** Adam steps this call (warm-started from the current weights). Default 300. */
  steps?: number;
  /** CFM pairs per step. Default 1000 (or fewer when the set is smaller is fine: pairs are resampled). */
  batchSize?: number;
  /** Peak learning rate. Default 1e-3. */
  learningRate?: number;
  /** Cosine decay within the call to learningRate × this. Default 0.1. */
  minLearningRateRatio?: number;
  /** Decoupled (AdamW) weight decay. Default 0. */
  weightDecay?: number;
  /** Global gradient-norm clip; 0 disables. Default 1. */
  clipNorm?: number;
  /** Noise σ of the CFM path y_t = t y + (1 − t) z + σ ε. Default 0. */
  sigma?: number;
  /** Fraction of points held out for the validation loss. Default 0.1. */
  validationFraction?: number;
  /** Validation loss every this many steps. Default 25. */
  evalEvery?: number;
  /** Stop after this many evaluations without improvement, restoring the best weights; 0 (default) never stops early. */
  patience?: number;
  /** Recompute the whitening (mean, Cholesky factor) from these points. Default true. */
  updateWhitening?: boolean;
}

/** What {@link Flow.train} returns. */
export interface TrainResult {
  /** Training loss per step. */
  loss: Float64Array;
  /** Validation loss per evaluation. */
  validationLoss: Float64Array;
  stepsRun: number;
  /** Step of the best validation loss (−1 without validation). */
  bestStep: number;
  seconds: number;
}

/** Per-call ODE options (override the flow's defaults). */
export interface OdeOptions {
  /** RK4 steps. */
  steps?: number;
  trace?: TraceMode;
  /** Hutchinson probes. */
  probes?: number;
  /**
   * sample() only: draw the latent z from N(0, baseScale² I) — a wider
   * (tempered) version of the flow. logProb is still the flow's own log q(x),
   * so the caller can weigh the draws (z is returned). Default 1.
   */
  baseScale?: number;
}

/** Samples with their exact log-density under the flow. */
export interface FlowSamples {
  /** Points, row-major [n × dim]. */
  x: Float64Array;
  /** log q(x), natural log, in the caller's coordinates. */
  logProb: Float64Array;
  /** The latent z ~ N(0, I) each point came from, [n × dim] (whitened coordinates). */
  z: Float64Array;
}

/** Information about a flow and the backend it runs on. */
export type FlowInfo = NativeFlowInfo;

const checkPositiveInt = (value: unknown, name: string, min = 1): number => checkNumber(value, name, intFrom(min));

function checkPoints(points: unknown, name: string, dim: number): number {
  if (!(points instanceof Float64Array)) throw new TypeError(`${name} must be a Float64Array (row-major n × dim)`);
  if (points.length === 0) throw new RangeError(`${name} is empty`);
  if (points.length % dim !== 0) throw new RangeError(`${name} length ${points.length} is not a multiple of dim ${dim}`);
  for (let i = 0; i < points.length; i++) {
    const v = points[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] is ${Number.isNaN(v) ? 'NaN' : 'not finite'}`);
  }
  return points.length / dim;
}

/**
 * A continuous normalising flow trained by conditional flow matching and
 * sampled by integrating its ODE, with exact log-densities.
 *
 * Calls are queued: a flow runs one train/sample/logProb at a time, off the
 * event loop.
 */
export class Flow {
  readonly #handle: NativeFlowHandle;
  readonly #options: Required<Omit<FlowOptions, 'hidden' | 'seed' | 'threads' | 'timeFrequencies' | 'backend'>>;
  #queue: Promise<unknown> = Promise.resolve();

  /**
   * @param options Network, seed, threads and ODE defaults.
   * @param handle Internal: an existing native handle (used by {@link Flow.load}).
   */
  constructor(options: FlowOptions, handle?: NativeFlowHandle) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const dim = checkPositiveInt(options.dim, 'options.dim');
    if (options.hidden !== undefined) {
      if (!Array.isArray(options.hidden)) throw new TypeError('options.hidden must be an array of layer widths');
      if (options.hidden.length === 0) throw new RangeError('options.hidden must list at least one layer width');
      options.hidden.forEach((w, i) => checkPositiveInt(w, `options.hidden[${i}]`));
    }
    const odeSteps = checkPositiveInt(options.odeSteps ?? FLOW_DEFAULTS.odeSteps, 'options.odeSteps');
    const trace = checkChoice(options.trace ?? FLOW_DEFAULTS.trace, 'options.trace', TRACE_MODES);
    const backend = checkChoice(options.backend ?? 'auto', 'options.backend', BACKEND_NAMES);
    this.#options = {
      dim,
      odeSteps,
      trace,
      exactTraceMaxDim: checkPositiveInt(options.exactTraceMaxDim ?? FLOW_DEFAULTS.exactTraceMaxDim, 'options.exactTraceMaxDim'),
      hutchinsonProbes: checkPositiveInt(options.hutchinsonProbes ?? FLOW_DEFAULTS.hutchinsonProbes, 'options.hutchinsonProbes'),
    };
    this.#handle =
      handle ??
      new (loadNative().FlowHandle)({
        dim,
        hidden: options.hidden,
        timeFreqs: options.timeFrequencies,
        seed: options.seed,
        threads: options.threads,
        backend,
      });
  }

  /** Dimension of the points. */
  get dim(): number {
    return this.#options.dim;
  }

  /** Backend, threads, network shape and parameter count. */
  get info(): FlowInfo {
    return this.#handle.info();
  }

  #enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #ode(options: OdeOptions | undefined): { steps: number; trace: 'exact' | 'hutchinson'; probes: number; baseScale?: number } {
    const steps = checkPositiveInt(options?.steps ?? this.#options.odeSteps, 'options.steps');
    const mode = checkChoice(options?.trace ?? this.#options.trace, 'options.trace', TRACE_MODES);
    const trace = mode === 'auto' ? (this.dim <= this.#options.exactTraceMaxDim ? 'exact' : 'hutchinson') : mode;
    const probes = checkPositiveInt(options?.probes ?? this.#options.hutchinsonProbes, 'options.probes');
    if (options?.baseScale === undefined) return { steps, trace, probes };
    const baseScale = checkNumber(options.baseScale, 'options.baseScale', { min: 1e-3, max: 1e3 });
    return { steps, trace, probes, baseScale };
  }

  /**
   * Trains the vector field by conditional flow matching on `points`
   * (row-major n × dim), warm-starting from the current weights.
   */
  train(points: Float64Array, options: TrainOptions = {}): Promise<TrainResult> {
    const n = checkPoints(points, 'points', this.dim);
    if (n < 2) throw new RangeError('points must hold at least 2 points');
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const opts = { ...options };
    this.#handle.checkTrainOptions(opts);
    const copy = points.slice();
    return this.#enqueue(() => this.#handle.train(copy, opts));
  }

  /** Draws n points with their exact log q. */
  sample(n: number, options?: OdeOptions): Promise<FlowSamples> {
    checkPositiveInt(n, 'n');
    if (n * this.dim > MAX_BATCH_VALUES)
      throw new RangeError(`n = ${n}: one call returns at most ${MAX_BATCH_VALUES} values (n × dim ${this.dim}); draw in batches of ${Math.floor(MAX_BATCH_VALUES / this.dim)}`);
    const ode = this.#ode(options);
    return this.#enqueue(() => this.#handle.sample(n, ode));
  }

  /** log q(x) for points x (row-major n × dim), by integrating the ODE backwards. */
  logProb(x: Float64Array, options?: OdeOptions): Promise<Float64Array> {
    return this.inverse(x, options).then((r) => r.logProb);
  }

  /** The latent z (whitened coordinates) of each point and its log q. */
  inverse(x: Float64Array, options?: OdeOptions): Promise<{ z: Float64Array; logProb: Float64Array }> {
    checkPoints(x, 'x', this.dim);
    const ode = this.#ode(options);
    const copy = x.slice();
    return this.#enqueue(() => this.#handle.logProb(copy, ode));
  }

  /**
   * The raw vector field v(y, t) and its exact divergence at points y given
   * in whitened coordinates (diagnostics and tests).
   */
  field(y: Float64Array, t: number): { v: Float64Array; trace: Float64Array } {
    checkPoints(y, 'y', this.dim);
    return this.#handle.field(y, t);
  }

  /** Mean CFM loss (and its gradient) on given pairs, whitened coordinates. */
  cfmLoss(xt: Float64Array, t: Float64Array, target: Float64Array, withGradient = false): { loss: number; grad?: Float64Array } {
    return this.#handle.cfmLoss(xt, t, target, withGradient);
  }

  /** A copy of the network parameters (float32 values as float64). */
  getParameters(): Float64Array {
    return this.#handle.getParams();
  }

  /** Replaces the network parameters (rounded to float32). */
  setParameters(params: Float64Array): void {
    this.#handle.setParams(params);
  }

  /** The whitening map x = mean + chol · y (chol lower-triangular, row-major). */
  get whitening(): { mean: Float64Array; chol: Float64Array; logDet: number } {
    return this.#handle.whitening();
  }

  /** Reinitialises the weights and optimiser state and reseeds the stream. */
  reset(seed = 0): void {
    checkPositiveInt(seed, 'seed', 0);
    this.#handle.reset(seed);
  }

  /** Weights, whitening, optimiser and RNG state, with a format version and checksum. */
  save(): Uint8Array {
    return this.#handle.save();
  }

  /**
   * Restores a flow from {@link Flow.save}'s bytes. Throws a RangeError on
   * truncated, corrupt or foreign data. ODE options are not part of the bytes.
   */
  static load(bytes: Uint8Array, options: Omit<FlowOptions, 'dim' | 'hidden' | 'timeFrequencies' | 'seed'> = {}): Flow {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
    const backend = checkChoice(options.backend ?? 'auto', 'options.backend', BACKEND_NAMES);
    const handle = loadNative().FlowHandle.load(bytes, options.threads, backend);
    const info = handle.info();
    return new Flow({ ...options, dim: info.dim, hidden: info.hidden }, handle);
  }
}

/**
 * The checked likelihood call: every value the user's function returns is
 * checked before the sampler trusts it, and every call is counted and timed.
 */

/** A batched log-likelihood: θ is row-major [n × dim]; returns n values (−Infinity allowed). */
export type BatchLogLikelihood = (theta: Float64Array, n: number) => Float64Array | number[] | Promise<Float64Array | number[]>;
/** A per-point log-likelihood (with `vectorized: false`). */
export type PointLogLikelihood = (theta: Float64Array) => number | Promise<number>;

/** Error raised by the sampler for a misbehaving likelihood; `.code` is stable. */
export class LikelihoodError extends Error {
  readonly code: 'LIKELIHOOD_NAN' | 'LIKELIHOOD_INF' | 'LIKELIHOOD_LENGTH' | 'LIKELIHOOD_TYPE' | 'LIKELIHOOD_THREW';
  constructor(code: LikelihoodError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LikelihoodError';
    this.code = code;
  }
}

/** Calls the user's function on n points θ (row-major) and returns the checked values. */
export async function callLikelihood(
  logLikelihood: BatchLogLikelihood | PointLogLikelihood,
  vectorized: boolean,
  theta: Float64Array,
  n: number,
  dim: number,
): Promise<Float64Array> {
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
  if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<unknown>).length !== 'number') {
    const perPoint =
      typeof values === 'number'
        ? ': it looks like a per-point function (theta) => number — export `vectorized = false` from its module (or pass `vectorized: false` to NestedSampler), or take (theta, n) and return n values'
        : '';
    throw new LikelihoodError('LIKELIHOOD_TYPE', `logLikelihood must return an array of ${n} numbers (Float64Array or number[]), got ${values === null ? 'null' : typeof values}${perPoint}`);
  }
  if (values.length !== n) throw new LikelihoodError('LIKELIHOOD_LENGTH', `logLikelihood returned ${values.length} values for ${n} points`);
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

/** Points in the unit cube mapped through the prior, with their checked log-likelihoods. */
export interface Evaluated {
  theta: Float64Array;
  logL: Float64Array;
}

/** Maps unit-cube points through the prior and evaluates them; counts calls and time into `counters`. */
export type Evaluate = (u: Float64Array, n: number) => Promise<Evaluated>;

/** Where a run's likelihood is evaluated (likelihood-source.ts opens one). */
export interface LikelihoodSource {
  /** The checked log-likelihoods of n points θ (row-major). */
  evaluate(theta: Float64Array, n: number): Promise<Float64Array>;
  /** Threads evaluating the likelihood in this process (1: the main thread). */
  readonly workers: number;
  /** MPI ranks sharing each batch (absent: one process). */
  readonly ranks?: number;
  close(): Promise<void>;
}

/**
 * Priors as transforms from the unit hypercube (the PolyChord / UltraNest /
 * dynesty convention): the sampler works in u ∈ [0, 1]^d, where the prior is
 * uniform, and the likelihood receives θ = transform(u).
 */

/** A prior: a map from the unit hypercube to parameters, applied to n rows at once. */
export interface Prior {
  /** Number of parameters. */
  readonly dim: number;
  /**
   * Writes θ for n points: u and theta are row-major [n × dim]. Must be
   * deterministic and monotone per parameter for the built-in priors.
   */
  transform(u: Float64Array, theta: Float64Array, n: number): void;
  /** A short description for run records (e.g. "uniform[-5, 5]^4"). */
  readonly description: string;
}

/** One parameter's transform from u ∈ [0, 1]. */
export interface ParameterPrior {
  readonly description: string;
  inverseCdf(u: number): number;
}

function checkFinite(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
  return value;
}

function checkArray(value: unknown, name: string): number[] {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new TypeError(`${name} must be an array of numbers`);
  const arr = Array.from(value as ArrayLike<number>);
  if (arr.length === 0) throw new RangeError(`${name} must not be empty`);
  return arr;
}

/** Broadcasts a scalar or array argument to `dim` entries. */
function perParameter(value: number | number[], dim: number, name: string): number[] {
  if (typeof value === 'number') return new Array<number>(dim).fill(value);
  const arr = checkArray(value, name);
  if (arr.length !== dim) throw new RangeError(`${name} has ${arr.length} entries, expected ${dim} (one per parameter)`);
  return arr;
}

/** Standard normal quantile: Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  }
  return x;
}

/** Built-in one-parameter priors, for {@link priors.independent}. */
export const parameter = {
  /** Uniform on [lower, upper]. */
  uniform(lower: number, upper: number): ParameterPrior {
    checkFinite(lower, 'lower');
    checkFinite(upper, 'upper');
    if (!(lower < upper)) throw new RangeError(`lower (${lower}) must be below upper (${upper})`);
    return { description: `uniform[${lower}, ${upper}]`, inverseCdf: (u) => lower + (upper - lower) * u };
  },
  /** Normal with the given mean and standard deviation. */
  normal(mean: number, sd: number): ParameterPrior {
    checkFinite(mean, 'mean');
    checkFinite(sd, 'sd');
    if (!(sd > 0)) throw new RangeError(`sd must be positive, got ${sd}`);
    return { description: `normal(${mean}, ${sd})`, inverseCdf: (u) => mean + sd * normalQuantile(u) };
  },
  /** Log-uniform (Jeffreys) on [lower, upper], 0 < lower < upper. */
  logUniform(lower: number, upper: number): ParameterPrior {
    checkFinite(lower, 'lower');
    checkFinite(upper, 'upper');
    if (!(lower > 0)) throw new RangeError(`lower must be positive for a log-uniform prior, got ${lower}`);
    if (!(lower < upper)) throw new RangeError(`lower (${lower}) must be below upper (${upper})`);
    const a = Math.log(lower);
    const b = Math.log(upper);
    return { description: `logUniform[${lower}, ${upper}]`, inverseCdf: (u) => Math.exp(a + (b - a) * u) };
  },
};

function fromParameters(params: ParameterPrior[], description: string): Prior {
  const dim = params.length;
  return {
    dim,
    description,
    transform(u, theta, n) {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < dim; j++) theta[i * dim + j] = params[j]!.inverseCdf(u[i * dim + j]!);
    },
  };
}

/** Prior constructors. */
export const priors = {
  /** Uniform on the box [lower, upper] (arrays, one entry per parameter). */
  uniform(lower: number[], upper: number[]): Prior {
    const lo = checkArray(lower, 'lower');
    const hi = perParameter(upper, lo.length, 'upper');
    lo.forEach((v, i) => checkFinite(v, `lower[${i}]`));
    hi.forEach((v, i) => checkFinite(v, `upper[${i}]`));
    lo.forEach((v, i) => {
      if (!(v < hi[i]!)) throw new RangeError(`lower[${i}] (${v}) must be below upper[${i}] (${hi[i]})`);
    });
    const dim = lo.length;
    const span = hi.map((h, i) => h - lo[i]!);
    const same = lo.every((v) => v === lo[0]) && hi.every((v) => v === hi[0]);
    return {
      dim,
      description: same ? `uniform[${lo[0]}, ${hi[0]}]^${dim}` : `uniform box in ${dim}-D`,
      transform(u, theta, n) {
        for (let i = 0; i < n; i++)
          for (let j = 0; j < dim; j++) theta[i * dim + j] = lo[j]! + span[j]! * u[i * dim + j]!;
      },
    };
  },
  /** Independent normals (arrays, or scalars with `dim`). */
  normal(mean: number[] | number, sd: number[] | number, dim?: number): Prior {
    const d = Array.isArray(mean) ? mean.length : Array.isArray(sd) ? sd.length : dim;
    if (d === undefined) throw new TypeError('dim is required when mean and sd are both scalars');
    const m = perParameter(mean, d, 'mean');
    const s = perParameter(sd, d, 'sd');
    return fromParameters(m.map((mu, i) => parameter.normal(mu, s[i]!)), `normal prior in ${d}-D`);
  },
  /** Independent log-uniform priors on [lower, upper]. */
  logUniform(lower: number[], upper: number[]): Prior {
    const lo = checkArray(lower, 'lower');
    const hi = perParameter(upper, lo.length, 'upper');
    return fromParameters(lo.map((l, i) => parameter.logUniform(l, hi[i]!)), `logUniform prior in ${lo.length}-D`);
  },
  /** One prior per parameter, e.g. `independent([parameter.uniform(0, 1), parameter.logUniform(1e-3, 1)])`. */
  independent(params: ParameterPrior[]): Prior {
    const list = checkArray(params, 'params') as unknown as ParameterPrior[];
    list.forEach((p, i) => {
      if (!p || typeof p.inverseCdf !== 'function') throw new TypeError(`params[${i}] must be a parameter prior (see priors.parameter)`);
    });
    return fromParameters(list, list.map((p) => p.description).join(', '));
  },
  /** A user transform from the unit hypercube: transform(u, theta) for one point (both length dim). */
  custom(options: { dim: number; transform: (u: Float64Array, theta: Float64Array) => void; description?: string }): Prior {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const { dim, transform } = options;
    if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) throw new RangeError(`dim must be a positive integer, got ${String(dim)}`);
    if (typeof transform !== 'function') throw new TypeError('transform must be a function (u, theta) => void');
    return {
      dim,
      description: options.description ?? `custom prior in ${dim}-D`,
      transform(u, theta, n) {
        for (let i = 0; i < n; i++) transform(u.subarray(i * dim, (i + 1) * dim), theta.subarray(i * dim, (i + 1) * dim));
      },
    };
  },
  parameter,
};

/**
 * The posterior of a run in numbers, per parameter: weighted mean and sd,
 * median, 68% and 95% equal-tailed intervals, and the value at the
 * highest-likelihood point — what UltraNest prints after a run and what a
 * paper's table quotes.
 */

/** One parameter's posterior summary. */
export interface ParameterSummary {
  name: string;
  /** LaTeX label, where the run has one. */
  label?: string;
  mean: number;
  sd: number;
  median: number;
  /** Equal-tailed 68% interval: the 16th and 84th percentiles. */
  ci68: [number, number];
  /** Equal-tailed 95% interval: the 2.5th and 97.5th percentiles. */
  ci95: [number, number];
  /** The value at the dead point with the highest log-likelihood. */
  maxLogL: number;
}

const QUANTILES = [0.025, 0.16, 0.5, 0.84, 0.975] as const;

/**
 * Per-parameter summaries of weighted points (`theta` row-major [n × dim],
 * `logWeight` need not be normalised).
 */
export function summarizePosterior(
  theta: Float64Array,
  logWeight: Float64Array,
  logL: Float64Array,
  dim: number,
  names: readonly string[],
  labels?: readonly string[],
): ParameterSummary[] {
  const n = logWeight.length;
  if (theta.length !== n * dim) throw new RangeError(`theta has ${theta.length} values, expected ${n} × ${dim}`);
  if (logL.length !== n) throw new RangeError(`logL has ${logL.length} values, expected ${n}`);
  if (names.length !== dim) throw new RangeError(`names has ${names.length} entries, expected ${dim}`);
  let maxW = -Infinity;
  let best = 0;
  for (let i = 0; i < n; i++) {
    maxW = Math.max(maxW, logWeight[i]!);
    if (logL[i]! > logL[best]!) best = i;
  }
  if (!Number.isFinite(maxW)) throw new RangeError('the run has no point with a positive posterior weight');
  const w = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i] = Math.exp(logWeight[i]! - maxW);
  for (let i = 0; i < n; i++) w[i]! /= total;
  return Array.from({ length: dim }, (_, k) => {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += w[i]! * theta[i * dim + k]!;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += w[i]! * (theta[i * dim + k]! - mean) ** 2;
    const [q025, q16, q50, q84, q975] = weightedQuantiles(theta, w, dim, k, QUANTILES);
    return {
      name: names[k]!,
      ...(labels?.[k] ? { label: labels[k] } : {}),
      mean,
      sd: Math.sqrt(variance),
      median: q50!,
      ci68: [q16!, q84!],
      ci95: [q025!, q975!],
      maxLogL: theta[best * dim + k]!,
    };
  });
}

/**
 * Quantiles of coordinate k under normalised weights w: the inverse of the
 * weighted distribution function, no interpolation — interpolating would
 * spread a heavy point's mass toward a light neighbour, and a nested
 * sampling run has many points of negligible weight.
 */
function weightedQuantiles(theta: Float64Array, w: Float64Array, dim: number, k: number, qs: readonly number[]): number[] {
  const order = Array.from({ length: w.length }, (_, i) => i)
    .filter((i) => w[i]! > 0)
    .sort((a, b) => theta[a * dim + k]! - theta[b * dim + k]!);
  const cumulative = new Float64Array(order.length);
  let cum = 0;
  order.forEach((i, j) => (cumulative[j] = cum += w[i]!));
  return qs.map((q) => {
    // The first point whose cumulative weight reaches q (rounding may leave the last just under 1).
    let lo = 0;
    let hi = order.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! >= q) hi = mid;
      else lo = mid + 1;
    }
    return theta[order[lo]! * dim + k]!;
  });
}

/** A plain-text table of summaries, one row per parameter, for terminals and logs. */
export function formatSummaryTable(rows: readonly ParameterSummary[]): string {
  const num = (v: number): string => {
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
  };
  const header = ['parameter', 'mean', 'sd', 'median', '68% interval', '95% interval', 'max-logL'];
  const body = rows.map((r) => [r.name, num(r.mean), num(r.sd), num(r.median), `[${num(r.ci68[0])}, ${num(r.ci68[1])}]`, `[${num(r.ci95[0])}, ${num(r.ci95[1])}]`, num(r.maxLogL)]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c]!.length)));
  const line = (cells: string[]): string => cells.map((s, c) => (c === 0 ? s.padEnd(widths[c]!) : s.padStart(widths[c]!))).join('  ');
  return [line(header), ...body.map(line)].join('\n');
}

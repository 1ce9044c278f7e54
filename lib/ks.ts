/** One-sample Kolmogorov–Smirnov test against U(0, 1). */

/** Asymptotic p-value of the KS statistic D for n samples (Stephens' correction). */
export function ksPValue(d: number, n: number): number {
  if (n <= 0) return 1;
  const sqrtN = Math.sqrt(n);
  const lambda = (sqrtN + 0.12 + 0.11 / sqrtN) * d;
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/**
 * KS statistic and p-value of values in [0, 1] against the uniform
 * distribution. `effectiveN` (default: the count) replaces n in the p-value
 * when the values are not independent: ranks of m points among the same n
 * reference points vary like a two-sample test, n·m / (n + m).
 */
export function ksUniform(values: ArrayLike<number>, effectiveN?: number): { statistic: number; pValue: number } {
  const n = values.length;
  if (n === 0) return { statistic: 0, pValue: 1 };
  const sorted = Float64Array.from(values).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i]!;
    d = Math.max(d, (i + 1) / n - v, v - i / n);
  }
  return { statistic: d, pValue: ksPValue(d, effectiveN ?? n) };
}

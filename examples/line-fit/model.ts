// Fit a straight line y = m x + c to measurements with Gaussian errors:
//   npx nestflow run -l examples/line-fit/model.ts --data examples/line-fit/data.csv
// (or `-c examples/line-fit/run.yaml`). The data file is read once in
// setup(), in every process and worker thread that evaluates the likelihood.
import { readFileSync } from 'node:fs';
import { priors } from 'nestflow';

export const paramNames = ['m', 'c'];
export const paramLabels = ['m', 'c']; // LaTeX, as in PolyChord's .paramnames
export const prior = priors.uniform([-5, -10], [5, 10]);

// Derived parameters: the line at x = 10 and its angle, per posterior point.
export const derivedNames = ['y10', 'angle'];
export const derivedLabels = ['y(10)', '\\theta'];
export function derived(theta: Float64Array): number[] {
  const [m, c] = theta;
  return [10 * m! + c!, Math.atan(m!)];
}

let x = new Float64Array(0);
let y = new Float64Array(0);
let sigma = new Float64Array(0);

/** options.data: the CSV (x, y, sigma; '#' comments, one header line); options.sigmaScale from the config's model: section. */
export function setup(options: { data?: string; sigmaScale?: number }): void {
  if (!options.data) throw new Error('give the data file: --data data.csv (or data: in the config)');
  const rows = readFileSync(options.data, 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const scale = options.sigmaScale ?? 1;
  x = Float64Array.from(rows, (r) => r[0]!);
  y = Float64Array.from(rows, (r) => r[1]!);
  sigma = Float64Array.from(rows, (r) => r[2]! * scale);
}

// Batched: theta is row-major [n × 2]; returns n log-likelihoods.
export function logLikelihood(theta: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = theta[2 * i]!;
    const c = theta[2 * i + 1]!;
    let chi2 = 0;
    let logNorm = 0;
    for (let k = 0; k < x.length; k++) {
      chi2 += ((y[k]! - m * x[k]! - c) / sigma[k]!) ** 2;
      logNorm -= Math.log(Math.sqrt(2 * Math.PI) * sigma[k]!);
    }
    out[i] = logNorm - chi2 / 2;
  }
  return out;
}

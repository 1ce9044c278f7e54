/**
 * The batches a run hands its likelihood (the same run, whatever evaluates
 * it), and the speed-up they allow N workers or ranks: a batch of n takes
 * ⌈n/N⌉ point-times, so N can save at most Σn / Σ⌈n/N⌉.
 */
import { NestedSampler } from '../lib/index.js';
import type { Problem } from '../lib/problems.js';

export async function batchTable(p: Problem, o: { nLive: number; seed: number; threads: number }, unit: 'workers' | 'ranks'): Promise<string> {
  const sizes: number[] = [];
  await new NestedSampler({
    logLikelihood: (theta: Float64Array, n: number) => (sizes.push(n), p.logLikelihood(theta, n)),
    prior: p.prior,
    nLive: o.nLive,
    seed: o.seed,
    flow: { threads: o.threads },
    onWarning: () => {},
  }).run();
  const sorted = [...sizes].sort((a, b) => a - b);
  const total = sizes.reduce((a, b) => a + b, 0);
  const rows = [2, 4, 8, 16, 32, 64, 128].map((N) => `| ${N} | ${(total / sizes.reduce((a, n) => a + Math.ceil(n / N), 0)).toFixed(1)} |`);
  return [
    `\nBatches handed to the likelihood: ${sizes.length}, median ${sorted[sorted.length >> 1]} points, range ${sorted[0]}–${sorted[sorted.length - 1]}.`,
    `\n| ${unit} N | projected likelihood speed-up Σn / Σ⌈n/N⌉ |\n| --- | --- |`,
    ...rows,
  ].join('\n');
}

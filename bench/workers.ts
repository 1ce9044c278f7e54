/**
 * npm run bench:workers -- [--workers 1,2] [--cost-ms 5] [--dim 4] [--nlive 500] [--threads 2]
 *
 * The same run with its likelihood module (a busy loop of cost-ms per point
 * on Rosenbrock) on 1, 2, … worker threads: the time spent waiting on the
 * likelihood, the whole run and its train / sample split; then the batch
 * sizes the sampler hands out, and the speed-up they allow N workers.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { NestedSampler } from '../lib/index.js';
import { rosenbrock } from '../lib/problems.js';
import { batchTable } from './batches.js';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2' },
    'cost-ms': { type: 'string', default: '5' },
    dim: { type: 'string', default: '4' },
    nlive: { type: 'string', default: '500' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
process.env.NESTFLOW_COST_MS = values['cost-ms'];
process.env.NESTFLOW_DIM = values.dim;
const dim = Number(values.dim);
const p = rosenbrock(dim);
const module = fileURLToPath(new URL('./models/slow-rosenbrock.ts', import.meta.url));
console.log(`Rosenbrock ${dim}-D, ${values['cost-ms']} ms per point, nLive ${values.nlive}, flow threads ${values.threads}\n`);
console.log('| workers | nLike | logZ | likelihood s | whole run s (train / sample) | likelihood speed-up |');
console.log('| --- | --- | --- | --- | --- | --- |');
let base = 0;
for (const w of values.workers.split(',').map(Number)) {
  const r = await new NestedSampler({
    logLikelihood: { module },
    prior: p.prior,
    nLive: Number(values.nlive),
    seed: Number(values.seed),
    workers: w,
    flow: { threads: Number(values.threads) },
    onWarning: () => {},
  }).run();
  const t = r.timings;
  if (base === 0) base = t.likelihood;
  console.log(
    `| ${w} | ${r.nLike} | ${r.logZ.toFixed(3)} ± ${r.logZErr.toFixed(3)} | ${(t.likelihood / 1000).toFixed(1)} | ${(t.total / 1000).toFixed(1)} (${(t.train / 1000).toFixed(1)} / ${(t.sample / 1000).toFixed(1)}) | ${(base / t.likelihood).toFixed(2)} |`,
  );
}

console.log(await batchTable(p, { nLive: Number(values.nlive), seed: Number(values.seed), threads: Number(values.threads) }, 'workers'));

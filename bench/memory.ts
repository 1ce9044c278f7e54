// Resident memory over thousands of flow train / sample / logProb / save /
// load calls (the native side of a long run): it should stay flat.
//   npm run bench:memory -- [--calls 3000] [--dim 4]
import { parseArgs } from 'node:util';
import { Flow } from '../lib/flow.js';
import { Random } from '../lib/random.js';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '3000' }, dim: { type: 'string', default: '4' } } });
const calls = Number(values.calls);
const dim = Number(values.dim);
const rng = new Random(1);
const points = new Float64Array(200 * dim);
for (let i = 0; i < points.length; i++) points[i] = 0.5 + 0.1 * rng.normal();
let flow = new Flow({ dim, seed: 1, threads: 1 });
const mb = (): number => process.memoryUsage().rss / 2 ** 20;
const rows: [number, number][] = [];
console.log('| flow calls | RSS MiB | heap MiB |');
console.log('| --- | --- | --- |');
for (let k = 0; k <= calls; k++) {
  if (k % Math.max(1, Math.floor(calls / 10)) === 0) {
    (globalThis as { gc?: () => void }).gc?.();
    rows.push([k, mb()]);
    console.log(`| ${k * 4} | ${mb().toFixed(1)} | ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} |`);
  }
  await flow.train(points, { steps: 5 });
  const s = await flow.sample(200);
  await flow.logProb(s.x);
  if (k % 50 === 0) flow = Flow.load(flow.save(), { threads: 1 });
}
// Growth after warm-up (first tenth) per thousand calls.
const [k0, r0] = rows[1]!;
const [k1, r1] = rows[rows.length - 1]!;
console.log(`\nRSS growth after warm-up: ${(r1 - r0).toFixed(1)} MiB over ${(k1 - k0) * 4} calls (${(((r1 - r0) / ((k1 - k0) * 4)) * 1000).toFixed(2)} MiB per 1000 calls)`);

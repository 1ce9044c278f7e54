/**
 * npm run bench:ode [-- --steps 4,6,8,10,16,20,40]
 *
 * Chooses the ODE step count: trains flows on curved 2-D and 10-D targets,
 * samples with RK4 at each step count, and compares each sample's log q with
 * a 400-step backward solution at the same point. Prints the error in nats
 * (median, 99th percentile, max) and the cost per 1000 samples.
 */
import { parseArgs } from 'node:util';
import { Flow } from '../lib/index.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '4,6,8,10,16,20,40' },
    n: { type: 'string', default: '2000' },
  },
});
const stepList = values.steps.split(',').map(Number);
const n = Number(values.n);

/** Seeded normals (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const u = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u() || 1e-300)) * Math.cos(2 * Math.PI * u());
}

/** A banana in each pair of coordinates: x_{2k+1} = x_{2k}^2 + 0.3 ε (a curved, Rosenbrock-like valley). */
function banana(dim: number, count: number, seed: number): Float64Array {
  const rnd = normals(seed);
  const x = new Float64Array(count * dim);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < dim; j += 2) {
      const a = rnd();
      x[i * dim + j] = a;
      if (j + 1 < dim) x[i * dim + j + 1] = a * a + 0.3 * rnd();
    }
  return x;
}

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

console.log('| target | RK4 steps | median |Δlog q| | 99% | max | ms per 1000 samples |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const dim of [2, 10]) {
  const flow = new Flow({ dim, seed: 3 });
  await flow.train(banana(dim, 10_000, 11), { steps: 1500 });
  for (const steps of stepList) {
    const t0 = performance.now();
    const s = await flow.sample(n, { steps });
    const ms = ((performance.now() - t0) / n) * 1000;
    const ref = await flow.logProb(s.x, { steps: 400 });
    const err = Array.from(s.logProb, (v, i) => Math.abs(v - ref[i]!));
    console.log(
      `| banana ${dim}-D | ${steps} | ${quantile(err, 0.5).toExponential(1)} | ${quantile(err, 0.99).toExponential(1)} | ${Math.max(...err).toExponential(1)} | ${ms.toFixed(0)} |`,
    );
  }
}

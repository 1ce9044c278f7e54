/**
 * Nested sampling of the 2-D Rosenbrock likelihood on U[-5, 5]^2.
 * Run: npx tsx examples/rosenbrock-2d.ts   (about 15–20 s on 2 cores)
 */
import { NestedSampler, priors } from '../lib/index.js';

const d = 2;
const sampler = new NestedSampler({
  logLikelihood: (theta, n) => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let r = 0;
      for (let j = 0; j + 1 < d; j++) {
        const a = theta[i * d + j]!;
        const b = theta[i * d + j + 1]!;
        r += 100 * (b - a * a) ** 2 + (1 - a) ** 2;
      }
      out[i] = -r;
    }
    return out;
  },
  prior: priors.uniform([-5, -5], [5, 5]),
  paramNames: ['x', 'y'],
  nLive: 500,
  seed: 1,
});

const r = await sampler.run({
  onIteration: (it) =>
    console.log(`iteration ${it.iteration}: log X ${it.logX.toFixed(2)}, log Z ${it.logZ.toFixed(3)}, efficiency ${it.efficiency.toFixed(2)}`),
});
const reference = -5.8041323638;
console.log(`log Z = ${r.logZ.toFixed(3)} ± ${r.logZErr.toFixed(3)} (reference ${reference}, ${((r.logZ - reference) / r.logZErr).toFixed(2)}σ)`);
console.log(`${r.nLike} likelihood calls for ${r.dead.logL.length} dead points; ESS ${r.ess.toFixed(0)}; H ${r.information.toFixed(2)} nats`);
const samples = r.posteriorSamples(1000);
let mx = 0;
let my = 0;
for (let i = 0; i < 1000; i++) {
  mx += samples[2 * i]! / 1000;
  my += samples[2 * i + 1]! / 1000;
}
console.log(`posterior mean ≈ (${mx.toFixed(2)}, ${my.toFixed(2)})`);

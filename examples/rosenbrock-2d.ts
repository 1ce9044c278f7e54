/**
 * Nested sampling of the 2-D Rosenbrock likelihood on U[-5, 5]^2.
 * Run: npx tsx examples/rosenbrock-2d.ts   (about 15–20 s on 2 cores)
 */
import { NestedSampler, problems } from 'nestflow';

// The built-in problem (lib/problems.ts); the README shows writing a likelihood by hand.
const rosenbrock = problems.rosenbrock(2);
const sampler = new NestedSampler({
  logLikelihood: rosenbrock.logLikelihood,
  prior: rosenbrock.prior,
  paramNames: ['x', 'y'],
  nLive: 500,
  seed: 1,
});

const r = await sampler.run({
  onIteration: (it) =>
    console.log(`iteration ${it.iteration}: log X ${it.logX.toFixed(2)}, log Z ${it.logZ.toFixed(3)}, efficiency ${it.efficiency.toFixed(2)}`),
});
const reference = rosenbrock.logZ;
console.log(`log Z = ${r.logZ.toFixed(3)} ± ${r.logZErr.toFixed(3)} (reference ${reference.toFixed(3)}, ${((r.logZ - reference) / r.logZErr).toFixed(2)}σ)`);
console.log(`${r.nLike} likelihood calls for ${r.dead.logL.length} dead points; ESS ${r.ess.toFixed(0)}; H ${r.information.toFixed(2)} nats`);
const samples = r.posteriorSamples(1000);
let mx = 0;
let my = 0;
for (let i = 0; i < 1000; i++) {
  mx += samples[2 * i]! / 1000;
  my += samples[2 * i + 1]! / 1000;
}
console.log(`posterior mean ≈ (${mx.toFixed(2)}, ${my.toFixed(2)})`);

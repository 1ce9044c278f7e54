/**
 * npm run bench:sampler -- [--problem rosenbrock|gaussian|shells|eggbox|all] [--dims 2,4,6] [--max-seconds s]
 *                          [--nlive 500] [--seeds 1,2,3] [--threads N] [--ode-steps n] [--kill-fraction f] [--train-steps n] [--max-flow-calls n]
 *                          [--hidden 128,128,128] [--batch 1000] [--lr 1e-3] [--weight-decay 0]
 *                          [--local-steps n] [--walk-neighbours k] [--walk-only] [--quantile q] [--min-pass r]
 *
 * Runs the nested sampler on docs/problems.md's problems and prints, per run,
 * nLike, logZ ± err against the reference, (logZ − ref)/err, whether it
 * matches (|Δ| ≤ max(3σ, 0.15)), dead points, efficiency and wall time split
 * into training, sampling and likelihood. Where the problem's exact marginals
 * are known (Rosenbrock, Gaussian), the posterior columns give the largest
 * |weighted mean − exact mean| / exact sd and the sd ratio furthest from 1
 * over the coordinates, with the coordinate, then the largest deviation in
 * standard errors of an iid sample of the run's ESS (a floor on the noise:
 * beyond about 4 it is the sampler, not chance). With several seeds a summary
 * per problem follows: calls, mean Δ/σ with its standard error, the
 * scatter of log Z over seeds against the mean reported error, and the
 * chance that an exact sampler with the runs' mean ESS would put every
 * coordinate's mean within 0.05 sd and its sd within 5% of the exact.
 */
import { parseArgs } from 'node:util';
import { NestedSampler } from '../lib/index.js';
import { chanceWithinTolerance, weightedMoments } from '../lib/posterior.js';
import { eggbox, gaussian, matches, rosenbrock, shells, type Problem } from '../lib/problems.js';
import { worstInStandardErrors, worstMarginals } from './harness.js';

const { values } = parseArgs({
  options: {
    problem: { type: 'string', default: 'all' },
    dims: { type: 'string' },
    nlive: { type: 'string', default: '500' },
    seeds: { type: 'string', default: '1' },
    threads: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    quantile: { type: 'string' },
    'min-pass': { type: 'string' },
    'local-steps': { type: 'string' },
    'walk-neighbours': { type: 'string' },
    tempered: { type: 'string' },
    'max-seconds': { type: 'string' },
    sigma: { type: 'string' },
    patience: { type: 'string' },
    margin: { type: 'string' },
    folds: { type: 'string' },
    'ode-steps': { type: 'string' },
    'kill-fraction': { type: 'string' },
    'train-steps': { type: 'string' },
    'max-flow-calls': { type: 'string' },
    'walk-only': { type: 'boolean', default: false },
    hidden: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    'weight-decay': { type: 'string' },
  },
});
/** Numeric flags and the option each sets; a flag not given leaves the sampler's default. */
const SAMPLER_FLAGS = {
  quantile: 'envelopeQuantile', 'min-pass': 'minWeightPassRate', tempered: 'temperedFraction', 'local-steps': 'localSteps',
  'walk-neighbours': 'walkNeighbours',
  'max-seconds': 'maxSeconds', margin: 'envelopeMargin', folds: 'folds', 'kill-fraction': 'killFraction', 'max-flow-calls': 'maxFlowCallsPerPoint',
} as const;
const TRAIN_FLAGS = { batch: 'batchSize', lr: 'learningRate', 'weight-decay': 'weightDecay', sigma: 'sigma', patience: 'patience', 'train-steps': 'steps' } as const;
type NumericFlag = Exclude<keyof typeof values, 'verbose' | 'walk-only'>;
function numericOptions<M extends Partial<Record<NumericFlag, string>>>(map: M): { [F in keyof M as M[F] & string]?: number } {
  const out: Record<string, number> = {};
  for (const [flag, key] of Object.entries(map) as [NumericFlag, string][]) if (values[flag] !== undefined) out[key] = Number(values[flag]);
  return out as { [F in keyof M as M[F] & string]?: number };
}
const nLive = Number(values.nlive);
const seeds = values.seeds.split(',').map(Number);
const dimsFor = (def: number[]): number[] => (values.dims ? values.dims.split(',').map(Number) : def);

const problems: Problem[] = [];
const want = (name: string): boolean => values.problem === 'all' || values.problem === name;
if (want('gaussian')) for (const d of dimsFor([2, 8, 16])) problems.push(gaussian(d));
if (want('shells')) problems.push(shells());
if (want('eggbox')) problems.push(eggbox());
if (want('rosenbrock')) for (const d of dimsFor([2, 4, 6, 8, 10])) problems.push(rosenbrock(d));

console.log(`| problem | seed | nLike | dead | nLike/dead | logZ ± err | ref | Δ/σ | match | eff. | stayed | unfound | local moved/tries | KS p | posterior: worst mean shift (sd) | worst sd ratio | worst in s.e. | wall s (train / sample / like) | stop |`);
console.log(`| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`);
const summaries: string[] = [];
for (const p of problems) {
  const runs: Array<{ logZ: number; err: number; nLike: number; delta: number; ess: number }> = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const sampler = new NestedSampler({
      logLikelihood: p.logLikelihood,
      prior: p.prior,
      nLive,
      seed,
      flow: {
        ...(values.threads ? { threads: Number(values.threads) } : {}),
        ...(values['ode-steps'] !== undefined ? { odeSteps: Number(values['ode-steps']) } : {}),
        ...(values.hidden !== undefined ? { hidden: values.hidden.split(',').map(Number) } : {}),
        train: numericOptions(TRAIN_FLAGS),
      },
      onWarning: () => {},
      ...numericOptions(SAMPLER_FLAGS),
      ...(values['walk-only'] ? { flowMoves: false } : {}),
    });
    const r = await sampler.run({
      onIteration: values.verbose
        ? (it) => console.error(`${p.name} it ${it.iteration} logX ${it.logX.toFixed(2)} L* ${it.contour.toFixed(2)} calls ${it.likelihoodCalls} eff ${it.efficiency.toFixed(2)} props ${it.proposals} stayed ${it.stayed} unfound ${it.unfound} dr ${it.delayedMoved}/${it.delayedTries} local ${it.localMoved}/${it.localTries} s ${it.localScale.toFixed(3)} logW ${it.logEnvelope.toFixed(2)} p ${it.insertionPValue.toFixed(3)}`)
        : undefined,
    });
    const wall = (performance.now() - t0) / 1000;
    const dead = r.dead.logL.length;
    const ref = p.logZ;
    const delta = Number.isFinite(ref) ? (r.logZ - ref) / r.logZErr : NaN;
    const ok = Number.isFinite(ref) ? (matches(r.logZ, r.logZErr, ref) ? 'yes' : '**no**') : '—';
    const eff = (dead - nLive) / Math.max(1, r.nLike - nLive);
    runs.push({ logZ: r.logZ, err: r.logZErr, nLike: r.nLike, delta, ess: r.ess });
    let posterior = '— | — | —';
    if (p.marginals) {
      const moments = weightedMoments(r.dead.theta, r.dead.logWeight, p.dim);
      posterior = `${worstMarginals(moments, p.marginals())} | ${worstInStandardErrors(moments, p.marginals(), r.ess)}`;
    }
    console.log(
      `| ${p.name} | ${seed} | ${r.nLike} | ${dead} | ${(r.nLike / dead).toFixed(2)} | ${r.logZ.toFixed(3)} ± ${r.logZErr.toFixed(3)} | ${Number.isFinite(ref) ? ref.toFixed(3) : '—'} | ${Number.isFinite(delta) ? delta.toFixed(2) : '—'} | ${ok} | ${eff.toFixed(2)} | ${r.counts.stayed} | ${r.counts.unfound} | ${r.counts.localMoved}/${r.counts.localTries} | ${r.insertionPValue.toFixed(2)} | ${posterior} | ${wall.toFixed(0)} (${(r.timings.train / 1000).toFixed(0)} / ${(r.timings.sample / 1000).toFixed(0)} / ${(r.timings.likelihood / 1000).toFixed(1)}) | ${r.stopReason} |`,
    );
  }
  if (runs.length > 1) {
    const mean = runs.reduce((a, r) => a + r.logZ, 0) / runs.length;
    const scatter = Math.sqrt(runs.reduce((a, r) => a + (r.logZ - mean) ** 2, 0) / (runs.length - 1));
    const meanErr = runs.reduce((a, r) => a + r.err, 0) / runs.length;
    const calls = runs.map((r) => r.nLike).sort((a, b) => a - b);
    // The pooled gate: a bias shows in the mean of Δ/σ over seeds long before any one run leaves 3σ.
    const z = runs.map((r) => r.delta);
    const zMean = z.reduce((a, v) => a + v, 0) / z.length;
    const zSe = Math.sqrt(z.reduce((a, v) => a + (v - zMean) ** 2, 0) / (z.length - 1) / z.length);
    const pooled = Number.isFinite(p.logZ) ? `${zMean.toFixed(2)} ± ${zSe.toFixed(2)}` : '—';
    // How often an exact sampler with these runs' ESS would put every coordinate within 0.05 sd and 5% of the exact marginals.
    const meanEss = runs.reduce((a, r) => a + r.ess, 0) / runs.length;
    const reach = p.marginals ? chanceWithinTolerance(p.marginals(), meanEss, 0.05, 0.05).toFixed(2) : '—';
    summaries.push(
      `| ${p.name} | ${runs.length} | ${calls[0]} – ${calls[calls.length - 1]} (median ${calls[calls.length >> 1]}) | ${mean.toFixed(3)} | ${Number.isFinite(p.logZ) ? p.logZ.toFixed(3) : '—'} | ${pooled} | ${scatter.toFixed(3)} | ${meanErr.toFixed(3)} | ${(scatter / meanErr).toFixed(2)} | ${reach} |`,
    );
  }
}
if (summaries.length) {
  console.log('\n| problem | seeds | nLike | mean logZ | ref | mean Δ/σ ± s.e. | scatter (sd over seeds) | mean logZErr | scatter / err | exact sampler within 0.05 sd and 5% |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const line of summaries) console.log(line);
}

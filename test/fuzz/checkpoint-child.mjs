// The checkpoint fuzz's subject, one process per case (plain JavaScript on
// the built package, dist/): `make <path>` runs a small problem for three
// iterations and leaves its checkpoint; `resume <path>` resumes it for two
// more iterations. Prints one JSON line: the result (log Z, nLike bit for bit
// as hex) or a clean error (its name and code).
import { NestedSampler, problems } from '../../dist/lib/index.js';

const [mode, path] = process.argv.slice(2);
const p = problems.gaussian(2);
const options = (maxIterations) => ({
  logLikelihood: p.logLikelihood,
  prior: p.prior,
  nLive: 40,
  seed: 11,
  folds: 3,
  maxIterations,
  flow: { threads: 1, hidden: [16], odeSteps: 4, train: { steps: 20 } },
  onWarning: () => {},
});
const hex = (x) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
let out;
try {
  const r =
    mode === 'make'
      ? await new NestedSampler(options(3)).run({ checkpoint: { path } })
      : await new NestedSampler(options(5)).run({ resume: path });
  out = { outcome: 'ok', logZ: hex(r.logZ), nLike: r.nLike, stopReason: r.stopReason };
} catch (err) {
  out = { outcome: 'error', name: err.name, code: err.code, field: err.field, message: err.message };
}
out.maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(out) + '\n');

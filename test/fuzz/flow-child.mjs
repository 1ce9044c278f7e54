// One fuzz case in its own process: load the flow file argv[2], then use it
// (sample, log density, a short training). Prints one JSON line: a clean
// error (its name and code) or "ok" with whether every number was finite.
// Plain JavaScript on the built package (dist/): a hundred of these must start fast.
import { readFileSync } from 'node:fs';
import { Flow } from '../../dist/lib/index.js';

const finite = (a) => a.every((v) => Number.isFinite(v));
let out;
try {
  const flow = Flow.load(new Uint8Array(readFileSync(process.argv[2])), { threads: 1 });
  const s = await flow.sample(64);
  const lp = await flow.logProb(s.x);
  const pts = Float64Array.from({ length: 32 * flow.dim }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const t = await flow.train(pts, { steps: 2, validationFraction: 0 });
  out = { outcome: 'ok', finite: finite(s.x) && finite(s.logProb) && finite(lp) && t.loss.every((v) => Number.isFinite(v)) };
} catch (err) {
  out = { outcome: 'error', name: err.name, code: err.code, field: err.field, message: err.message };
}
out.maxRssMB = process.resourceUsage().maxRSS / 1024;
process.stdout.write(JSON.stringify(out) + '\n');

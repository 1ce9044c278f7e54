/**
 * Train a flow on a banana-shaped point cloud, sample it with exact
 * log-densities and check the round trip.
 * Run: npx tsx examples/flow-density.ts (after npm install, which builds dist/)
 */
import { Flow } from 'nestflow';

const n = 10_000;
const points = new Float64Array(2 * n);
for (let i = 0; i < n; i++) {
  const a = Math.sqrt(-2 * Math.log(Math.random() || 1e-300)) * Math.cos(2 * Math.PI * Math.random());
  const e = Math.sqrt(-2 * Math.log(Math.random() || 1e-300)) * Math.cos(2 * Math.PI * Math.random());
  points[2 * i] = a;
  points[2 * i + 1] = a * a + 0.3 * e;
}

const flow = new Flow({ dim: 2, seed: 1 });
console.log(flow.info);
const history = await flow.train(points, { steps: 1000 });
console.log(`loss ${history.loss[0]!.toFixed(3)} → ${history.loss[history.loss.length - 1]!.toFixed(3)} in ${history.seconds.toFixed(2)} s`);
const { x, logProb } = await flow.sample(5);
const back = await flow.logProb(x);
for (let i = 0; i < 5; i++)
  console.log(`x = (${x[2 * i]!.toFixed(3)}, ${x[2 * i + 1]!.toFixed(3)})  log q = ${logProb[i]!.toFixed(4)}  backwards: ${back[i]!.toFixed(4)}`);
const bytes = flow.save();
console.log(`saved ${bytes.length} bytes; reloaded flow has ${Flow.load(bytes).info.paramCount} parameters`);

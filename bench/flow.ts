/**
 * npm run bench:flow [-- --dims 2,10,32 --threads 2 --repeats 3]
 *
 * Throughput of the flow engine with the default network (3×128 SiLU):
 * training steps/s at batch 1000, samples/s with the exact log-det, and the
 * achieved GFLOP/s of each beside the machine's measured FP32 peak.
 */
import { parseArgs } from 'node:util';
import { Flow } from '../lib/index.js';
import { loadNative } from '../lib/native.js';

const { values } = parseArgs({
  options: {
    dims: { type: 'string', default: '2,10,32' },
    threads: { type: 'string', default: '0' },
    repeats: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
  },
});
const dims = values.dims.split(',').map(Number);
const threads = Number(values.threads);
const repeats = Number(values.repeats);
const batch = Number(values.batch);
const { testing } = loadNative();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Multiply-adds of the network's layers, given the widths [in0, h1, ..., dim]. */
function layerWidths(dim: number, hidden: number[], timeFreqs: number): number[] {
  return [dim + 1 + 2 * timeFreqs, ...hidden, dim];
}

/** FLOPs of one CFM training step: forward, dW for every layer, dX for layers ≥ 1. */
function trainStepFlops(w: number[], batchSize: number): number {
  let macs = 0;
  for (let l = 0; l + 1 < w.length; l++) {
    const m = w[l]! * w[l + 1]!;
    macs += l === 0 ? 2 * m : 3 * m;
  }
  return 2 * batchSize * macs;
}

/** FLOPs of one field evaluation with d exact tangent columns, per point. */
function fieldFlops(w: number[], dim: number): number {
  const L = w.length - 1;
  let macs = w[0]! * w[1]! + dim * w[1]!; // layer 0: point row + tangent rows (elementwise)
  for (let l = 1; l < L - 1; l++) macs += (1 + dim) * w[l]! * w[l + 1]!; // hidden: point + d tangent rows
  macs += w[L - 1]! * dim * 2; // output row and the trace contraction
  return 2 * macs;
}

const threadsUsed = threads > 0 ? threads : testing.defaultThreads;
const peak1 = median([0, 1, 2].map(() => testing.peakGflops(1).gflops));
const peakAll = median([0, 1, 2].map(() => testing.peakGflops(threadsUsed).gflops));
const gemm = median(
  Array.from({ length: repeats }, () => testing.benchGemm(batch, 128, 128, 200, threadsUsed).gflops),
);

console.log(`nestflow bench:flow — kernel ${testing.gemmKernel}, ${threadsUsed} thread(s), medians of ${repeats}`);
console.log(`FP32 peak (measured, register-only FMA loop, ${testing.gemmKernel.split('-')[0]}): ${peak1.toFixed(0)} GFLOP/s per core, ${peakAll.toFixed(0)} GFLOP/s on ${threadsUsed} core(s)`);
console.log(`Layer products (${batch}×128 · 128×128, as the network runs them): ${gemm.toFixed(0)} GFLOP/s = ${((100 * gemm) / peakAll).toFixed(0)}% of peak\n`);

const rows: string[][] = [];
for (const dim of dims) {
  const flow = new Flow({ dim, seed: 1, threads: threads || undefined });
  const info = flow.info;
  const w = layerWidths(dim, info.hidden, info.timeFreqs);
  // A correlated Gaussian training set; its shape does not change the cost.
  const n = 4000;
  const pts = new Float64Array(n * dim);
  let s = 12345;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < n * dim; i++) pts[i] = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd()) + (i % dim);
  const steps = 60;
  await flow.train(pts, { steps: 5, batchSize: batch, validationFraction: 0 }); // warm-up
  const trainRates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const res = await flow.train(pts, { steps, batchSize: batch, validationFraction: 0 });
    trainRates.push(res.stepsRun / res.seconds);
  }
  const stepsPerS = median(trainRates);
  const trainGflops = (stepsPerS * trainStepFlops(w, batch)) / 1e9;

  const nSample = dim <= 2 ? 8000 : dim <= 10 ? 2000 : 500;
  const odeSteps = 10;
  await flow.sample(200);
  const sampleRates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await flow.sample(nSample, { steps: odeSteps, trace: 'exact' });
    sampleRates.push(nSample / ((performance.now() - t0) / 1000));
  }
  const samplesPerS = median(sampleRates);
  const sampleGflops = (samplesPerS * odeSteps * 4 * fieldFlops(w, dim)) / 1e9;
  rows.push([
    String(dim),
    stepsPerS.toFixed(0),
    trainGflops.toFixed(0),
    `${((100 * trainGflops) / peakAll).toFixed(0)}%`,
    samplesPerS.toFixed(0),
    sampleGflops.toFixed(0),
    `${((100 * sampleGflops) / peakAll).toFixed(0)}%`,
  ]);
}

const header = ['dim', 'train steps/s', 'train GFLOP/s', 'of peak', 'samples/s (exact log-det, RK4×10)', 'sample GFLOP/s', 'of peak'];
console.log(`| ${header.join(' | ')} |`);
console.log(`| ${header.map(() => '---').join(' | ')} |`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\nbatch ${batch}; training step = forward + backward + AdamW; a sample = 10 RK4 steps × 4 field evaluations with d tangent columns.`);

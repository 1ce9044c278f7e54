/**
 * Where a run's likelihood is evaluated: on the main thread (a function, or
 * a module loaded here), or split across a pool of worker threads that
 * each load the module (`workers` ≥ 2). A batch is cut into contiguous
 * slices, one per worker, and put back in order, so the values — and the
 * run — are the same whatever the worker count.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Tinypool from 'tinypool';
import { acrossRanks } from '../mpi/across-ranks.js';
import type { MpiWorld } from '../mpi/world.js';
import { callLikelihood, LikelihoodError, type BatchLogLikelihood, type LikelihoodSource, type PointLogLikelihood } from './likelihood.js';
import { isLikelihoodModule, loadLikelihoodModule, type LikelihoodModule } from './likelihood-module.js';
import type { SliceResult, WorkerSetup } from './likelihood-worker.js';

export type { LikelihoodSource } from './likelihood.js';

/**
 * Opens the run's likelihood; `workers` ≥ 2 needs a module (the caller has
 * said so of a function). With an MPI world (rank 0), batches are shared
 * with the other ranks, each evaluating its slice on its own threads.
 */
export async function openLikelihood(
  likelihood: BatchLogLikelihood | PointLogLikelihood | LikelihoodModule,
  vectorized: boolean,
  dim: number,
  workers: number,
  mpi?: MpiWorld,
): Promise<LikelihoodSource> {
  const local = await openLocal(likelihood, vectorized, dim, workers);
  return mpi && mpi.size > 1 ? acrossRanks(mpi, local, dim) : local;
}

async function openLocal(
  likelihood: BatchLogLikelihood | PointLogLikelihood | LikelihoodModule,
  vectorized: boolean,
  dim: number,
  workers: number,
): Promise<LikelihoodSource> {
  if (!isLikelihoodModule(likelihood)) return mainThread(likelihood, vectorized, dim);
  if (workers < 2) {
    const loaded = await loadLikelihoodModule(likelihood);
    return mainThread(loaded.logLikelihood, loaded.vectorized, dim);
  }
  return workerPool(likelihood, dim, workers);
}

function mainThread(fn: BatchLogLikelihood | PointLogLikelihood, vectorized: boolean, dim: number): LikelihoodSource {
  return { workers: 1, evaluate: (theta, n) => callLikelihood(fn, vectorized, theta, n, dim), close: async () => {} };
}

/**
 * The worker's file: the compiled .js next to this one, or — running from
 * the TypeScript sources (tests, tsx) — a small shim that registers tsx in
 * the worker first (a loader given to the main thread does not reach it).
 */
function workerFile(): { filename: string; cleanup: () => void } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { filename: fileURLToPath(new URL('./likelihood-worker.js', here)), cleanup: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-worker-'));
  const filename = join(dir, 'worker.mjs');
  const api = import.meta.resolve('tsx/esm/api');
  const worker = new URL('./likelihood-worker.ts', here).href;
  writeFileSync(filename, `const { register } = await import(${JSON.stringify(api)});\nregister();\nexport default (await import(${JSON.stringify(worker)})).default;\n`);
  return { filename, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function workerPool(spec: LikelihoodModule, dim: number, workers: number): LikelihoodSource {
  const { filename, cleanup } = workerFile();
  const workerData: WorkerSetup = { spec, dim };
  const pool = new Tinypool({ filename, minThreads: workers, maxThreads: workers, workerData, idleTimeout: Infinity });
  return {
    workers,
    async evaluate(theta, n) {
      // Contiguous slices, as equal as they come; values back in row order.
      const k = Math.min(workers, n);
      const starts = Array.from({ length: k + 1 }, (_, i) => Math.round((i * n) / k));
      const slices = await Promise.all(
        starts.slice(0, k).map((r0, i) => pool.run({ theta: theta.slice(r0 * dim, starts[i + 1]! * dim), n: starts[i + 1]! - r0 }) as Promise<SliceResult>),
      );
      const out = new Float64Array(n);
      slices.forEach((s, i) => {
        if ('error' in s) {
          if (s.error.code === 'LIKELIHOOD_MODULE') throw new Error(s.error.message);
          throw new LikelihoodError(s.error.code, `${s.error.message} (on worker thread ${i + 1} of ${k})`);
        }
        out.set(s.logL, starts[i]!);
      });
      return out;
    },
    async close() {
      await pool.destroy();
      cleanup();
    },
  };
}

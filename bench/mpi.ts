/**
 * npm run bench:mpi -- [--ranks 1,3] [--cost-ms 5] [--dim 4] [--nlive 500] [--threads 2]
 *
 * The same CLI run under `mpirun -np N` for each N: a likelihood module
 * with a busy loop of cost-ms per point (Rosenbrock), rank 0 sampling and
 * every rank evaluating its slice of each batch. Prints nLike and log Z
 * (equal for every N), the likelihood time in all and per iteration, the
 * whole run and its train / sample split; then the projection for N ranks
 * from the batch sizes. Needs Open MPI's mpirun and the MPI addon.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rosenbrock } from '../lib/problems.js';
import { batchTable } from './batches.js';

const { values } = parseArgs({
  options: {
    ranks: { type: 'string', default: '1,3' },
    'cost-ms': { type: 'string', default: '5' },
    dim: { type: 'string', default: '4' },
    nlive: { type: 'string', default: '500' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
  },
});
const cli = fileURLToPath(new URL('../lib/cli.ts', import.meta.url));
const module = fileURLToPath(new URL('./models/slow-rosenbrock.ts', import.meta.url));
const env = { ...process.env, NESTFLOW_COST_MS: values['cost-ms'], NESTFLOW_DIM: values.dim };
const version = spawnSync('mpirun', ['--version'], { encoding: 'utf8' });
if (version.status !== 0) throw new Error('bench:mpi needs mpirun (e.g. apt-get install openmpi-bin libopenmpi-dev, then npm run build:native)');
console.log(`Rosenbrock ${values.dim}-D, ${values['cost-ms']} ms per point, nLive ${values.nlive}, flow threads ${values.threads} (rank 0), ${version.stdout.split('\n')[0]}\n`);
console.log('| ranks | nLike | logZ | likelihood s | per iteration s | whole run s (train / sample) | likelihood speed-up |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
let base = 0;
for (const ranks of values.ranks.split(',').map(Number)) {
  const out = mkdtempSync(join(tmpdir(), 'nestflow-bench-mpi-'));
  const args = ['run', '-l', module, '-n', values.nlive, '-s', values.seed, '--threads', values.threads, '-o', out, '-q', '--json'];
  // Open MPI's flags: root in containers, more ranks than cores here.
  const r = spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '-x', 'NESTFLOW_COST_MS', '-x', 'NESTFLOW_DIM', '-np', String(ranks), process.execPath, '--import', 'tsx', cli, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mpirun -np ${ranks} failed (exit ${r.status}):\n${r.stderr}`);
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!) as { nLike: number; logZ: number; logZErr: number; nIterations: number; timingsMs: Record<string, number> };
  const t = s.timingsMs;
  if (base === 0) base = t.likelihood!;
  console.log(
    `| ${ranks} | ${s.nLike} | ${s.logZ.toFixed(3)} ± ${s.logZErr.toFixed(3)} | ${(t.likelihood! / 1000).toFixed(1)} | ${(t.likelihood! / 1000 / s.nIterations).toFixed(2)} | ${(t.total! / 1000).toFixed(1)} (${(t.train! / 1000).toFixed(1)} / ${(t.sample! / 1000).toFixed(1)}) | ${(base / t.likelihood!).toFixed(2)} |`,
  );
}
console.log(await batchTable(rosenbrock(Number(values.dim)), { nLive: Number(values.nlive), seed: Number(values.seed), threads: Number(values.threads) }, 'ranks'));

/**
 * npm run bench -- --problem rosenbrock|gaussian|shells|eggbox|all [--dims 2,4] [--nlive 500[,2000]]
 *                  [--seeds 1,2,3] [--backend cpu] [--threads N] [--max-seconds s]
 *                  [--out bench/results] [--name NAME] [--report-only] [--verbose]
 * npm run bench:rosenbrock [-- same options]
 *
 * Runs nestflow on docs/problems.md's problems, adds one row per run to
 * `<out>/<date>-<name>.csv` (a rerun of the same problem, nLive, seed and
 * backend replaces its row) and rebuilds from all its rows the markdown table
 * `<date>-<name>.md` and, for Rosenbrock and the Gaussian, the two figures
 * (calls against d, log Z − ref against d) as SVG and PNG, with the peers
 * beside nestflow: rows that `npm run bench:peers` measured, else docs/peers.md's
 * recorded figures, marked recorded.
 *
 * bench:rosenbrock's default plan is the talk's: d = 2…10 at nLive = 500
 * and d = 2, 4, 6 at nLive = 2000; --dims / --nlive narrow it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendRows, BENCH_DIR, fromCsv, markdownTable, problemByName, recordedPeerRows, rowMatches, runNestflow, writeReport, type BenchRow } from './harness.js';

const { values } = parseArgs({
  options: {
    problem: { type: 'string', default: 'all' },
    dims: { type: 'string' },
    nlive: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    backend: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    'max-seconds': { type: 'string' },
    out: { type: 'string', default: join(BENCH_DIR, 'results') },
    name: { type: 'string' },
    date: { type: 'string', default: new Date().toISOString().slice(0, 10) },
    'report-only': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?|^ \* ?/gm, ''));
  process.exit(0);
}

const list = (s: string | undefined): number[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => {
  const n = Number(x);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`expected a comma-separated list of positive integers, got '${s}'`);
  return n;
}));
const dims = list(values.dims);
const nLives = list(values.nlive);
const seeds = list(values.seeds)!;
if (!['cpu'].includes(values.backend)) {
  console.error(`--backend ${values.backend}: this build has the CPU backend only (the CUDA backend is issue 7)`);
  process.exit(2);
}

// (problem, nLive) pairs to run.
const plan: Array<{ problem: string; nLive: number }> = [];
const want = (name: string): boolean => values.problem === 'all' || values.problem === name;
const known = ['all', 'rosenbrock', 'gaussian', 'shells', 'eggbox'];
if (!known.includes(values.problem)) {
  console.error(`--problem must be one of ${known.join(', ')}, got '${values.problem}'`);
  process.exit(2);
}
if (want('rosenbrock')) {
  for (const nLive of nLives ?? [500, 2000]) {
    for (const d of dims ?? (nLive > 500 && !nLives ? [2, 4, 6] : [2, 4, 6, 8, 10])) plan.push({ problem: `rosenbrock-${d}d`, nLive });
  }
}
if (want('gaussian')) for (const nLive of nLives ?? [500]) for (const d of dims ?? [2, 8, 16]) plan.push({ problem: `gaussian-${d}d`, nLive });
if (want('shells')) for (const nLive of nLives ?? [500]) plan.push({ problem: 'shells-2d', nLive });
if (want('eggbox')) for (const nLive of nLives ?? [500]) plan.push({ problem: 'eggbox-2d', nLive });

const name = values.name ?? (values.problem === 'all' ? 'all' : values.problem);
const stem = join(values.out, `${values.date}-${name}`);
const csvPath = `${stem}.csv`;

const fresh: BenchRow[] = [];
if (!values['report-only']) {
  for (const { problem, nLive } of plan) {
    for (const seed of seeds) {
      const row = await runNestflow(problemByName(problem), {
        nLive,
        seed,
        backend: values.backend,
        ...(values.threads ? { threads: Number(values.threads) } : {}),
        ...(values['max-seconds'] ? { maxSeconds: Number(values['max-seconds']) } : {}),
        verbose: values.verbose,
      });
      fresh.push(row);
      appendRows(csvPath, [row]); // each run is kept at once: a long plan can be cut short
      console.error(
        `${row.problem} nLive ${nLive} seed ${seed}: nLike ${row.nLike}, logZ ${row.logZ.toFixed(3)} ± ${row.logZErr.toFixed(3)} (ref ${row.ref.toFixed(3)}, ${((row.logZ - row.ref) / row.logZErr).toFixed(2)}σ, ${rowMatches(row) ? 'matches' : 'DOES NOT MATCH'}), ${row.wallSeconds.toFixed(0)} s, stop ${row.stop}`,
      );
    }
  }
}

// Peers: rows measured by bench:peers for these problems, else the recorded figures.
const measured = existsSync(csvPath) ? fromCsv(readFileSync(csvPath, 'utf8')) : fresh;
const peerCsv = join(values.out, 'peers.csv');
const peerRuns = existsSync(peerCsv) ? fromCsv(readFileSync(peerCsv, 'utf8')) : [];
const keys = new Set(measured.filter((r) => r.tool === 'nestflow').map((r) => `${r.problem}|${r.nLive}`));
const measuredPeer = new Set(peerRuns.map((r) => `${r.tool}|${r.problem}|${r.nLive}`));
const peers = [
  ...peerRuns.filter((r) => keys.has(`${r.problem}|${r.nLive}`)),
  ...recordedPeerRows().filter((r) => keys.has(`${r.problem}|${r.nLive}`) && !measuredPeer.has(`${r.tool}|${r.problem}|${r.nLive}`)),
];
const all = [...measured.filter((r) => r.tool === 'nestflow'), ...peers];
if (all.length === 0) {
  console.error(`nothing to report: ${csvPath} has no nestflow runs`);
  process.exit(1);
}
console.log(markdownTable(all));
const written = await writeReport(all, stem);
console.error(`wrote ${csvPath}\n${written.map((p) => `wrote ${p}`).join('\n')}`);

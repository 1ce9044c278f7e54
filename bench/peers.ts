/**
 * PYTHON=/path/to/python npm run bench:peers -- [--problem rosenbrock|gaussian|shells|eggbox|all]
 *     [--dims 2,4] [--nlive 500] [--seed 42] [--tools ultranest,ultranest-slice,polychord,nessai]
 *     [--max-seconds 600] [--out bench/results]
 *
 * Runs the peers (UltraNest, PolyChord via pypolychord, nessai) on the same
 * problems through bench/peers.py, with docs/peers.md's settings and a counting
 * wrapper around the likelihood, and adds their rows to `<out>/peers.csv`;
 * `npm run bench` then puts them beside nestflow. A tool that the given
 * Python cannot import (or no PYTHON at all) is said so, and its figures
 * come from docs/peers.md, marked recorded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { appendRows, BENCH_DIR, machineName, markdownTable, problemByName, recordedPeerRows, worstMarginals, type BenchRow } from './harness.js';

/** One core per run, as docs/peers.md's figures were taken (numpy/torch would otherwise spread over every core). */
const ONE_THREAD = { OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' };

interface PeerOutput {
  unfinished?: boolean;
  nLike: number;
  dead: number;
  logZ: number;
  logZErr: number;
  wallSeconds: number;
  version?: string;
  /** Weighted posterior mean and sd per coordinate. */
  posterior?: { mean: number[]; sd: number[] };
}

/**
 * Runs one peer with a time cap. At the cap the peer gets SIGTERM and prints the
 * calls it has spent (spawnSync would close its pipes first and lose that line).
 */
function runCapped(cmd: string, args: string[], seconds: number): Promise<{ status: number | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...ONE_THREAD }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-65536)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, seconds * 1000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, timedOut });
    });
  });
}

const TOOLS: Record<string, string> = { ultranest: 'UltraNest', 'ultranest-slice': 'UltraNest slice', polychord: 'PolyChord', nessai: 'nessai' };

const { values } = parseArgs({
  options: {
    problem: { type: 'string', default: 'rosenbrock' },
    dims: { type: 'string' },
    nlive: { type: 'string', default: '500' },
    seed: { type: 'string', default: '42' },
    tools: { type: 'string', default: Object.keys(TOOLS).join(',') },
    'max-seconds': { type: 'string', default: '600' },
    out: { type: 'string', default: join(BENCH_DIR, 'results') },
  },
});
const tools = values.tools.split(',');
for (const t of tools) {
  if (!(t in TOOLS)) {
    console.error(`--tools: unknown tool '${t}' (${Object.keys(TOOLS).join(', ')})`);
    process.exit(2);
  }
}
const nLive = Number(values.nlive);
const seed = Number(values.seed);
const dims = values.dims?.split(',').map(Number);
const problems: string[] = [];
const want = (n: string): boolean => values.problem === 'all' || values.problem === n;
if (want('rosenbrock')) for (const d of dims ?? [2, 4, 6, 8, 10]) problems.push(`rosenbrock-${d}d`);
if (want('gaussian')) for (const d of dims ?? [2, 8, 16]) problems.push(`gaussian-${d}d`);
if (want('shells')) problems.push('shells-2d');
if (want('eggbox')) problems.push('eggbox-2d');
if (problems.length === 0) {
  console.error(`--problem must be rosenbrock, gaussian, shells, eggbox or all, got '${values.problem}'`);
  process.exit(2);
}

const python = process.env.PYTHON;
const script = join(BENCH_DIR, 'peers.py');
const available = new Map<string, string | true>();
for (const t of tools) {
  if (!python) {
    available.set(t, 'no PYTHON given');
    continue;
  }
  const r = spawnSync(python, [script, '--tool', t, '--check'], { encoding: 'utf8' });
  if (r.error) available.set(t, `${python}: ${r.error.message}`);
  else if (r.status === 0) available.set(t, true);
  else {
    let why = r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`;
    try {
      why = (JSON.parse(r.stdout) as { why: string }).why;
    } catch {
      // not the script's JSON: keep stderr's last line
    }
    available.set(t, why);
  }
}
const missing = tools.filter((t) => available.get(t) !== true);
if (missing.length > 0) {
  console.error(
    `peers not run: ${missing.map((t) => `${TOOLS[t]} (${available.get(t)})`).join('; ')}.\n` +
      `Using the figures recorded in docs/peers.md for them, marked "recorded". Give a Python that imports ultranest, pypolychord and nessai as PYTHON=/path/to/python to run them here.`,
  );
}

const rows: BenchRow[] = [];
/** Measured runs' posteriors against the exact marginals, where the problem has them. */
const posteriorLines: string[] = [];
for (const problem of problems) {
  const p = problemByName(problem);
  for (const t of tools) {
    if (available.get(t) !== true) {
      rows.push(...recordedPeerRows().filter((r) => r.tool === TOOLS[t] && r.problem === problem && r.nLive === nLive));
      continue;
    }
    console.error(`${TOOLS[t]} on ${problem} (nLive ${nLive}, seed ${seed}) …`);
    const r = await runCapped(python!, [script, '--tool', t, '--problem', problem, '--nlive', String(nLive), '--seed', String(seed)], Number(values['max-seconds']));
    const last = r.stdout.trim().split('\n').pop() ?? '';
    let out: PeerOutput | undefined;
    try {
      out = JSON.parse(last) as PeerOutput;
    } catch {
      out = undefined;
    }
    const timedOut = r.timedOut || out?.unfinished === true;
    if (!timedOut && (!out || r.status !== 0)) {
      console.error(`${TOOLS[t]} on ${problem}: failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop()}`);
      continue;
    }
    const done = timedOut ? undefined : out!;
    rows.push({
      tool: TOOLS[t]!,
      source: 'measured',
      problem,
      dim: p.dim,
      nLive,
      seed,
      backend: 'cpu',
      nLike: out?.nLike ?? NaN,
      nLikeMax: NaN,
      dead: done?.dead ?? NaN,
      logZ: done?.logZ ?? NaN,
      logZErr: done?.logZErr ?? NaN,
      ref: p.logZ,
      wallSeconds: done?.wallSeconds ?? Number(values['max-seconds']),
      likelihoodSeconds: NaN,
      trainSeconds: NaN,
      sampleSeconds: NaN,
      efficiency: NaN,
      stop: done ? 'converged' : 'unfinished',
      date: new Date().toISOString().slice(0, 10),
      machine: machineName(),
      note: done?.version ? `${TOOLS[t]} ${done.version}` : '',
    });
    if (done?.posterior && p.marginals) {
      const { mean, sd } = done.posterior;
      posteriorLines.push(`| ${TOOLS[t]} | ${problem} | ${worstMarginals(mean.map((m, k) => ({ mean: m, sd: sd[k]! })), p.marginals())} |`);
    }
    appendRows(join(values.out, 'peers.csv'), [rows.at(-1)!]); // kept at once: a long plan can be cut short
    console.error(
      `${TOOLS[t]} on ${problem}: ${done ? `nLike ${done.nLike}, logZ ${done.logZ.toFixed(3)} ± ${done.logZErr.toFixed(3)}, ${done.wallSeconds.toFixed(0)} s` : `unfinished at ${values['max-seconds']} s (> ${out?.nLike ?? '?'} calls)`}`,
    );
  }
}
console.log(markdownTable(rows));
if (posteriorLines.length > 0) {
  console.log('\n| tool | problem | posterior: worst mean shift (sd) | worst sd ratio |\n| --- | --- | --- | --- |');
  for (const line of posteriorLines) console.log(line);
}

#!/usr/bin/env node
/**
 * nestflow's command line: `nestflow run` (built-in problems or a likelihood
 * module, PolyChord-layout output, progress; lib/cli/run-command.ts),
 * `nestflow summary`, `nestflow plot` (corner plot, diagnostics, HTML report
 * of a nestflow or PolyChord run), `nestflow merge`, `nestflow info`.
 * Exit codes: 0 finished, 1 run error, 2 usage error, 130/143/138 stopped by a signal.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runCommand } from './cli/run-command.js';
import { ConfigError } from './config.js';
import { cudaStatus, Flow, FLOW_DEFAULTS } from './flow.js';
import { UsageError } from './model-module.js';
import { mpiLibrary } from './mpi/world.js';
import { BACKEND_NAMES, loadNative } from './native.js';
import { BUILTIN_PROBLEMS } from './problems.js';
import { fmt } from './progress.js';
import { CHECKPOINT_DEFAULTS, SAMPLER_DEFAULTS } from './sampler/index.js';
import { formatSummaryTable } from './summary.js';
import { VERSION } from './version.js';

const int = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got ${v}`);
  return n;
};
const num = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got ${v}`);
  return n;
};
/** A usage error unless `root` names a run (its `_dead-birth.txt`). */
function requireRun(root: string): void {
  if (!existsSync(`${root}_dead-birth.txt`)) throw new UsageError(`no run at ${root}: ${root}_dead-birth.txt does not exist`);
}

const intList = (v: string): number[] => v.split(',').map((s) => int('--hidden')(s.trim()));
const numList = (v: string): number[] => v.split(',').map((s) => num('--reference')(s.trim()));

function info(): void {
  const flow = new Flow({ dim: 2 });
  const { backend, threads } = flow.info;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const native = loadNative().testing;
  const mpi = mpiLibrary();
  const cuda = cudaStatus();
  process.stdout.write(
    `nestflow ${VERSION}\nbackend (auto): ${backend}\nthreads: ${threads}\n` +
      `device: ${cuda.available ? `${cuda.device} (--backend cuda; auto uses it)` : `none; ${cuda.reason ?? 'unknown'}`}\n` +
      `CPU: ${cpu} (${cpus().length} logical cores)\n` +
      `CPU features: gemm kernel ${native.gemmKernel}\nnode: ${process.version}\n` +
      `likelihood workers: 1 by default (the main thread); --workers n runs a module's likelihood on n worker threads (up to ${cpus().length} cores here)\n` +
      (mpi.library
        ? `MPI: ${mpi.library} (mpirun -np N nestflow run …: rank 0 samples, the others evaluate the likelihood)\n`
        : `MPI: none; ${mpi.reason}\n`),
  );
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('nestflow')
    .description('Nested sampling with neural-flow proposals')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program.command('info').description('version, backend, GPU device, threads, CPU features, MPI').action(() => info());

  program
    .command('run')
    .description('run nested sampling on a built-in problem or a likelihood module; write PolyChord-layout files')
    .option('-c, --config <file>', 'YAML or JSON configuration (flags override it)')
    .addOption(new Option('-p, --problem <name>', 'built-in problem').choices(Object.keys(BUILTIN_PROBLEMS)))
    .option('-d, --dim <n>', 'dimension of a built-in problem', int('--dim'))
    .option('-l, --likelihood <module>', 'module (.js, .mjs or .ts) exporting logLikelihood and prior (and paramNames, paramLabels, vectorized, setup, derived with derivedNames)')
    .option('--data <file>', 'a data file for the module: its setup(options) export gets the path as options.data')
    .option('-n, --nlive <n>', `live points (default ${SAMPLER_DEFAULTS.nLive})`, int('--nlive'))
    .option('-s, --seed <n>', `seed (default ${SAMPLER_DEFAULTS.seed})`, int('--seed'))
    .option('-t, --tolerance <x>', `stop when the live points hold less than this fraction of Z (default ${SAMPLER_DEFAULTS.tolerance})`, num('--tolerance'))
    .option('--max-calls <n>', 'stop after this many likelihood calls', int('--max-calls'))
    .option('--max-iterations <n>', 'stop after this many iterations', int('--max-iterations'))
    .option('--max-seconds <x>', 'stop after this many seconds', num('--max-seconds'))
    .option('--workers <n>', 'worker threads for the likelihood module, each loading it once (default 1: the main thread)', int('--workers'))
    .option('-o, --output-dir <dir>', 'output directory (default chains)')
    .option('-r, --file-root <name>', 'file root (default: the problem or module name)')
    .option('--folds <n>', 'folds of the live points, one flow each (default 2 below 5-D, else 4)', int('--folds'))
    .option('--hidden <widths>', 'hidden widths of the flow, e.g. 128,128,128', intList)
    .option('--threads <n>', 'flow threads (default: OMP_NUM_THREADS or all cores)', int('--threads'))
    .addOption(new Option('--backend <name>', "where the flows run: cuda (an NVIDIA GPU), cpu, or auto (cuda when a device answers, else cpu)").choices([...BACKEND_NAMES]))
    .option('--ode-steps <n>', `RK4 steps of the flow ODE (default ${FLOW_DEFAULTS.odeSteps})`, int('--ode-steps'))
    .option('--train-steps <n>', 'Adam steps per flow and iteration (default min(300, 2 × points), shared when there are more than two folds)', int('--train-steps'))
    .option('--resume', 'continue from <root>.checkpoint if it exists (a finished run returns its result at once)')
    .option('--checkpoint-every <n>', `write <root>.checkpoint every n iterations (default ${CHECKPOINT_DEFAULTS.everyIterations})`, int('--checkpoint-every'))
    .option('--checkpoint-seconds <x>', 'and at least every x seconds', num('--checkpoint-seconds'))
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print one JSON summary line at the end')
    .action(async (opts: Record<string, unknown>) => {
      exitCode = await runCommand(opts);
    });

  program
    .command('summary')
    .description('log Z and each parameter\'s posterior (mean, sd, median, 68% and 95% intervals) of a run written by nestflow or PolyChord')
    .argument('<root>', 'the run\'s file root, e.g. chains/rosenbrock (reads <root>_dead-birth.txt, .paramnames, .json)')
    .option('--json', 'print the summary as one JSON line')
    .action(async (root: string, opts: Record<string, unknown>) => {
      requireRun(root);
      const { loadRun } = await import('./plot/run.js');
      const run = loadRun(root);
      const facts = { root, logZ: run.logZ, logZErr: run.logZErr, logZSource: run.logZSource, nLike: Number.isFinite(run.nLike) ? run.nLike : null, nDead: run.logL.length, ess: run.ess, parameters: run.parameters };
      if (opts.json) {
        process.stdout.write(JSON.stringify(facts) + '\n');
        return;
      }
      const source = run.logZSource === 'run' ? 'as the run reported it' : 'recomputed from the files';
      process.stdout.write(
        `${root}: log Z = ${fmt(run.logZ)} ± ${fmt(run.logZErr)} (${source}); ${run.logL.length} dead points, ESS ${run.ess.toFixed(0)}` +
          `${Number.isFinite(run.nLike) ? `, ${run.nLike} likelihood calls` : ''}\n\n${formatSummaryTable(run.parameters)}\n`,
      );
    });

  program
    .command('plot')
    .description('corner plot, run diagnostics (SVG and PNG) and a self-contained HTML report of a run written by nestflow or PolyChord')
    .argument('<root>', 'the run\'s file root, e.g. chains/rosenbrock (reads <root>_dead-birth.txt, .paramnames, .stats, .json)')
    .option('-o, --out-dir <dir>', 'write the figures here (default: beside the run)')
    .option('--params <names>', 'parameters of the corner plot, comma-separated names or 0-based indices (default: all, at most 10)')
    .option('--reference <values>', 'true values to mark, comma-separated, one per shown parameter', numList)
    .addOption(new Option('--format <formats>', 'svg, png or svg,png').default('svg,png'))
    .option('--no-html', 'skip the HTML report')
    .action(async (root: string, opts: Record<string, unknown>) => {
      requireRun(root);
      const formats = String(opts.format).split(',');
      for (const f of formats) if (f !== 'svg' && f !== 'png') throw new UsageError(`--format: expected svg, png or svg,png, got ${String(opts.format)}`);
      const params = opts.params === undefined ? undefined : String(opts.params).split(',').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      const { plotRun } = await import('./plot/report.js');
      let written: string[];
      try {
        written = await plotRun(root, {
          formats: formats as Array<'svg' | 'png'>,
          html: opts.html !== false,
          ...(opts.outDir !== undefined ? { outDir: String(opts.outDir) } : {}),
          ...(params ? { params } : {}),
          ...(opts.reference !== undefined ? { reference: opts.reference as number[] } : {}),
        });
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      process.stdout.write(written.map((p) => `written: ${p}\n`).join(''));
    });

  program
    .command('merge')
    .description('merge independent runs of one problem (a job array) into one run: PolyChord files and <merged>.json')
    .argument('<roots...>', 'the runs\' file roots, e.g. chains/model-s1 chains/model-s2')
    .requiredOption('-r, --root <merged>', 'file root of the merged run')
    .option('--json', 'print the merged run\'s summary as one JSON line')
    .action(async (roots: string[], opts: Record<string, unknown>) => {
      const { mergeRuns, writeMergedRun } = await import('./merge.js');
      const { RunFileError } = await import('./output.js');
      let merged;
      try {
        merged = mergeRuns(roots);
      } catch (err) {
        if (err instanceof RunFileError || err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      const root = String(opts.root);
      writeMergedRun(merged, root);
      const e = merged.evidence;
      if (opts.json) process.stdout.write(JSON.stringify(JSON.parse(readFileSync(`${root}.json`, 'utf8'))) + '\n');
      else
        process.stdout.write(
          `merged ${roots.length} runs: logZ = ${fmt(e.logZ)} ± ${fmt(e.logZErr)}` +
            (merged.referenceLogZ !== undefined ? ` (reference ${fmt(merged.referenceLogZ)}, Δ = ${fmt((e.logZ - merged.referenceLogZ) / e.logZErr, 2)}σ)` : '') +
            `, ${merged.logL.length} dead points, ${e.nLive[0]} live at the start, nLike ${merged.nLike}, ESS ${e.ess.toFixed(0)}\n` +
            `written: ${root}{_dead-birth.txt, .txt, _equal_weights.txt, .paramnames, .stats, .json}\n`,
        );
    });

  let exitCode = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; parse errors 2 (commander has printed them).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`nestflow: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`nestflow: error: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return exitCode;
}

// Run when executed (bin or `node dist/lib/cli.js`), not when imported.
// The bin is a symlink: compare real paths.
const invokedAs = process.argv[1] && existsSync(process.argv[1]) ? realpathSync(process.argv[1]) : '';
if (invokedAs && import.meta.url === pathToFileURL(invokedAs).href) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`nestflow: error: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

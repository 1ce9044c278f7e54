#!/usr/bin/env node
/**
 * nestflow's command line: `nestflow run` (built-in problems or a likelihood
 * module, PolyChord-layout output, progress), `nestflow plot` (corner plot,
 * diagnostics, HTML report of a nestflow or PolyChord run), `nestflow info`.
 * Exit codes: 0 finished, 1 run error, 2 usage error.
 */
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, readConfigFile, validateConfig, type RunConfig } from './config.js';
import { Flow, FLOW_DEFAULTS } from './flow.js';
import { loadNative } from './native.js';
import { writeLivePoints, writePolyChord } from './output.js';
import { BUILTIN_PROBLEMS } from './problems.js';
import { fmt, runProgress } from './progress.js';
import { finishedSummary, writeRunSummary } from './run-summary.js';
import { CHECKPOINT_DEFAULTS, NestedSampler, SAMPLER_DEFAULTS, type NestedSamplingResult } from './sampler/index.js';
import { VERSION } from './version.js';
import { loadModel, UsageError, type Model } from './model-module.js';
import { formatSummaryTable } from './summary.js';
import { mpiLibrary, MpiUnavailableError, openMpiWorld, type MpiWorld } from './mpi/world.js';
import { serveRank } from './mpi/serve-rank.js';


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
const intList = (v: string): number[] => v.split(',').map((s) => int('--hidden')(s.trim()));
const numList = (v: string): number[] => v.split(',').map((s) => num('--reference')(s.trim()));

/** The signals that stop a run cleanly, and the exit code each gives (128 + its number). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGUSR1'] as const;
const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGUSR1: 138 };

interface RunFlags {
  quiet: boolean;
  json: boolean;
  resume: boolean;
  /** Rank 0 of an MPI job: batches are shared with the other ranks. */
  mpi?: MpiWorld;
}

async function run(config: RunConfig, flags: RunFlags): Promise<number> {
  const model = await loadModel(config);
  const root = join(config.outputDir, config.fileRoot ?? model.name);
  // Fail on an unwritable output directory before spending any likelihood call.
  try {
    writeRunSummary(root, { version: VERSION, problem: model.name, status: 'running', settings: config });
  } catch (err) {
    throw new UsageError(`cannot write to output directory ${config.outputDir}: ${(err as Error).message}`);
  }
  // From here every error, the final writes' included, leaves <root>.json at
  // "failed" (never "running"); the last checkpoint is kept for --resume.
  try {
    return await runAndWrite(config, flags, model, root);
  } catch (err) {
    try {
      writeRunSummary(root, { version: VERSION, problem: model.name, status: 'failed', error: err instanceof Error ? err.message : String(err), checkpoint: `${root}.checkpoint`, settings: config });
    } catch {
      // the original error matters more
    }
    throw err;
  }
}

/** The run after its output directory proved writable: sample, then write the files and print the result. */
async function runAndWrite(config: RunConfig, flags: RunFlags, model: Model, root: string): Promise<number> {
  const sampler = new NestedSampler({
    // With workers, each thread loads the module itself.
    logLikelihood: model.module !== undefined && (config.workers ?? 1) > 1 ? { module: model.module, options: model.setupOptions ?? {} } : model.logLikelihood,
    vectorized: model.vectorized,
    prior: model.prior,
    nLive: config.nLive,
    seed: config.seed,
    tolerance: config.tolerance,
    ...(config.folds !== undefined ? { folds: config.folds } : {}),
    ...(config.killFraction !== undefined ? { killFraction: config.killFraction } : {}),
    ...(config.envelopeQuantile !== undefined ? { envelopeQuantile: config.envelopeQuantile } : {}),
    ...(config.temperedFraction !== undefined ? { temperedFraction: config.temperedFraction } : {}),
    ...(config.maxFlowCallsPerPoint !== undefined ? { maxFlowCallsPerPoint: config.maxFlowCallsPerPoint } : {}),
    ...(config.localSteps !== undefined ? { localSteps: config.localSteps } : {}),
    ...(config.maxCalls !== undefined ? { maxCalls: config.maxCalls } : {}),
    ...(config.maxIterations !== undefined ? { maxIterations: config.maxIterations } : {}),
    ...(config.maxSeconds !== undefined ? { maxSeconds: config.maxSeconds } : {}),
    ...(config.workers !== undefined && model.module !== undefined ? { workers: config.workers } : {}),
    ...(model.paramNames ? { paramNames: model.paramNames } : {}),
    ...(model.derived ? { derived: model.derived, derivedNames: model.derivedNames! } : {}),
    ...(flags.mpi ? { mpi: flags.mpi } : {}),
    flow: {
      ...(config.flow.hidden ? { hidden: config.flow.hidden } : {}),
      ...(config.flow.threads ? { threads: config.flow.threads } : {}),
      ...(config.flow.odeSteps ? { odeSteps: config.flow.odeSteps } : {}),
      ...(config.flow.trainSteps ? { train: { steps: config.flow.trainSteps } } : {}),
    },
    onWarning: (m) => { if (!flags.quiet) process.stderr.write(`nestflow: warning: ${m}\n`); },
  });

  if ((config.workers ?? 1) > 1 && model.module === undefined && !flags.quiet)
    process.stderr.write(`nestflow: the built-in problem ${model.name} runs on the main thread (workers apply to a likelihood module, -l)\n`);
  // Checkpoints beside the output; --resume continues from one if it is there.
  const checkpointPath = `${root}.checkpoint`;
  const resume = flags.resume && existsSync(checkpointPath);
  if (flags.resume && !flags.quiet)
    process.stderr.write(resume ? `nestflow: resuming from ${checkpointPath}\n` : `nestflow: no checkpoint at ${checkpointPath}; starting a new run\n`);
  const progress = runProgress({ tolerance: config.tolerance, nLive: config.nLive, quiet: flags.quiet, workers: model.module !== undefined ? (config.workers ?? 1) : 1, ranks: flags.mpi?.size ?? 1 });
  // SIGINT / SIGTERM (Slurm's wall-time warning) / SIGUSR1 (which mpirun
  // passes on to every rank, where SIGTERM ends the job within a second):
  // stop at the end of the iteration, write the checkpoint, exit 128 + signal number.
  const abort = new AbortController();
  let caught: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (caught) process.exit(SIGNAL_EXIT[sig] ?? 143); // a second signal: leave now (the last checkpoint stands)
    caught = sig;
    progress.stop(); // the bar must not be redrawn under the message
    if (!flags.quiet) process.stderr.write(`\nnestflow: ${sig}: finishing this iteration and writing ${checkpointPath}\n`);
    abort.abort();
  };
  for (const sig of STOP_SIGNALS) process.on(sig, onSignal);

  const onIteration = progress.onIteration;
  let result: NestedSamplingResult;
  try {
    result = await sampler.run({
      onIteration,
      onLive: (live) => writeLivePoints(root, live, model.prior.dim),
      signal: abort.signal,
      checkpoint: { path: checkpointPath, everyIterations: config.checkpointEvery, ...(config.checkpointSeconds !== undefined ? { everySeconds: config.checkpointSeconds } : {}) },
      ...(resume ? { resume: checkpointPath } : {}),
    });
  } finally {
    progress.stop();
    for (const sig of STOP_SIGNALS) process.off(sig, onSignal);
  }
  if (result.stopReason === 'aborted') {
    writeRunSummary(root, { version: VERSION, problem: model.name, status: 'interrupted', ...(caught ? { signal: caught } : {}), nLike: result.nLike, nIterations: result.nIterations, checkpoint: checkpointPath, settings: config });
    if (!flags.quiet) process.stderr.write(`nestflow: checkpoint written to ${checkpointPath}; run the same command with --resume to continue\n`);
    return SIGNAL_EXIT[caught ?? 'SIGTERM'] ?? 143;
  }
  writePolyChord(result, root, { seed: config.seed, ...(model.labels ? { latex: model.labels } : {}) });
  // The run is over: every live point is now a dead one.
  rmSync(`${root}_phys_live-birth.txt`, { force: true });
  const s = finishedSummary(result, { problem: model.name, root, seed: config.seed, settings: config, ...(model.referenceLogZ !== undefined ? { referenceLogZ: model.referenceLogZ } : {}) });
  writeRunSummary(root, s);
  if (flags.json) process.stdout.write(JSON.stringify(s) + '\n');
  else if (!flags.quiet) {
    const ref = model.referenceLogZ;
    const refText = ref !== undefined && Number.isFinite(ref) ? ` (reference ${fmt(ref)}, Δ = ${fmt(result.logZ - ref)} = ${fmt((result.logZ - ref) / result.logZErr, 2)}σ)` : '';
    process.stdout.write(
      `logZ = ${fmt(result.logZ)} ± ${fmt(result.logZErr)}${refText}\n` +
        `nLike ${result.nLike}, ${result.dead.logL.length} dead points, ${result.nIterations} iterations, ESS ${result.ess.toFixed(0)}, ` +
        `H ${fmt(result.information, 2)} nats, insertion KS p ${fmt(result.insertionPValue, 2)}, ${(result.timings.total / 1000).toFixed(1)} s (${result.stopReason})\n` +
        `written: ${root}{_dead-birth.txt, .txt, _equal_weights.txt, .paramnames, .stats, .json, .checkpoint}\n\n` +
        `${formatSummaryTable(result.parameters)}\n`,
    );
  }
  return 0;
}

function info(): void {
  const flow = new Flow({ dim: 2 });
  const { backend, threads } = flow.info;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const native = loadNative().testing;
  const mpi = mpiLibrary();
  process.stdout.write(
    `nestflow ${VERSION}\nbackend: ${backend}\nthreads: ${threads}\nCPU: ${cpu} (${cpus().length} logical cores)\n` +
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

  program.command('info').description('version, backend, threads, CPU features').action(() => info());

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
    .option('--ode-steps <n>', `RK4 steps of the flow ODE (default ${FLOW_DEFAULTS.odeSteps})`, int('--ode-steps'))
    .option('--train-steps <n>', 'Adam steps per flow and iteration (default min(300, 2 × points), shared when there are more than two folds)', int('--train-steps'))
    .option('--resume', 'continue from <root>.checkpoint if it exists (a finished run returns its result at once)')
    .option('--checkpoint-every <n>', `write <root>.checkpoint every n iterations (default ${CHECKPOINT_DEFAULTS.everyIterations})`, int('--checkpoint-every'))
    .option('--checkpoint-seconds <x>', 'and at least every x seconds', num('--checkpoint-seconds'))
    .option('-q, --quiet', 'no progress output')
    .option('--json', 'print one JSON summary line at the end')
    .action(async (opts: Record<string, unknown>) => {
      const raw: Record<string, unknown> = opts.config ? readConfigFile(String(opts.config)) : {};
      // A relative module path in a config file means relative to that file (a flag's, to the working directory).
      for (const key of ['likelihood', 'data'])
        if (opts.config && typeof raw[key] === 'string' && !isAbsolute(raw[key])) raw[key] = join(dirname(String(opts.config)), raw[key]);
      const set = (key: string, value: unknown): void => {
        if (value !== undefined) raw[key] = value;
      };
      set('problem', opts.problem);
      set('dim', opts.dim);
      set('likelihood', opts.likelihood);
      set('data', opts.data);
      set('nLive', opts.nlive);
      set('seed', opts.seed);
      set('tolerance', opts.tolerance);
      set('folds', opts.folds);
      set('maxCalls', opts.maxCalls);
      set('maxIterations', opts.maxIterations);
      set('maxSeconds', opts.maxSeconds);
      set('workers', opts.workers);
      set('outputDir', opts.outputDir);
      set('fileRoot', opts.fileRoot);
      set('checkpointEvery', opts.checkpointEvery);
      set('checkpointSeconds', opts.checkpointSeconds);
      const flow = { ...((raw.flow as Record<string, unknown> | undefined) ?? {}) };
      if (opts.hidden !== undefined) flow.hidden = opts.hidden;
      if (opts.threads !== undefined) flow.threads = opts.threads;
      if (opts.odeSteps !== undefined) flow.odeSteps = opts.odeSteps;
      if (opts.trainSteps !== undefined) flow.trainSteps = opts.trainSteps;
      raw.flow = flow;
      const flags = { quiet: Boolean(opts.quiet), json: Boolean(opts.json), resume: Boolean(opts.resume) };
      // Under mpirun / srun: rank 0 runs the sampler, the other ranks serve
      // its likelihood batches; every rank finalizes MPI before it exits.
      let world: MpiWorld | undefined;
      try {
        world = openMpiWorld();
      } catch (err) {
        if (err instanceof MpiUnavailableError) throw new UsageError(err.message);
        throw err;
      }
      try {
        if (world && world.rank > 0) {
          exitCode = await serveRank(world, async () => {
            const config = validateConfig(raw);
            const model = await loadModel(config);
            const workers = config.workers ?? 1;
            return { logLikelihood: model.module !== undefined && workers > 1 ? { module: model.module, options: model.setupOptions ?? {} } : model.logLikelihood, vectorized: model.vectorized, dim: model.prior.dim, workers };
          });
          return;
        }
        exitCode = await run(validateConfig(raw), { ...flags, ...(world ? { mpi: world } : {}) });
      } finally {
        world?.finalize();
      }
    });

  program
    .command('summary')
    .description('log Z and each parameter\'s posterior (mean, sd, median, 68% and 95% intervals) of a run written by nestflow or PolyChord')
    .argument('<root>', 'the run\'s file root, e.g. chains/rosenbrock (reads <root>_dead-birth.txt, .paramnames, .json)')
    .option('--json', 'print the summary as one JSON line')
    .action(async (root: string, opts: Record<string, unknown>) => {
      if (!existsSync(`${root}_dead-birth.txt`)) throw new UsageError(`no run at ${root}: ${root}_dead-birth.txt does not exist`);
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
      if (!existsSync(`${root}_dead-birth.txt`)) throw new UsageError(`no run at ${root}: ${root}_dead-birth.txt does not exist`);
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

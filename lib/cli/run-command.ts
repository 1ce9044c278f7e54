/**
 * `nestflow run`: the configuration from the file and the flags, then — in
 * one process, or on rank 0 of an MPI job — the run and its files; on the
 * other ranks of an MPI job, serving rank 0's likelihood batches.
 */
import { existsSync, rmSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { readConfigFile, validateConfig, type RunConfig } from '../config.js';
import { cudaStatus, type BackendName } from '../flow.js';
import { likelihoodFor, loadModel, UsageError, type Model } from '../model-module.js';
import { serveRank } from '../mpi/serve-rank.js';
import { MpiUnavailableError, openMpiWorld, type MpiWorld } from '../mpi/world.js';
import { writeLivePoints, writePolyChord } from '../output.js';
import { fmt, runProgress } from '../progress.js';
import { finishedSummary, writeRunSummary } from '../run-summary.js';
import { NestedSampler, type NestedSamplingResult } from '../sampler/index.js';
import { formatSummaryTable } from '../summary.js';
import { VERSION } from '../version.js';

/** Runs `nestflow run` with commander's parsed options; returns the exit code. */
export async function runCommand(opts: Record<string, unknown>): Promise<number> {
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
  if (opts.backend !== undefined) flow.backend = opts.backend;
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
      return await serveRank(world, async () => {
        const config = validateConfig(raw);
        const model = await loadModel(config);
        const workers = config.workers ?? 1;
        return { logLikelihood: likelihoodFor(model, workers), vectorized: model.vectorized, dim: model.prior.dim, workers };
      });
    }
    return await run(validateConfig(raw), { ...flags, ...(world ? { mpi: world } : {}) });
  } finally {
    world?.finalize();
  }
}

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
  const cuda = cudaStatus();
  if (config.flow.backend === 'cuda' && !cuda.available) throw new UsageError(`backend cuda is not available: ${cuda.reason ?? 'no CUDA device'}`);
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
    logLikelihood: likelihoodFor(model, config.workers ?? 1),
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
      ...(config.flow.backend ? { backend: config.flow.backend } : {}),
    },
    onWarning: (m) => { if (!flags.quiet) process.stderr.write(`nestflow: warning: ${m}\n`); },
  });

  if (!flags.quiet) process.stderr.write(`nestflow: flows on ${backendLine(config.flow.backend ?? 'auto')}\n`);
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

/** Where the run's flows compute, and why there when 'auto' chose. */
function backendLine(backend: BackendName): string {
  if (backend === 'cpu') return 'the CPU (--backend cpu)';
  const cuda = cudaStatus();
  if (cuda.available) return `the GPU: ${cuda.device}`;
  return `the CPU (auto: ${cuda.reason ?? 'no CUDA device'})`;
}

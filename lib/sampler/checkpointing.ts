/**
 * When a run writes its checkpoint: the state at each iteration's start is
 * kept (the "boundary") and written every so many iterations or seconds,
 * before an error escapes, and when the run stops. Resuming reads it back,
 * refusing one written with other settings.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { CheckpointError, readCheckpoint, writeCheckpoint } from '../checkpoint.js';
import { Flow } from '../flow.js';
import { checkNumber, intFrom, POSITIVE } from '../validate.js';
import type { SamplerFlowOptions } from './options.js';
import { stateFromCheckpoint, stateToCheckpoint, type RunCheckpoint, type RunState } from './state.js';

/** Where and how often {@link NestedSampler.run} writes checkpoints. */
export interface CheckpointOptions {
  path: string;
  everyIterations?: number;
  everySeconds?: number;
}

/** How often checkpoints are written unless told otherwise. */
export const CHECKPOINT_DEFAULTS = { everyIterations: 1 } as const;

/** Checks the checkpoint options and that the place is writable, before any likelihood call. */
export function checkpointSettings(c: unknown): Required<CheckpointOptions> | undefined {
  if (c === undefined) return undefined;
  if (typeof c !== 'object' || c === null) throw new TypeError('checkpoint must be an object { path, everyIterations?, everySeconds? }');
  const { path, everyIterations, everySeconds } = c as CheckpointOptions;
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('checkpoint.path must be a non-empty string');
  const settings = {
    path,
    everyIterations: checkNumber(everyIterations ?? CHECKPOINT_DEFAULTS.everyIterations, 'checkpoint.everyIterations', intFrom(1)),
    everySeconds: everySeconds === undefined ? Infinity : checkNumber(everySeconds, 'checkpoint.everySeconds', POSITIVE),
  };
  try {
    mkdirSync(dirname(path), { recursive: true });
    accessSync(dirname(path), constants.W_OK);
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_UNWRITABLE', `cannot write checkpoints to ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return settings;
}

/** Reads a run's checkpoint; its settings must equal `settings` (named in the error when they do not). */
export function readRunCheckpoint(path: unknown, settings: Record<string, unknown>, flow: SamplerFlowOptions): { state: RunState; flows: Flow[] } {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('resume must be a checkpoint path (string)');
  const payload = readCheckpoint(path);
  const source = `checkpoint ${path}`;
  const { state, flows } = stateFromCheckpoint(payload, source);
  const have = (payload.settings ?? {}) as Record<string, unknown>;
  const differ = Object.keys(settings).filter((k) => JSON.stringify(settings[k]) !== JSON.stringify(have[k]));
  if (differ.length > 0)
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `${source} was written with other settings: ${differ.map((k) => `${k} ${JSON.stringify(have[k])} (now ${JSON.stringify(settings[k])})`).join(', ')}`,
    );
  if (flows.length !== settings.folds)
    throw new CheckpointError('CHECKPOINT_INCONSISTENT', `${source} holds ${flows.length} flows for ${String(settings.folds)} folds`, { field: 'flows' });
  const opts = { threads: flow.threads, odeSteps: flow.odeSteps, trace: flow.trace, backend: flow.backend };
  const loaded = flows.map((bytes, j) => {
    try {
      return Flow.load(bytes, opts);
    } catch (err) {
      // A backend this machine lacks is not a damaged checkpoint.
      if ((err as { code?: string }).code === 'CUDA_UNAVAILABLE') throw err;
      // The flow reader names the field at fault; say which flow it was.
      const inner = err as { message?: string; field?: string };
      const field = `flows[${j}]${inner.field ? `.${inner.field}` : ''}`;
      throw new CheckpointError('CHECKPOINT_CORRUPT', `${source}: ${field}: ${inner.message ?? String(err)}`, { cause: err, field });
    }
  });
  return { state, flows: loaded };
}

/** Keeps the state at each iteration's start and writes it when due. */
export class CheckpointWriter {
  #boundary: RunCheckpoint | undefined;
  #lastWrite = performance.now();
  #first: number;

  constructor(
    readonly settings: Required<CheckpointOptions>,
    readonly fingerprint: Record<string, unknown>,
    firstIteration: number,
  ) {
    this.#first = firstIteration;
  }

  /** The state at the start of an iteration (or the end of the run): kept, and written if due or `now`. */
  atBoundary(state: RunState, flows: readonly Flow[], now = false): void {
    this.#boundary = stateToCheckpoint(state, this.fingerprint, flows.map((f) => f.save()));
    const it = state.iteration;
    if (now || ((it - this.#first) % this.settings.everyIterations === 0 && it > this.#first)) this.write();
    else if ((performance.now() - this.#lastWrite) / 1000 >= this.settings.everySeconds) this.write();
  }

  /** Writes the last boundary (atomically). */
  write(): void {
    if (!this.#boundary) return;
    writeCheckpoint(this.settings.path, this.#boundary);
    this.#lastWrite = performance.now();
  }
}

/**
 * A run's state between iterations — live and dead points, the evidence
 * accumulators, the adaptive rates, the counters and the random stream — and
 * the one pair of functions that take it to and from a checkpoint. The
 * schema below is the only place the state is enumerated: its type is
 * derived from it, the checkpoint writes the whole object and the reader
 * accepts nothing else, so a field cannot be added without being saved.
 */
import { z } from 'zod';
import { CheckpointError } from '../checkpoint.js';
import { log1mExp, logSumExp } from '../evidence.js';
import { Random } from '../random.js';
import { anyNumber, IterationRecordSchema, RunCountsSchema, RunTimingsSchema, StopReasonSchema } from './records.js';

type F64 = Float64Array<ArrayBuffer>;

/** Growable column store for dead points, in death order. */
export class DeadStore {
  theta: F64;
  logL: F64;
  logLBirth: F64;
  size = 0;
  constructor(readonly dim: number) {
    this.theta = new Float64Array(1024 * dim);
    this.logL = new Float64Array(1024);
    this.logLBirth = new Float64Array(1024);
  }
  /** Row `offset` of θ (row-major) dies with logL, born at `birth`. */
  push(theta: Float64Array, offset: number, logL: number, birth: number): void {
    if (this.size === this.logL.length) {
      const grow = (a: F64): F64 => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.theta = grow(this.theta);
      this.logL = grow(this.logL);
      this.logLBirth = grow(this.logLBirth);
    }
    this.theta.set(theta.subarray(offset * this.dim, (offset + 1) * this.dim), this.size * this.dim);
    this.logL[this.size] = logL;
    this.logLBirth[this.size] = birth;
    this.size++;
  }
  /** Copies of the filled part. */
  toData(): { theta: F64; logL: F64; birth: F64 } {
    return { theta: this.theta.slice(0, this.size * this.dim), logL: this.logL.slice(0, this.size), birth: this.logLBirth.slice(0, this.size) };
  }
  static fromData(d: { theta: Float64Array; logL: Float64Array; birth: Float64Array }, dim: number): DeadStore {
    const store = new DeadStore(dim);
    for (let r = 0; r < d.logL.length; r++) store.push(d.theta, r, d.logL[r]!, d.birth[r]!);
    return store;
  }
}

const f64 = z.instanceof(Float64Array);
const uint32 = z.number().int().min(0).max(0xffffffff);

const RunStateSchema = z
  .object({
    /** The iteration this state starts. */
    iteration: z.number().int().nonnegative(),
    /** The run is over (converged or a plateau): resuming returns its result. */
    finished: z.boolean(),
    stopReason: StopReasonSchema,
    nLike: z.number().int().nonnegative(),
    /** Running evidence with the exact live counts; meanLogL is the posterior mean of logL so far (H = meanLogL − logZ). */
    evidence: z.object({ logX: anyNumber, logZ: anyNumber, meanLogL: anyNumber }).strict(),
    /** Live points: unit-cube and physical rows, logL, birth contour, and the fold each belongs to for life. */
    live: z.object({ u: f64, theta: f64, logL: f64, birth: f64, fold: z.instanceof(Uint8Array) }).strict(),
    /** Dead points in death order (the store is rebuilt below, once dim is known from the live points). */
    dead: z.object({ theta: f64, logL: f64, birth: f64 }).strict(),
    rng: z
      .array(uint32)
      .length(4)
      .transform((words) => {
        const r = new Random();
        r.state = words;
        return r;
      }),
    /** Rates from the last iteration, to size the next one's proposal batches and random walks. */
    rates: z.object({ weightPassRate: anyNumber, flowContourRate: anyNumber, localScale: anyNumber }).strict(),
    iterations: z.array(IterationRecordSchema),
    /** Insertion-index uniforms of every new point so far (the run's KS test). */
    insertionU: z.array(anyNumber),
    warnings: z.array(z.string()),
    staysWarned: z.boolean(),
    counts: RunCountsSchema,
    timings: RunTimingsSchema,
  })
  .strict()
  .superRefine((s, ctx) => {
    const n = s.live.logL.length;
    const dim = n > 0 ? s.live.u.length / n : 0;
    const { u, theta, birth, fold } = s.live;
    if (!(Number.isInteger(dim) && dim >= 1) || theta.length !== n * dim || birth.length !== n || fold.length !== n)
      ctx.addIssue({ code: 'custom', path: ['live'], message: `live point columns do not match ${n} points (u has ${u.length} values)` });
    else if (s.dead.theta.length !== s.dead.logL.length * dim || s.dead.birth.length !== s.dead.logL.length)
      ctx.addIssue({ code: 'custom', path: ['dead'], message: 'dead point columns differ in length' });
  })
  .transform((s) => ({ ...s, dead: DeadStore.fromData(s.dead, s.live.u.length / s.live.logL.length) }));

/** A run's state between two iterations. */
export type RunState = z.output<typeof RunStateSchema>;
type PlainRunState = z.input<typeof RunStateSchema>;

/** A fresh run: no points yet, the stream seeded. */
export function newRunState(dim: number, nLive: number, seed: number): RunState {
  return {
    iteration: 0,
    finished: false,
    stopReason: 'converged',
    nLike: 0,
    evidence: { logX: 0, logZ: -Infinity, meanLogL: 0 },
    live: {
      u: new Float64Array(nLive * dim),
      theta: new Float64Array(nLive * dim),
      logL: new Float64Array(nLive),
      birth: new Float64Array(nLive).fill(-Infinity),
      fold: new Uint8Array(nLive),
    },
    dead: new DeadStore(dim),
    rng: new Random(seed),
    rates: { weightPassRate: 0.1, flowContourRate: 0.7, localScale: 1 / Math.sqrt(dim) },
    iterations: [],
    insertionU: [],
    warnings: [],
    staysWarned: false,
    counts: { proposals: 0, rejectedOutsidePrior: 0, rejectedByWeight: 0, rejectedByContour: 0, stayed: 0, unfound: 0, localTries: 0, localMoved: 0 },
    timings: { total: 0, train: 0, sample: 0, likelihood: 0 },
  };
}

/** Accounts for one death at logL with n live points (the dead store is filled by the caller). */
export function recordDeath(state: RunState, logL: number, n: number): void {
  const e = state.evidence;
  const next = e.logX - 1 / n;
  const logWeight = logL + e.logX + log1mExp(next - e.logX);
  const newLogZ = logSumExp([e.logZ, logWeight]);
  if (newLogZ > -Infinity) {
    const a = Math.exp(e.logZ - newLogZ);
    const b = Math.exp(logWeight - newLogZ);
    e.meanLogL = (a > 0 ? a * e.meanLogL : 0) + (b > 0 ? b * logL : 0);
  }
  e.logZ = newLogZ;
  e.logX = next;
}

/** What a checkpoint of a nested-sampling run holds. */
export interface RunCheckpoint {
  kind: 'nestflow-sampler';
  /** The settings a resuming run must share. */
  settings: Record<string, unknown>;
  state: PlainRunState;
  /** The flows' saved bytes, one per fold. */
  flows: Uint8Array[];
}

/** A deep, plain copy of the state for a checkpoint (later changes to the state do not reach it). */
export function stateToCheckpoint(state: RunState, settings: Record<string, unknown>, flows: Uint8Array[]): RunCheckpoint {
  const { dead, rng, ...rest } = state;
  const plain: PlainRunState = { ...structuredClone(rest), dead: dead.toData(), rng: rng.state };
  return { kind: 'nestflow-sampler', settings, state: plain, flows };
}

/** The state and flows of a checkpoint's payload; throws a CheckpointError naming what is wrong. */
export function stateFromCheckpoint(payload: Record<string, unknown>, source: string): { state: RunState; flows: Uint8Array[] } {
  if (payload.kind !== 'nestflow-sampler') throw new CheckpointError('CHECKPOINT_FOREIGN', `${source} does not hold a nested-sampling run`);
  const flows = payload.flows;
  if (!Array.isArray(flows) || flows.length < 1 || !flows.every((f) => f instanceof Uint8Array))
    throw new CheckpointError('CHECKPOINT_CORRUPT', `${source}: flows must be a list of byte arrays`, { field: 'flows' });
  const parsed = RunStateSchema.safeParse(payload.state);
  if (!parsed.success) {
    const fields = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`);
    const field = ['state', ...parsed.error.issues[0]!.path.map(String)].join('.');
    throw new CheckpointError('CHECKPOINT_CORRUPT', `${source} holds a malformed run state: ${fields.join('; ')}`, { field });
  }
  return { state: parsed.data, flows: flows as Uint8Array[] };
}

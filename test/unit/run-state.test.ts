import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CheckpointError, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint } from '../../lib/checkpoint.js';
import { IterationRecordSchema, type IterationRecord } from '../../lib/sampler/records.js';
import { newRunState, stateFromCheckpoint, stateToCheckpoint, type RunState } from '../../lib/sampler/state.js';

const FLOWS = [Uint8Array.from([1, 2]), Uint8Array.from([3])];

/** Every leaf of a plain value moved off its value (numbers, flags, strings, typed arrays), recursively. */
function perturb(value: unknown, key = ''): unknown {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return key === 'rng' ? (value + 3) >>> 0 : value + 3;
    return Number.isFinite(value) ? value * 1.5 + 0.25 : 0.75;
  }
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return key === 'stopReason' ? (value === 'maxCalls' ? 'plateau' : 'maxCalls') : `${value}!`;
  if (value instanceof Float64Array) return value.map((x) => (Number.isFinite(x) ? x + 0.5 : 0.5));
  if (value instanceof Uint8Array) return value.map((x) => x ^ 1);
  if (Array.isArray(value)) return value.map((v) => perturb(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = perturb(v, k === 'dim' ? 'dim' : k);
    return out;
  }
  return value;
}

/** Paths of the leaves of `b` equal to the same leaf of `a` (a leaf absent from `a` differs). */
function unchangedLeaves(a: unknown, b: unknown, path = 'state'): string[] {
  if (b instanceof Float64Array || b instanceof Uint8Array) {
    const same = a instanceof b.constructor && (a as Float64Array).length === b.length && b.every((x, i) => Object.is(x, (a as Float64Array)[i]));
    return same ? [path] : [];
  }
  if (Array.isArray(b)) return b.flatMap((v, i) => unchangedLeaves(Array.isArray(a) ? a[i] : undefined, v, `${path}[${i}]`));
  if (b && typeof b === 'object') return Object.entries(b).flatMap(([k, v]) => unchangedLeaves(a && typeof a === 'object' ? (a as Record<string, unknown>)[k] : undefined, v, `${path}.${k}`));
  return Object.is(a, b) ? [path] : [];
}

/** A state with something in every list (one dead point, one iteration record, one insertion uniform, one warning). */
function filledState(): RunState {
  const state = newRunState(2, 4, 7);
  state.dead.push(Float64Array.from([0.1, 0.2]), 0, -3, -Infinity);
  const record: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries(IterationRecordSchema.shape)) record[k] = schema instanceof z.ZodBoolean ? false : 1;
  state.iterations.push(record as IterationRecord);
  state.insertionU.push(0.25);
  state.warnings.push('a warning');
  return state;
}

describe('run state: the checkpoint holds every field', () => {
  it('a state with every field off its default comes back from a checkpoint identical, field by field', () => {
    const fresh = stateToCheckpoint(filledState(), {}, FLOWS).state;
    const plain = perturb(fresh) as typeof fresh;
    // The perturbation reached every field: a field added to the state is covered here without naming it.
    expect(unchangedLeaves(fresh, plain)).toEqual([]);
    const state = stateFromCheckpoint({ kind: 'nestflow-sampler', settings: {}, state: plain, flows: FLOWS }, 'test').state;
    const bytes = encodeCheckpoint(stateToCheckpoint(state, { nLive: 4 }, FLOWS));
    const back = stateFromCheckpoint(decodeCheckpoint(bytes), 'test');
    expect(stateToCheckpoint(back.state, {}, back.flows).state).toEqual(plain);
    expect(back.flows).toEqual(FLOWS);
    expect(back.state.rng.state).toEqual(plain.rng);
    expect(back.state.dead.size).toBe(1);
  });

  it('the copy in a checkpoint does not change when the state goes on', () => {
    const state = filledState();
    const saved = stateToCheckpoint(state, {}, FLOWS);
    state.counts.proposals += 10;
    state.iterations[0]!.proposals = 99;
    state.live.logL[0] = 42;
    state.rng.uniform();
    expect(saved.state.counts.proposals).toBe(0);
    expect(saved.state.iterations[0]!.proposals).toBe(1);
    expect((saved.state.live.logL as Float64Array)[0]).toBe(0);
    expect(saved.state.rng).toEqual(newRunState(2, 4, 7).rng.state);
  });

  it('a state with an unknown or missing field, or mismatched columns, is refused with CHECKPOINT_CORRUPT naming it', () => {
    const plain = stateToCheckpoint(filledState(), {}, FLOWS).state as unknown as Record<string, unknown>;
    const refuse = (state: unknown): string => {
      try {
        stateFromCheckpoint({ kind: 'nestflow-sampler', state, flows: FLOWS }, 'test');
      } catch (err) {
        expect(err).toBeInstanceOf(CheckpointError);
        expect((err as CheckpointError).code).toBe('CHECKPOINT_CORRUPT');
        return (err as Error).message;
      }
      return 'accepted';
    };
    expect(refuse({ ...plain, extra: 1 })).toMatch(/extra/);
    const { nLike: _, ...missing } = plain;
    expect(refuse(missing)).toMatch(/nLike/);
    expect(refuse({ ...plain, rng: [1, 2, 3] })).toMatch(/rng/);
    expect(refuse({ ...plain, live: { ...(plain.live as object), logL: new Float64Array(3) } })).toMatch(/live point columns/);
    expect(refuse({ ...plain, iterations: [{ iteration: 'x' }] })).toMatch(/iterations/);
  });

  it(`a checkpoint of an older format (version 1) is refused with CHECKPOINT_VERSION (this nestflow writes ${CHECKPOINT_VERSION})`, () => {
    const old = Buffer.from(encodeCheckpoint({ kind: 'nestflow-sampler' }));
    old.writeUInt32LE(1, 16);
    expect(() => decodeCheckpoint(old)).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(old)).toThrow(/format version 1; this nestflow reads version 3/);
  });
});

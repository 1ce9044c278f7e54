import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from './atomic-file.js';

/**
 * Checkpoint files: everything a run needs to continue exactly where it
 * stopped. Layout: 16-byte magic, uint32 format version (little endian),
 * 32-byte SHA-256 of the payload, then the payload (UTF-8 JSON). Typed arrays
 * travel as base64 of their bytes and non-finite numbers as tagged strings,
 * so every double comes back bit for bit.
 */
export const CHECKPOINT_MAGIC = 'NESTFLOW-CKPT\n\0\0';
/** 3: one flow per fold (the fold count is a setting); 2: the run state as one object (lib/sampler/state.ts). Older files are refused. */
export const CHECKPOINT_VERSION = 3;
const HEADER = 16 + 4 + 32;

/** Why a checkpoint could not be read. */
export class CheckpointError extends Error {
  readonly code:
    | 'CHECKPOINT_FOREIGN'
    | 'CHECKPOINT_VERSION'
    | 'CHECKPOINT_TRUNCATED'
    | 'CHECKPOINT_CORRUPT'
    | 'CHECKPOINT_INCONSISTENT'
    | 'CHECKPOINT_MISMATCH'
    | 'CHECKPOINT_UNREADABLE'
    | 'CHECKPOINT_UNWRITABLE';
  /** The part of the checkpoint at fault, where one is known (e.g. "evidence.logZ", "flows[1]"). */
  readonly field: string | undefined;
  constructor(code: CheckpointError['code'], message: string, options?: { cause?: unknown; field?: string }) {
    super(message, options);
    this.name = 'CheckpointError';
    this.code = code;
    this.field = options?.field;
  }
}

type Tagged = { $f64: string } | { $u8: string } | { $i32: string } | { $num: 'Infinity' | '-Infinity' | 'NaN' };

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Float64Array) return { $f64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } satisfies Tagged;
  if (value instanceof Int32Array) return { $i32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } satisfies Tagged;
  if (value instanceof Uint8Array) return { $u8: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } satisfies Tagged;
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) as 'Infinity' | '-Infinity' | 'NaN' } satisfies Tagged;
  return value;
}

function copyBytes(b64: string): Uint8Array {
  const buf = Buffer.from(b64, 'base64');
  const out = new Uint8Array(buf.length);
  out.set(buf);
  return out;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      if (typeof v.$f64 === 'string') return new Float64Array(copyBytes(v.$f64).buffer);
      if (typeof v.$i32 === 'string') return new Int32Array(copyBytes(v.$i32).buffer);
      if (typeof v.$u8 === 'string') return copyBytes(v.$u8);
      if (typeof v.$num === 'string') return Number(v.$num);
    }
  }
  return value;
}

/** Serialises a checkpoint object (plain data, typed arrays, non-finite numbers). */
export function encodeCheckpoint(state: object): Buffer {
  const payload = Buffer.from(JSON.stringify(state, replacer), 'utf8');
  const header = Buffer.alloc(HEADER);
  header.write(CHECKPOINT_MAGIC, 0, 16, 'latin1');
  header.writeUInt32LE(CHECKPOINT_VERSION, 16);
  createHash('sha256').update(payload).digest().copy(header, 20);
  return Buffer.concat([header, payload]);
}

/** Parses and verifies checkpoint bytes; throws a CheckpointError naming what is wrong. */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): Record<string, unknown> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16 || buf.toString('latin1', 0, 16) !== CHECKPOINT_MAGIC)
    throw new CheckpointError('CHECKPOINT_FOREIGN', `${source} is not a nestflow checkpoint (bad magic)`);
  if (buf.length < HEADER) throw new CheckpointError('CHECKPOINT_TRUNCATED', `${source} is truncated (${buf.length} bytes, header needs ${HEADER})`);
  const version = buf.readUInt32LE(16);
  if (version !== CHECKPOINT_VERSION)
    throw new CheckpointError('CHECKPOINT_VERSION', `${source} has format version ${version}; this nestflow reads version ${CHECKPOINT_VERSION}`);
  const payload = buf.subarray(HEADER);
  const digest = createHash('sha256').update(payload).digest();
  if (!digest.equals(buf.subarray(20, HEADER)))
    throw new CheckpointError('CHECKPOINT_CORRUPT', `${source} is corrupt or truncated (SHA-256 mismatch over ${payload.length} payload bytes)`);
  try {
    const state = JSON.parse(payload.toString('utf8'), reviver) as unknown;
    if (!state || typeof state !== 'object') throw new Error('payload is not an object');
    return state as Record<string, unknown>;
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `${source} payload does not parse: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Writes a checkpoint atomically (temporary file, fsync, rename). */
export function writeCheckpoint(path: string, state: object): void {
  writeFileAtomic(path, encodeCheckpoint(state));
}

/** Reads and verifies a checkpoint file. */
export function readCheckpoint(path: string): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new CheckpointError('CHECKPOINT_UNREADABLE', `cannot read checkpoint ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return decodeCheckpoint(bytes, `checkpoint ${path}`);
}

/**
 * npm run fuzz -- [--seconds 60] [--seed 1]
 *
 * A time-boxed random mutation run: random bytes, words and lengths of a
 * real flow file and a real checkpoint changed (flows re-sealed, checkpoints
 * re-encoded), each tried in its own process under the suite's limits.
 * Prints what became of every case and exits 1 if any crashed, hung, grew
 * past the memory limit or resumed to another answer. Needs `npm run build`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeCheckpoint, encodeCheckpoint } from '../../lib/checkpoint.js';
import { Flow } from '../../lib/index.js';
import { Random } from '../../lib/random.js';
import { resealFlow } from './flow-layout.js';
import { childFailed, describeChild, runChild } from './harness.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, seed: { type: 'string', default: '1' } } });
const here = dirname(fileURLToPath(import.meta.url));
const limits = { timeoutMs: 60_000, maxRssMB: Number(process.env.NESTFLOW_FUZZ_MAX_RSS_MB ?? 200) };
const rng = new Random(Number(values.seed));
const dir = mkdtempSync(join(tmpdir(), 'nestflow-fuzz-'));

// The subjects: a trained flow and a three-iteration checkpoint with its untouched resume.
const flow = new Flow({ dim: 3, hidden: [8, 8], seed: 1, threads: 1 });
await flow.train(Float64Array.from({ length: 64 * 3 }, (_, i) => Math.cos(i * 7.1) * 0.3 + 0.5), { steps: 5, validationFraction: 0 });
const goodFlow = flow.save();
const ckPath = join(dir, 'run.ckpt');
await runChild(join(here, 'checkpoint-child.mjs'), ['make', ckPath], limits);
const untouched = (await runChild(join(here, 'checkpoint-child.mjs'), ['resume', ckPath], limits)).report!;
const goodCk = decodeCheckpoint(readFileSync(ckPath));

const pick = (n: number): number => Math.floor(rng.uniform() * n);
const BOUNDARY = [0, 1, 0xff, 0x7f, 0x80];

/** Flips, sets or drops random bytes of a flow file, then re-seals it. */
function mutateFlow(): Uint8Array {
  let b = goodFlow.slice();
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(b.length - 4);
    const kind = pick(4);
    if (kind === 0) b[at]! ^= 1 << pick(8);
    else if (kind === 1) b[at] = BOUNDARY[pick(BOUNDARY.length)]!;
    else if (kind === 2) new DataView(b.buffer).setUint32(Math.min(at, b.length - 8), [0, 1, 0xffffffff, 0x7fffffff, 0x80000000][pick(5)]!, true);
    else b = b.slice(0, Math.max(8, b.length - 1 - pick(64)));
  }
  return b.length >= 4 ? resealFlow(b) : b;
}

/** Sets a random number, typed-array element or flow byte of the checkpoint, then re-encodes it. */
function mutateCheckpoint(): Uint8Array {
  const ck = structuredClone(goodCk) as Record<string, unknown>;
  const targets: { obj: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (o: unknown): void => {
    if (o instanceof Float64Array || o instanceof Uint8Array || o instanceof Int32Array) return;
    if (Array.isArray(o)) o.forEach((v, i) => (typeof v === 'object' && v !== null ? walk(v) : targets.push({ obj: o, key: i })));
    else if (o && typeof o === 'object')
      for (const [k, v] of Object.entries(o)) {
        if (v instanceof Float64Array || v instanceof Uint8Array) targets.push({ obj: o as Record<string, unknown>, key: k });
        else if (typeof v === 'object' && v !== null) walk(v);
        else targets.push({ obj: o as Record<string, unknown>, key: k });
      }
  };
  walk(ck);
  const t = targets[pick(targets.length)]!;
  const o = t.obj as Record<string | number, unknown>;
  const v = o[t.key];
  const weird = [NaN, Infinity, -Infinity, -1, 0, 1, 2 ** 31, 1e300, 0.5][pick(9)]!;
  if (v instanceof Float64Array) v[pick(v.length)] = weird;
  else if (v instanceof Uint8Array) {
    const c = v.slice();
    c[pick(c.length)] = BOUNDARY[pick(BOUNDARY.length)]!;
    o[t.key] = c;
  } else if (typeof v === 'number') o[t.key] = rng.uniform() < 0.5 ? weird : v + (rng.uniform() < 0.5 ? 1 : -1);
  else if (typeof v === 'boolean') o[t.key] = !v;
  else o[t.key] = weird;
  return new Uint8Array(encodeCheckpoint(ck));
}

const tally = new Map<string, number>();
const failures: string[] = [];
const end = performance.now() + Number(values.seconds) * 1000;
let n = 0;
while (performance.now() < end) {
  const isFlow = n % 2 === 0;
  const path = join(dir, `case-${n}`);
  writeFileSync(path, isFlow ? mutateFlow() : mutateCheckpoint());
  const r = isFlow ? await runChild(join(here, 'flow-child.mjs'), [path], limits) : await runChild(join(here, 'checkpoint-child.mjs'), ['resume', path], limits);
  const rep = r.report;
  const outcome =
    childFailed(r, limits)
      ? 'FAILED'
      : rep?.outcome === 'error'
        ? `refused (${String(rep.code)})`
        : isFlow
          ? rep?.finite
            ? 'loaded, finite'
            : 'FAILED'
          : rep?.logZ === untouched.logZ && rep?.nLike === untouched.nLike
            ? 'resumed, same result'
            : 'FAILED';
  const key = `${isFlow ? 'flow' : 'checkpoint'}: ${outcome}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  if (outcome === 'FAILED') failures.push(describeChild(path, r));
  n++;
}
console.log(`| case | count |\n| --- | --- |`);
for (const [k, c] of [...tally].sort()) console.log(`| ${k} | ${c} |`);
console.log(`${n} cases in ${values.seconds} s, ${failures.length} failed (cases kept in ${dir})`);
for (const f of failures) console.log(f);
process.exit(failures.length > 0 ? 1 : 0);

/**
 * The structure-aware mutations of a flow file: every header field and one
 * element at each end of every array set to boundary values, the length
 * off by one, each re-sealed so that it passes the checksum.
 */
import { flowFields, resealFlow, setFlowValue } from './flow-layout.js';

export interface FuzzCase {
  name: string;
  bytes: Uint8Array;
}

const U32_VALUES: [string, number][] = [
  ['0', 0],
  ['1', 1],
  ['-1', 0xffffffff],
  ['2^31-1', 0x7fffffff],
  ['2^31', 0x80000000],
];
const U64_VALUES: [string, bigint][] = [
  ['0', 0n],
  ['1', 1n],
  ['2^53', 2n ** 53n],
  ['2^63', 2n ** 63n],
  ['2^64-1', 2n ** 64n - 1n],
];
const FLOAT_VALUES: [string, number][] = [
  ['NaN', NaN],
  ['+Inf', Infinity],
  ['-Inf', -Infinity],
  ['0', 0],
  ['-1', -1],
  ['huge', 3e38],
  ['tiny', 1e-310],
];

export function flowCases(good: Uint8Array): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const edit = (name: string, change: (b: Uint8Array) => Uint8Array): void => {
    cases.push({ name, bytes: resealFlow(change(good.slice())) });
  };
  for (const f of flowFields(good)) {
    if (f.kind === 'u32') {
      const orig = new DataView(good.buffer, good.byteOffset).getUint32(f.offset, true);
      for (const [label, v] of [...U32_VALUES, ['+1', orig + 1] as [string, number], ['-1 from ' + orig, orig - 1] as [string, number]])
        edit(`${f.name} = ${label}`, (b) => (setFlowValue(b, f, 0, v), b));
    } else if (f.kind === 'u64') {
      if (f.name === 'rng') edit('rng = all zero', (b) => ([0, 1, 2, 3].forEach((i) => setFlowValue(b, f, i, 0n)), b));
      else for (const [label, v] of U64_VALUES) edit(`${f.name} = ${label}`, (b) => (setFlowValue(b, f, 0, v), b));
    } else {
      for (const index of [0, f.count - 1])
        for (const [label, v] of FLOAT_VALUES) edit(`${f.name}[${index}] = ${label}`, (b) => (setFlowValue(b, f, index, v), b));
    }
  }
  // chol's first row above the diagonal (a lower-triangular factor has zeros there).
  const chol = flowFields(good).find((f) => f.name === 'chol')!;
  if (chol.count > 1) edit('chol[0][1] = 1', (b) => (setFlowValue(b, chol, 1, 1), b));
  edit('length - 1', (b) => b.slice(0, b.length - 1));
  edit('length + 1', (b) => {
    const c = new Uint8Array(b.length + 1);
    c.set(b);
    return c;
  });
  cases.push({ name: 'empty', bytes: new Uint8Array(0) });
  cases.push({ name: 'magic only', bytes: good.slice(0, 8) });
  return cases;
}

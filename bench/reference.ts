/**
 * npm run bench:reference -- [--dims 2,4,6,8,10]
 *
 * Rosenbrock's reference log Z by the transfer kernel (lib/problems.ts), and
 * its accuracy by grid refinement: trapezoid values on n = 1001, 2001, 4001,
 * 8001 nodes, and Richardson extrapolations from the pairs (1001, 2001),
 * (2001, 4001) and (4001, 8001), whose differences bound the error.
 * docs/problems.md's d = 2 and 4 values are printed beside them.
 */
import { parseArgs } from 'node:util';
import { rosenbrockLogZ, rosenbrockTrapezoid } from '../lib/problems.js';

const { values } = parseArgs({ options: { dims: { type: 'string', default: '2,4,6,8,10' } } });
const PROBLEMS_MD: Record<number, number> = { 2: -5.8041323638, 4: -15.1016907279 };
console.log('| d | trapezoid n=1001 | n=2001 | n=4001 | n=8001 | Richardson (1001, 2001) | (2001, 4001) = reference | (4001, 8001) | change at last refinement | docs/problems.md | reference − docs/problems.md |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const d of values.dims.split(',').map(Number)) {
  const t = [1001, 2001, 4001, 8001].map((n) => rosenbrockTrapezoid(d, n));
  const r = [0, 1, 2].map((k) => (4 * t[k + 1]! - t[k]!) / 3);
  const ref = rosenbrockLogZ(d);
  const md = PROBLEMS_MD[d];
  console.log(
    `| ${d} | ${t.map((v) => v.toFixed(10)).join(' | ')} | ${r.map((v) => v.toFixed(12)).join(' | ')} | ${Math.abs(r[2]! - r[1]!).toExponential(1)} | ${md?.toFixed(10) ?? '—'} | ${md !== undefined ? (ref - md).toExponential(1) : '—'} |`,
  );
}

import { describe, expect, it } from 'vitest';
import { Random } from '../../lib/random.js';
import { cholesky, logStepRatio, NeighbourShapes, type StepShape } from '../../lib/sampler/moves/neighbour-shapes.js';

// A thin parabolic band joined to a round blob, in the unit square.
const inBand = (x: number, y: number): boolean => x > 0.05 && x < 0.95 && Math.abs(y - 0.15 - 2.5 * (x - 0.5) ** 2) < 0.04;
const inBlob = (x: number, y: number): boolean => (x - 0.5) ** 2 + (y - 0.45) ** 2 < 0.12 ** 2;
const inRegion = (p: Float64Array, r: number): boolean => inBand(p[2 * r]!, p[2 * r + 1]!) || inBlob(p[2 * r]!, p[2 * r + 1]!);
const inLeft = (p: Float64Array, r: number): boolean => p[2 * r]! < 0.3;

function uniformInRegion(n: number, rng: Random): Float64Array {
  const out = new Float64Array(2 * n);
  const p = new Float64Array(2);
  for (let i = 0; i < n; ) {
    p[0] = rng.uniform();
    p[1] = rng.uniform();
    if (!inRegion(p, 0)) continue;
    out.set(p, 2 * i++);
  }
  return out;
}

/** Reference points crowded at the band's left end, sparse elsewhere: the step shape changes a lot along a walk. */
function crowdedReference(rng: Random): Float64Array {
  const pool = uniformInRegion(4000, rng);
  const rows: number[] = [];
  for (let i = 0; i < 4000 && rows.length < 240; i++) if (inLeft(pool, i) ? rows.length < 200 : i % 8 === 0) rows.push(i);
  return Float64Array.from(rows.flatMap((i) => [pool[2 * i]!, pool[2 * i + 1]!]));
}

function covarianceCholesky(x: Float64Array): Float64Array {
  const n = x.length / 2;
  const m = [0, 1].map((j) => x.reduce((s, v, i) => (i % 2 === j ? s + v : s), 0) / n);
  const c = new Float64Array(4);
  for (let i = 0; i < n; i++)
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) c[2 * a + b] = c[2 * a + b]! + ((x[2 * i + a]! - m[a]!) * (x[2 * i + b]! - m[b]!)) / (n - 1);
  return cholesky(c, 2)!;
}

/** Share of chains at the band's left end after `steps` shaped steps from uniform starts; `corrected: false` drops the MH ratio. */
function leftShareAfterWalk(shapes: NeighbourShapes, chains: number, steps: number, corrected: boolean, rng: Random): number {
  const x = uniformInRegion(chains, rng);
  const y = new Float64Array(2);
  const scale = 1;
  for (let c = 0; c < chains; c++) {
    let shape: StepShape = shapes.at(x, c);
    for (let s = 0; s < steps; s++) {
      const e0 = rng.normal();
      const e1 = rng.normal();
      const L = shape.chol;
      y[0] = x[2 * c]! + scale * L[0]! * e0;
      y[1] = x[2 * c + 1]! + scale * (L[2]! * e0 + L[3]! * e1);
      if (!inRegion(y, 0)) continue;
      const shapeY = shapes.at(y, 0);
      const logRatio = corrected ? logStepRatio(x, c, y, 0, 2, shape, shapeY, scale, e0 * e0 + e1 * e1) : 0;
      if (Math.log(rng.uniform()) >= logRatio) continue;
      x.set(y, 2 * c);
      shape = shapeY;
    }
  }
  let left = 0;
  for (let c = 0; c < chains; c++) if (inLeft(x, c)) left++;
  return left / chains;
}

describe('walk steps shaped by the nearest neighbours', () => {
  const rng = new Random(11);
  const reference = crowdedReference(rng);
  const shapes = new NeighbourShapes(reference, 2, 20, covarianceCholesky(reference));
  // The exact share of the region at the band's left end, from 400,000 uniform points (its standard error is a fifth of the test's).
  const pool = uniformInRegion(400_000, new Random(12));
  let exactLeft = 0;
  for (let i = 0; i < 400_000; i++) if (inLeft(pool, i)) exactLeft++;
  exactLeft /= 400_000;
  const chains = 20_000;
  const se = Math.sqrt((exactLeft * (1 - exactLeft)) / chains);

  it('keep the uniform law on the region invariant (the Metropolis–Hastings ratio of the changing shape)', () => {
    const share = leftShareAfterWalk(shapes, chains, 30, true, new Random(5));
    expect(Math.abs(share - exactLeft)).toBeLessThan(4 * se);
  });

  it('would not without the ratio: the same walk, uncorrected, piles up at the crowded end, where its steps are short (so the check above has power)', () => {
    const share = leftShareAfterWalk(shapes, chains, 30, false, new Random(5));
    expect(share - exactLeft).toBeGreaterThan(5 * se);
  });

  it('shape a step along the band where it is thin, and fall back to the global shape with too few points', () => {
    // 300 points uniform on the band alone, k = 100 (a third of the band, so the local spread outweighs the
    // 5% of the global one): at x = 0.8 (slope 2.5 · 2 · 0.3 = 1.5) the step's long axis follows the band.
    const r = new Random(13);
    const band = new Float64Array(600);
    for (let i = 0; i < 300; ) {
      const x = r.uniform();
      const y = r.uniform();
      if (inBand(x, y)) band.set([x, y], 2 * i++);
    }
    const right = new NeighbourShapes(band, 2, 100, covarianceCholesky(band)).at(Float64Array.of(0.8, 0.15 + 2.5 * 0.3 ** 2), 0);
    const cov = [right.chol[0]! ** 2, right.chol[0]! * right.chol[2]!, right.chol[2]! ** 2 + right.chol[3]! ** 2];
    const slope = Math.tan(0.5 * Math.atan2(2 * cov[1]!, cov[0]! - cov[2]!));
    expect(slope).toBeGreaterThan(1);
    expect(slope).toBeLessThan(2.5);
    const globalChol = covarianceCholesky(reference);
    const one = new NeighbourShapes(reference.subarray(0, 2), 2, 20, globalChol);
    expect(Array.from(one.at(Float64Array.of(0.5, 0.5), 0).chol)).toEqual(Array.from(globalChol));
    expect(() => new NeighbourShapes(reference, 2, 1, covarianceCholesky(reference))).toThrow(/k must be an integer ≥ 2/);
    expect(() => new NeighbourShapes(reference.subarray(0, 3), 2, 5, covarianceCholesky(reference))).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { loadNative } from '../../lib/native.js';

const { testing } = loadNative();

describe('sgemm kernels', () => {
  // Float32 products of k standard-normal terms: rounding error grows like
  // sqrt(k) eps |terms|; 1e-5 of the largest entry bounds it with margin.
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [7, 13, 5],
    [6, 16, 128],
    [97, 128, 128],
    [128, 2, 128],
    [33, 128, 9],
    [300, 40, 600], // k above one 256-wide block
  ];
  for (const [m, n, k] of shapes) {
    it(`matches the reference for ${m}x${n}x${k} (plain and transposed A)`, () => {
      for (const transA of [false, true]) {
        const r = testing.sgemmCheck(m, n, k, transA);
        expect(r.maxAbsError).toBeLessThanOrEqual(1e-5 * Math.max(1, r.maxAbsReference));
      }
    });
  }

  it('the portable micro-kernel matches the reference too', () => {
    const r = testing.sgemmCheck(50, 70, 300, true, true);
    expect(r.kernel).toBe('portable-6x16');
    expect(r.maxAbsError).toBeLessThanOrEqual(1e-5 * r.maxAbsReference);
  });

  it('names the bad argument', () => {
    expect(() => testing.sgemmCheck(0, 1, 1)).toThrow(RangeError);
    expect(() => testing.sgemmCheck(0, 1, 1)).toThrow(/m must be/);
    expect(() => testing.sgemmCheck(1, 'x' as unknown as number, 1)).toThrow(/n must be a number/);
  });
});

/** Seeded helpers shared by the tests. */

/** mulberry32: a small seeded uniform generator in [0, 1). */
export function uniformRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box-Muller) from a seeded stream. */
export function normalRng(seed: number): () => number {
  const u = uniformRng(seed);
  return () => {
    let u1 = u();
    while (u1 <= 0) u1 = u();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u());
  };
}

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / xs.length;
}

export function std(xs: ArrayLike<number>): number {
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

/** Column j of a row-major [n × d] array. */
export function column(x: Float64Array, d: number, j: number): Float64Array {
  const out = new Float64Array(x.length / d);
  for (let i = 0; i < out.length; i++) out[i] = x[i * d + j]!;
  return out;
}

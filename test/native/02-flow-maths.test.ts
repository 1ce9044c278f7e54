import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { normalRng } from '../helpers.js';

/** A flow with random (non-zero) weights, so v and its Jacobian are non-trivial. */
function randomFlow(dim: number, seed: number, scale = 0.4): Flow {
  const flow = new Flow({ dim, hidden: [32, 32], seed });
  const p = flow.getParameters();
  const rnd = normalRng(seed + 100);
  for (let i = 0; i < p.length; i++) p[i] = scale * rnd();
  flow.setParameters(p);
  return flow;
}

describe('Flow: vector field and exact trace', () => {
  for (const dim of [1, 2, 5]) {
    it(`the exact trace equals a central finite-difference trace of v (dim ${dim})`, () => {
      const flow = randomFlow(dim, 3 + dim);
      const rnd = normalRng(dim);
      const n = 8;
      const y = Float64Array.from({ length: n * dim }, () => rnd());
      const h = 1e-2;
      for (const t of [0, 0.37, 1]) {
        const { trace } = flow.field(y, t);
        for (let i = 0; i < n; i++) {
          let fd = 0;
          for (let j = 0; j < dim; j++) {
            const plus = y.slice(i * dim, (i + 1) * dim);
            const minus = plus.slice();
            plus[j]! += h;
            minus[j]! -= h;
            const vp = flow.field(plus, t).v[j]!;
            const vm = flow.field(minus, t).v[j]!;
            fd += (vp - vm) / (2 * h);
          }
          // O(h^2) truncation plus float32 rounding / h: 2e-3 relative is ~10x both.
          expect(Math.abs(trace[i]! - fd)).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(fd)));
        }
      }
    });
  }

  it('a point gives the same v and trace alone or inside a batch', () => {
    const flow = randomFlow(3, 9);
    const rnd = normalRng(4);
    const y = Float64Array.from({ length: 3 * 70 }, () => rnd());
    const all = flow.field(y, 0.5);
    for (const i of [0, 31, 32, 69]) {
      const one = flow.field(y.slice(3 * i, 3 * i + 3), 0.5);
      expect(one.trace[0]).toBe(all.trace[i]);
      expect(Array.from(one.v)).toEqual(Array.from(all.v.slice(3 * i, 3 * i + 3)));
    }
  });

  // dim 3 takes the thin (dot-product) output layer, dim 6 the GEMM one.
  for (const dim of [3, 6]) it(`the CFM loss gradient matches finite differences of the loss (dim ${dim})`, () => {
    const flow = randomFlow(dim, 11, 0.3);
    const rnd = normalRng(12);
    const n = 150;
    const xt = Float64Array.from({ length: n * dim }, () => rnd());
    const target = Float64Array.from({ length: n * dim }, () => rnd());
    const t = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
    const { loss, grad } = flow.cfmLoss(xt, t, target, true);
    expect(grad).toBeDefined();
    const base = flow.getParameters();
    const pick = normalRng(13);
    // Parameters are float32: perturb by a float32-exact step and difference in double.
    const h = 2 ** -8;
    let checked = 0;
    for (let c = 0; c < 40; c++) {
      const idx = Math.floor(Math.abs(pick()) * 1e6) % base.length;
      const plus = base.slice();
      plus[idx]! += h;
      flow.setParameters(plus);
      const lp = flow.cfmLoss(xt, t, target).loss;
      const minus = base.slice();
      minus[idx]! -= h;
      flow.setParameters(minus);
      const lm = flow.cfmLoss(xt, t, target).loss;
      const fd = (lp - lm) / (2 * h);
      expect(Math.abs(grad![idx]! - fd)).toBeLessThanOrEqual(2e-3 * Math.max(1e-2, Math.abs(fd), loss * 1e-2));
      checked++;
    }
    flow.setParameters(base);
    expect(checked).toBe(40);
  });
});

import { describe, expect, it } from 'vitest';
import { Flow } from '../../lib/index.js';
import { loadNative } from '../../lib/native.js';

const { FlowHandle } = loadNative();
type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('Flow: bad arguments raise errors that name the argument', () => {
  const flow = new Flow({ dim: 2, hidden: [8], seed: 1 });

  it('constructor: dim 0, non-number dim, bad hidden', () => {
    expect(() => new Flow({ dim: 0 })).toThrow(RangeError);
    expect(() => new Flow({ dim: 0 })).toThrow(/dim/);
    expect(() => new Flow({ dim: '2' as Any })).toThrow(TypeError);
    expect(() => new Flow({ dim: 2.5 })).toThrow(/dim/);
    expect(() => new Flow({ dim: 2, hidden: [] })).toThrow(/hidden/);
    expect(() => new Flow({ dim: 2, hidden: [16, -1] })).toThrow(/hidden\[1\]/);
    expect(() => new Flow(null as Any)).toThrow(TypeError);
    expect(() => new Flow({ dim: 2, trace: 'fast' as Any })).toThrow(/trace/);
  });

  it('train: wrong length, NaN, non-typed array, too few points, bad option', () => {
    expect(() => flow.train(new Float64Array(5))).toThrow(/points length 5 is not a multiple of dim 2/);
    expect(() => flow.train([1, 2, 3, 4] as Any)).toThrow(TypeError);
    expect(() => flow.train(new Float32Array(4) as Any)).toThrow(/points must be a Float64Array/);
    expect(() => flow.train(new Float64Array(2))).toThrow(/at least 2 points/);
    expect(() => flow.train(new Float64Array(0))).toThrow(/points is empty/);
    expect(() => flow.train(new Float64Array([0, 0, 1, NaN]))).toThrow(/points\[3\] is NaN/);
    expect(() => flow.train(new Float64Array([0, 0, 1, Infinity]))).toThrow(/points\[3\] is not finite/);
    expect(() => flow.train(new Float64Array([0, 0, 1, 1]), { steps: -1 })).toThrow(/options.steps/);
    expect(() => flow.train(new Float64Array([0, 0, 1, 1]), { learningRate: 'fast' as Any })).toThrow(/options.learningRate must be a number/);
  });

  it('sample and logProb: n = 0, non-integer n, wrong length, NaN', () => {
    expect(() => flow.sample(0)).toThrow(RangeError);
    expect(() => flow.sample(0)).toThrow(/n must be/);
    expect(() => flow.sample(1.5)).toThrow(/n must be/);
    expect(() => flow.sample('3' as Any)).toThrow(TypeError);
    expect(() => flow.sample(3, { steps: 0 })).toThrow(/options.steps/);
    expect(() => flow.logProb(new Float64Array(3))).toThrow(/x length 3/);
    expect(() => flow.logProb(new Float64Array([NaN, 0]))).toThrow(/x\[0\] is NaN/);
    expect(() => flow.inverse({} as Any)).toThrow(/x must be a Float64Array/);
  });

  it('the raw binding checks again: every bad input is a JS error, never a crash', async () => {
    expect(() => new (FlowHandle as Any)()).toThrow(/config must be an object/);
    expect(() => new FlowHandle({ dim: 0 })).toThrow(/config.dim/);
    expect(() => new FlowHandle({ dim: 2, hidden: 'x' as Any })).toThrow(/config.hidden/);
    expect(() => new FlowHandle({ dim: 2, seed: -1 })).toThrow(/config.seed/);
    const h = new FlowHandle({ dim: 2, hidden: [8] });
    expect(() => h.train(new Float64Array(3))).toThrow(/points length 3/);
    expect(() => h.train(undefined as Any)).toThrow(/points must be a Float64Array/);
    expect(() => h.train(new Float64Array([1, 2, NaN, 4]))).toThrow(/points\[2\] is NaN/);
    expect(() => h.train(new Float64Array([1, 2, 3, 4]), 5 as Any)).toThrow(/options must be an object/);
    expect(() => h.sample(0)).toThrow(/n must be in/);
    expect(() => h.sample(2, { trace: 'approx' as Any })).toThrow(/options.trace/);
    expect(() => h.logProb(new Float64Array([1, NaN]))).toThrow(/x\[1\] is NaN/);
    expect(() => h.field(new Float64Array(2), NaN)).toThrow(/t must be finite/);
    expect(() => h.setParams(new Float64Array(3))).toThrow(/params length 3/);
    expect(() => h.cfmLoss(new Float64Array(2), new Float64Array(2), new Float64Array(2))).toThrow(/t length 2/);
    expect(() => FlowHandle.load(new Uint8Array(4))).toThrow(RangeError);
    // Points that all coincide cannot be whitened: a RangeError from the worker.
    await expect(h.train(new Float64Array([1, 1, 1, 1, 1, 1]))).rejects.toThrow(/coincide/);
  });
});

describe('Flow: the backend option', () => {
  it("'cpu' runs on the CPU; anything but 'auto', 'cpu' or 'cuda' names the option ('cuda' and 'auto': test/gpu/cuda-backend.test.ts)", () => {
    expect(new Flow({ dim: 2, backend: 'cpu' }).info.backend).toMatch(/^cpu/);
    expect(new Flow({ dim: 2, backend: 'cpu' }).info.backendNote).toBeUndefined();
    expect(() => new Flow({ dim: 2, backend: 'gpu' as never })).toThrow(RangeError);
    expect(() => new Flow({ dim: 2, backend: 'gpu' as never })).toThrow(/options.backend must be 'auto', 'cpu' or 'cuda'/);
    const { FlowHandle } = loadNative();
    expect(() => new FlowHandle({ dim: 2, backend: 'tpu' as never })).toThrow(/config.backend must be 'auto', 'cpu' or 'cuda', got 'tpu'/);
    expect(() => new FlowHandle({ dim: 2, backend: 3 as never })).toThrow(TypeError);
    const bytes = new Flow({ dim: 2, backend: 'cpu' }).save();
    expect(Flow.load(bytes, { backend: 'cpu' }).dim).toBe(2);
  });
});

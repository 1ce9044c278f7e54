import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cudaStatus, Flow } from '../../lib/index.js';

// The CUDA backend as the addon carries it. Where no device answers (every
// CI machine) 'cuda' must refuse with the driver's reason and 'auto' must
// run on the CPU and say why; where one does, the flows must agree.
const status = cudaStatus();
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { encoding: 'utf8' }).status === 0;
const built = resolve('build/Release/nestflow.node');
// The addon was compiled here with CMake, which builds the CUDA part wherever nvcc is.
const compiledHereWithNvcc = existsSync(built) && existsSync(resolve('build/CMakeCache.txt')) && has('nvcc', ['--version']) &&
  readFileSync(resolve('build/CMakeCache.txt'), 'utf8').includes('NESTFLOW_CUDA:STRING=AUTO');
const noDevice = `skipped: ${status.reason ?? 'a CUDA device answers'}`;

function banana(n: number, dim: number): Float64Array {
  const x = new Float64Array(n * dim);
  let s = 12345;
  const u = (): number => ((s = (s * 1103515245 + 12345) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < dim; j++) {
      const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      x[i * dim + j] = j % 2 === 1 ? x[i * dim + j - 1]! ** 2 + 0.3 * g : g;
    }
  return x;
}

describe('CUDA backend: build and selection', () => {
  it.skipIf(!compiledHereWithNvcc)(
    `the addon built where nvcc exists carries device code for sm_80 and sm_90${compiledHereWithNvcc ? '' : ' (skipped: this addon was not compiled here with nvcc)'}`,
    () => {
      expect(status.compiled).toBe(true);
      const bytes = readFileSync(built);
      // The fatbin section, and in it the code of each architecture (ptxas's options name them).
      expect(bytes.includes('.nv_fatbin')).toBe(true);
      expect(bytes.includes('-arch sm_80')).toBe(true);
      expect(bytes.includes('-arch sm_90')).toBe(true);
    },
  );

  it.skipIf(status.available)(`without a device, 'cuda' refuses with the driver's reason and 'auto' runs on the CPU saying why${status.available ? ' (skipped: a CUDA device answers here)' : ''}`, async () => {
    expect(status.reason).toMatch(status.compiled ? /^no CUDA device: .+/ : /^this build of nestflow has no CUDA backend/);
    let caught: unknown;
    try {
      new Flow({ dim: 2, backend: 'cuda' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as { code?: string }).code).toBe('CUDA_UNAVAILABLE');
    expect((caught as Error).message).toContain(status.reason!);

    const flow = new Flow({ dim: 2, seed: 1 });
    expect(flow.info.backend).toMatch(/^cpu/);
    expect(flow.info.backendNote).toContain(status.reason!);
    await flow.train(banana(400, 2), { steps: 20 });
    const s = await flow.sample(100);
    expect(s.logProb.every(Number.isFinite)).toBe(true);
    // A saved flow asked onto the GPU refuses the same way (not as a damaged file).
    expect(() => Flow.load(flow.save(), { backend: 'cuda' })).toThrow(expect.objectContaining({ code: 'CUDA_UNAVAILABLE' }));
  });
});

describe('CUDA backend: agreement with the CPU through Flow', () => {
  it.skipIf(!status.available)(`a flow trained on either backend gives the same log q and samples on the other (1e-4) ${status.available ? '' : `(${noDevice})`}`, async () => {
    for (const dim of [2, 10]) {
      const x = banana(2000, dim);
      for (const [from, to] of [['cpu', 'cuda'], ['cuda', 'cpu']] as const) {
        const flow = new Flow({ dim, seed: 3, backend: from });
        await flow.train(x, { steps: 200 });
        const bytes = flow.save();
        const a = Flow.load(bytes, { backend: from });
        const b = Flow.load(bytes, { backend: to });
        expect(b.info.backend).toMatch(to === 'cuda' ? /^cuda/ : /^cpu/);
        const [la, lb] = [await a.logProb(x), await b.logProb(x)];
        let worst = 0;
        for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i]! - lb[i]!));
        expect(worst, `d = ${dim}, ${from} → ${to}`).toBeLessThanOrEqual(1e-4);
        // The RNG state travels in the file: the same latent draws on both.
        const [sa, sb] = [await a.sample(500), await b.sample(500)];
        for (let i = 0; i < sa.x.length; i++) expect(Math.abs(sa.x[i]! - sb.x[i]!)).toBeLessThanOrEqual(1e-4);
      }
    }
  }, 300_000);
});

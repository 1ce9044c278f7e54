/**
 * The raw N-API surface of the addon, typed once. Nothing outside `lib/`
 * touches these handles; public classes wrap them.
 * @internal
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Result of one native training call. */
export interface NativeTrainResult {
  loss: Float64Array;
  validationLoss: Float64Array;
  stepsRun: number;
  bestStep: number;
  seconds: number;
}

export interface NativeOdeOptions {
  steps?: number;
  trace?: 'exact' | 'hutchinson';
  probes?: number;
  baseScale?: number;
}

/** The backends the addon can be asked for ('cuda' throws, code CUDA_UNAVAILABLE, where no device answers). */
export const BACKEND_NAMES = ['auto', 'cpu', 'cuda'] as const;
export type NativeBackendName = (typeof BACKEND_NAMES)[number];

export interface NativeFlowInfo {
  backend: string;
  threads: number;
  /** The accelerator, on a device backend. */
  device?: string;
  /** Why 'auto' chose the CPU (no CUDA device, or a build without the CUDA backend). */
  backendNote?: string;
  dim: number;
  hidden: number[];
  timeFreqs: number;
  paramCount: number;
  forwardFlops: number;
  trainingSteps: number;
  formatVersion: number;
}

export interface NativeFlowHandle {
  train(points: Float64Array, options?: Record<string, unknown>): Promise<NativeTrainResult>;
  checkTrainOptions(options?: Record<string, unknown>): void;
  sample(n: number, options?: NativeOdeOptions): Promise<{ x: Float64Array; logProb: Float64Array; z: Float64Array }>;
  logProb(x: Float64Array, options?: NativeOdeOptions): Promise<{ logProb: Float64Array; z: Float64Array }>;
  field(y: Float64Array, t: number): { v: Float64Array; trace: Float64Array };
  cfmLoss(xt: Float64Array, t: Float64Array, target: Float64Array, wantGrad?: boolean): { loss: number; grad?: Float64Array };
  getParams(): Float64Array;
  setParams(params: Float64Array): void;
  whitening(): { mean: Float64Array; chol: Float64Array; logDet: number };
  save(): Uint8Array;
  reset(seed: number): void;
  info(): NativeFlowInfo;
}

export interface NativeFlowHandleClass {
  new (config: { dim: number; hidden?: number[]; timeFreqs?: number; seed?: number; threads?: number; backend?: NativeBackendName }): NativeFlowHandle;
  load(bytes: Uint8Array, threads?: number, backend?: NativeBackendName): NativeFlowHandle;
}

export interface NativeTesting {
  sgemmCheck(m: number, n: number, k: number, transA?: boolean, kernel?: 'auto' | 'avx2' | 'portable'): {
    maxAbsError: number;
    maxAbsReference: number;
    kernel: string;
  };
  benchGemm(rows: number, n: number, k: number, repetitions: number, threads: number): {
    seconds: number;
    gflops: number;
    threads: number;
  };
  peakGflops(threads: number): { gflops: number; threads: number; isa: string };
  normals(n: number, seed: number): Float64Array;
  gemmKernel: string;
  defaultThreads: number;
}

/** Whether this build carries the CUDA backend and whether a device answers. */
export interface NativeCudaStatus {
  compiled: boolean;
  available: boolean;
  /** Name, compute capability, SMs, memory, driver and runtime versions of device 0. */
  device?: string;
  /** Why there is no device to use. */
  reason?: string;
}

export interface NativeAddon {
  FlowHandle: NativeFlowHandleClass;
  testing: NativeTesting;
  cudaStatus(): NativeCudaStatus;
}

let cached: NativeAddon | undefined;

/**
 * The addon compiled here (build/Release, through 'bindings'), else the one
 * shipped in the package for this platform (prebuilds/<platform>-<arch>/),
 * which needs no compiler and no install script.
 */
function loadBuiltOrPrebuilt(require: NodeJS.Require): NativeAddon {
  try {
    const bindings = require('bindings') as (name: string) => unknown;
    return bindings('nestflow') as NativeAddon;
  } catch (err) {
    // The package root is one folder up from lib/ (sources) and two from dist/lib/ (built).
    const root = import.meta.url.endsWith('.ts') ? '..' : '../..';
    const prebuilt = fileURLToPath(new URL(`${root}/prebuilds/${process.platform}-${process.arch}/nestflow.node`, import.meta.url));
    if (!existsSync(prebuilt)) throw err;
    return require(prebuilt) as NativeAddon;
  }
}

/** Loads the addon once; throws one error saying what was tried and the fix. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    // NESTFLOW_ADDON: load another build (e.g. the AddressSanitizer one of scripts/asan-check.sh).
    const override = process.env.NESTFLOW_ADDON;
    if (override) cached = require(override) as NativeAddon;
    else cached = loadBuiltOrPrebuilt(require);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `nestflow: the native addon could not be loaded (looked in build/Release and build/Debug through 'bindings', then prebuilds/${process.platform}-${process.arch}/).\n` +
        `Fix: run 'npm run build:native' in the nestflow package (needs cmake or node-gyp and a C++17 compiler).\n` +
        `Cause: ${reason}`,
    );
  }
  return cached;
}

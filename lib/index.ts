/**
 * nestflow: nested sampling with neural-flow proposals.
 * @packageDocumentation
 */
export { Flow, cudaStatus } from './flow.js';
export type { FlowOptions, TrainOptions, TrainResult, OdeOptions, FlowSamples, FlowInfo, TraceMode, BackendName, CudaStatus } from './flow.js';
export { NestedSampler, LikelihoodError, NestedSamplingError, equalWeightSamples, SAMPLER_DEFAULTS } from './sampler/index.js';
export type {
  NestedSamplerOptions,
  NestedSamplingResult,
  IterationRecord,
  DeadPoints,
  RunOptions,
  RunProgress,
  StopReason,
  SamplerFlowOptions,
  BatchLogLikelihood,
  PointLogLikelihood,
  LikelihoodModule,
  CheckpointOptions,
  RunCounts,
  RunTimings,
} from './sampler/index.js';
export { priors, parameter, normalQuantile } from './priors.js';
export type { Prior, ParameterPrior } from './priors.js';
export { computeEvidence, liveCounts, logSumExp } from './evidence.js';
export type { Evidence } from './evidence.js';
export { ksUniform, ksPValue } from './ks.js';
export { Random } from './random.js';
export { VERSION } from './version.js';
export * as problems from './problems.js';
export type { Problem } from './problems.js';
export { writePolyChord, writeLivePoints, readPolyChord, readTable, formatFortran, LOG_ZERO, RunFileError } from './output.js';
export { writeFileAtomic } from './atomic-file.js';
export { mergeRuns, writeMergedRun } from './merge.js';
export { openMpiWorld, MpiWorld, MpiUnavailableError, mpiLaunch, mpiLibrary } from './mpi/world.js';
export { serveLikelihood } from './mpi/serve.js';
export type { ServeOptions, ServeSummary } from './mpi/serve.js';
export type { MergedRun } from './merge.js';
export type { PolyChordRun, WriteOptions, BirthDeathPoints } from './output.js';
export { equalWeightIndices } from './evidence.js';
export { RunConfigSchema, validateConfig, readConfigFile, ConfigError } from './config.js';
export type { RunConfig } from './config.js';
export { encodeCheckpoint, decodeCheckpoint, readCheckpoint, writeCheckpoint, CheckpointError, CHECKPOINT_VERSION } from './checkpoint.js';
export { plotRun, reportHtml, loadRun, cornerSpec, diagnosticsSpec } from './plot/report.js';
export type { PlotOptions, PlotRun, CornerOptions } from './plot/report.js';
export { renderSvg, svgToPng, renderFigure } from './plot/render.js';
export type { VegaLiteSpec } from './plot/render.js';
export { kde1d, kde2d, credibleLevels } from './plot/kde.js';

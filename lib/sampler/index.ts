/** The nested sampler: the class, its options, results and errors. */
export { NestedSampler } from './sampler.js';
export type { RunOptions, RunProgress } from './sampler.js';
export { SAMPLER_DEFAULTS } from './options.js';
export type { NestedSamplerOptions, SamplerFlowOptions } from './options.js';
export { LikelihoodError } from './likelihood.js';
export type { BatchLogLikelihood, PointLogLikelihood } from './likelihood.js';
export type { LikelihoodModule } from './likelihood-module.js';
export { NestedSamplingError } from './errors.js';
export { equalWeightSamples } from './result.js';
export type { NestedSamplingResult, DeadPoints } from './result.js';
export { IterationRecordSchema, StopReasonSchema } from './records.js';
export type { IterationRecord, StopReason, RunCounts, RunTimings } from './records.js';
export { CHECKPOINT_DEFAULTS } from './checkpointing.js';
export type { CheckpointOptions } from './checkpointing.js';

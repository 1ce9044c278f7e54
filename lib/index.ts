/**
 * nestflow: nested sampling with neural-flow proposals.
 * @packageDocumentation
 */
export { Flow } from './flow.js';
export type { FlowOptions, TrainOptions, TrainResult, OdeOptions, FlowSamples, FlowInfo, TraceMode } from './flow.js';
export { VERSION } from './version.js';

/** Error raised when a run cannot go on (not the likelihood's fault); `.code` is stable. */
export class NestedSamplingError extends Error {
  readonly code: 'SAMPLER_STALLED';
  constructor(code: NestedSamplingError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NestedSamplingError';
    this.code = code;
  }
}

/**
 * What ranks say to each other: rank 0 sends a batch slice (θ, row-major
 * float64) and later a stop; a serving rank answers each slice with its
 * log-likelihoods (float64) or an error (UTF-8 JSON). One slice is in flight
 * per rank at a time, so no message needs an id.
 */
import { LikelihoodError } from '../sampler/likelihood.js';

export const MPI_TAGS = { batch: 1, result: 2, error: 3, stop: 4 } as const;

/** An error as it crosses ranks: a LikelihoodError keeps its code; anything else is a module problem. */
export interface RankError {
  code: LikelihoodError['code'] | 'LIKELIHOOD_MODULE';
  message: string;
}

export function encodeRankError(err: unknown): Uint8Array {
  const e: RankError = {
    code: err instanceof LikelihoodError ? err.code : 'LIKELIHOOD_MODULE',
    message: err instanceof Error ? err.message : String(err),
  };
  return new TextEncoder().encode(JSON.stringify(e));
}

export function decodeRankError(data: ArrayBuffer): RankError {
  try {
    const e = JSON.parse(new TextDecoder().decode(data)) as Partial<RankError>;
    return { code: e.code ?? 'LIKELIHOOD_MODULE', message: String(e.message ?? 'unknown error') };
  } catch {
    return { code: 'LIKELIHOOD_MODULE', message: 'an error that could not be decoded' };
  }
}

/** The error rank 0 raises for a slice that failed on `rank`. */
export function rankError(e: RankError, rank: number, size: number): Error {
  const where = `(on MPI rank ${rank} of ${size})`;
  if (e.code === 'LIKELIHOOD_MODULE') return new Error(`${e.message} ${where}`);
  return new LikelihoodError(e.code, `${e.message} ${where}`);
}

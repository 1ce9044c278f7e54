/**
 * The chains of one flow in an iteration, and the queue of flow candidates
 * waiting for them.
 */
import type { Flow } from '../flow.js';
import type { NeighbourShapes } from './moves/neighbour-shapes.js';

/** Flow candidates that passed the cube and weight tests, waiting for a chain. */
export class CandidateQueue {
  u: Float64Array;
  logW: Float64Array;
  size = 0;
  constructor(readonly dim: number, capacity: number) {
    this.u = new Float64Array(capacity * dim);
    this.logW = new Float64Array(capacity);
  }
  reset(capacity: number): void {
    if (capacity > this.logW.length) {
      this.u = new Float64Array(capacity * this.dim);
      this.logW = new Float64Array(capacity);
    }
    this.size = 0;
  }
  push(u: Float64Array, uRow: number, logW: number): void {
    const d = this.dim;
    this.u.set(u.subarray(uRow * d, (uRow + 1) * d), this.size * d);
    this.logW[this.size] = logW;
    this.size++;
  }
}

/** The chains of one flow. */
export interface ProposalGroup {
  /** Survivor rows the chains start from. */
  starts: Int32Array;
  flow: Flow;
  /** Factor L of the local random-walk step: the flow's whitening (Cholesky factor of its training points' covariance). */
  localFactor: Float64Array;
  /** With walkNeighbours: walk steps shaped by the flow's nearest training points (else one shape, localFactor). */
  neighbours: NeighbourShapes | undefined;
  /** Latent scale of the tempered component. */
  tau: number;
  /** log w of each start under the mixture. */
  logWStart: Float64Array;
  /** Envelopes: chains whose start ranks above the quantile use the lower one (leave-one-out). */
  logWHigh: number;
  logWLow: number;
  threshold: number;
  /** Random order in which the starts are cycled through. */
  order: Int32Array;
  queue: CandidateQueue;
  head: number;
  drawn: number;
  queued: number;
  /** Draws of the pilot that checks the envelope against the flow's own draws, and whether it ran (up front, or late). */
  pilotDraws: number;
  piloted: boolean;
}

/**
 * The seam for kinds of move. Every chain of an iteration starts in the
 * first move; a move either settles a chain (a new point, or its start kept)
 * or hands it on to a later move by name. The run loop calls the moves in
 * order, each with the chains handed to it.
 */
import type { Iteration } from '../iteration.js';

/** The kinds of move, in the order the loop runs them. */
export type MoveKind = 'flow' | 'delayed-rejection' | 'random-walk';

/** Chains handed on, by the move that takes them next. */
export type HandOff = Partial<Record<MoveKind, number[]>>;

export interface Move {
  readonly kind: MoveKind;
  /** Moves `chains` (indices into the iteration's chains); returns those handed on. */
  run(iteration: Iteration, chains: number[]): Promise<HandOff>;
}

/** Runs the moves in order: the first gets every chain, each later one what was handed to it. */
export async function runMoves(moves: readonly Move[], iteration: Iteration): Promise<void> {
  const queued: HandOff = { [moves[0]!.kind]: Array.from({ length: iteration.m }, (_, c) => c) };
  for (const move of moves) {
    const chains = queued[move.kind] ?? [];
    if (chains.length === 0 && move !== moves[0]) continue;
    const handOff = await move.run(iteration, chains);
    for (const [kind, list] of Object.entries(handOff) as [MoveKind, number[]][]) (queued[kind] ??= []).push(...list);
  }
}

/**
 * The optional MPI addon (build/Release/nestflow_mpi.node), present when an
 * MPI implementation was found at build time. It moves byte messages
 * between ranks; lib/mpi gives them meaning.
 * @internal
 */
import { createRequire } from 'node:module';

export interface NativeMpiMessage {
  source: number;
  tag: number;
  data: ArrayBuffer;
}

export interface NativeMpi {
  /** The implementation's own description (callable before init). */
  libraryVersion(): string;
  init(): { rank: number; size: number; threadLevel: string };
  /** Blocking send of the view's bytes. */
  send(dest: number, tag: number, data: ArrayBufferView): void;
  /** The next message from `source` (−1 or undefined: any rank), polled off the main thread. */
  recv(source?: number): Promise<NativeMpiMessage>;
  /** Ends pending receives with an error. */
  interrupt(): void;
  finalize(): void;
  initialized(): boolean;
}

let cached: { addon?: NativeMpi; reason?: string } | undefined;

/** The MPI addon, or why there is none (built without MPI, or its library fails to load). */
export function loadNativeMpi(): { addon?: NativeMpi; reason?: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    const bindings = require('bindings') as (name: string) => unknown;
    cached = { addon: bindings('nestflow_mpi') as NativeMpi };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    cached = {
      reason: /Could not locate the bindings file/.test(message)
        ? 'this nestflow was built without MPI: no MPI implementation was found when the addon was built, or NESTFLOW_MPI=OFF; install one (e.g. Debian\'s openmpi-bin and libopenmpi-dev), then npm run build:native'
        : `the MPI addon failed to load: ${message.split('\n')[0]}`,
    };
  }
  return cached;
}

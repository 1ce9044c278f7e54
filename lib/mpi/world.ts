/**
 * The MPI world of a run launched by `mpirun`, `mpiexec` or `srun`: rank 0
 * runs the sampler and the flow, every other rank evaluates slices of the
 * likelihood batches rank 0 hands out (see serve.ts). A run started without
 * a launcher has no world and runs in one process.
 */
import { loadNativeMpi, type NativeMpi, type NativeMpiMessage } from './native-mpi.js';
import { MPI_TAGS } from './messages.js';

/** Raised when a run is launched as several MPI processes but cannot use them. */
export class MpiUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MpiUnavailableError';
  }
}

/** What the launcher's environment says: how many processes it started (size unknown under PMIx until init). */
export function mpiLaunch(env: NodeJS.ProcessEnv = process.env): { size?: number; launcher: string } | undefined {
  const count = (v: string | undefined): number | undefined => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);
  const ompi = count(env.OMPI_COMM_WORLD_SIZE);
  if (ompi !== undefined) return ompi > 1 ? { size: ompi, launcher: 'Open MPI (mpirun)' } : undefined;
  const pmi = count(env.PMI_SIZE);
  if (pmi !== undefined) return pmi > 1 ? { size: pmi, launcher: 'PMI (mpiexec / srun --mpi=pmi2)' } : undefined;
  if (env.PMIX_RANK !== undefined) return { launcher: 'PMIx (srun --mpi=pmix)' };
  return undefined;
}

/** The implementation's name and version ("Open MPI v4.1.4"), from its longer self-description. */
function libraryName(mpi: NativeMpi): string {
  return mpi.libraryVersion().split('\n')[0]!.replace(/,.*$/, '');
}

/** One process of an MPI job, as nestflow uses it. */
export class MpiWorld {
  readonly rank: number;
  readonly size: number;
  /** The MPI implementation, as it describes itself. */
  readonly library: string;
  readonly #mpi: NativeMpi;
  #finalized = false;

  /** @internal use {@link openMpiWorld} */
  constructor(mpi: NativeMpi) {
    const { rank, size } = mpi.init();
    this.#mpi = mpi;
    this.rank = rank;
    this.size = size;
    this.library = libraryName(mpi);
  }

  /** @internal */
  send(dest: number, tag: number, data: ArrayBufferView): void {
    this.#mpi.send(dest, tag, data);
  }

  /** @internal The next message from `source` (any rank when omitted). */
  recv(source?: number): Promise<NativeMpiMessage> {
    return this.#mpi.recv(source);
  }

  /**
   * Ends this process's part in the job; every rank must call it before it
   * exits (an MPI job whose process leaves without it is aborted). On rank
   * 0 it first tells the other ranks to stop serving, so call it there
   * after the run (and its error, if any) is dealt with.
   */
  finalize(): void {
    if (this.#finalized) return;
    this.#finalized = true;
    if (this.rank === 0) for (let r = 1; r < this.size; r++) this.#mpi.send(r, MPI_TAGS.stop, new Uint8Array(0));
    this.#mpi.finalize();
  }
}

/**
 * The MPI world when this process was launched as one of several
 * (`mpirun -np N`, `srun`), else undefined. Initializes MPI. Throws
 * {@link MpiUnavailableError} when launched as several processes that
 * cannot work together (nestflow built without MPI, or a launcher that
 * does not match the MPI library) — carrying on would start N independent
 * runs writing the same files.
 */
export function openMpiWorld(env: NodeJS.ProcessEnv = process.env): MpiWorld | undefined {
  const launch = mpiLaunch(env);
  if (!launch) return undefined;
  const { addon, reason } = loadNativeMpi();
  if (!addon) throw new MpiUnavailableError(`launched by ${launch.launcher}${launch.size ? ` as ${launch.size} processes` : ''}, but ${reason}`);
  const world = new MpiWorld(addon);
  if (launch.size !== undefined && world.size !== launch.size) {
    world.finalize();
    throw new MpiUnavailableError(
      `launched by ${launch.launcher} as ${launch.size} processes, but MPI sees ${world.size}: the launcher and the MPI library nestflow was built with do not match (with srun, pass --mpi=pmix or --mpi=pmi2 as your site's MPI needs)`,
    );
  }
  return world;
}

/** The MPI implementation nestflow was built with, or why there is none (for `nestflow info`). */
export function mpiLibrary(): { library?: string; reason?: string } {
  const { addon, reason } = loadNativeMpi();
  return addon ? { library: libraryName(addon) } : { reason: reason ?? 'unknown' };
}

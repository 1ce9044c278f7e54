/**
 * Progress of a CLI run on stderr: a bar on a terminal (iteration, log Z, the
 * evidence left against the tolerance, nLike, efficiency, ETA), one line per
 * iteration in a batch log, nothing with --quiet.
 */
import cliProgress from 'cli-progress';
import type { IterationRecord, RunProgress } from './sampler/index.js';

/** e^logValue for display; beyond 1e±99 only the bound (early in a run the evidence left is astronomically many times what was found). */
export function fmtExp(logValue: number): string {
  const log10 = logValue / Math.LN10;
  if (Number.isNaN(log10)) return 'NaN';
  if (log10 > 99) return '>1e+99';
  if (log10 < -99) return '<1e-99';
  return Math.exp(logValue).toExponential(1);
}

/** A number with fixed digits, or its name when not finite. */
export function fmt(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** The progress display of one run: call onIteration after each iteration and stop at the end. */
export function runProgress(opts: { tolerance: number; nLive: number; quiet: boolean; workers?: number; ranks?: number }): {
  onIteration: (it: IterationRecord, totals: RunProgress) => void;
  /** Stops the display for good (before a last message, e.g. on a signal). */
  stop: () => void;
} {
  let stopped = false;
  const logTol = Math.log(opts.tolerance);
  const bar =
    process.stderr.isTTY && !opts.quiet
      ? new cliProgress.SingleBar(
          {
            format: 'nestflow |{bar}| it {iteration} | logZ {logZ} ± {err} | left {left} (tol {tol}) | nLike {nLike} | eff {eff} | like {like}s on {workers} | {elapsed}s, ETA {etaTime}',
            barsize: 24,
            hideCursor: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  // Where the likelihood runs, and how long the last iteration waited on it.
  const threads = (opts.workers ?? 1) > 1 ? `${opts.workers} workers` : 'main thread';
  const ranks = opts.ranks ?? 1;
  const workers = ranks > 1 ? `${ranks} MPI ranks${(opts.workers ?? 1) > 1 ? ` × ${opts.workers} workers` : ''}` : threads;
  bar?.start(1000, 0, { iteration: 0, logZ: '-', err: '-', left: '-', tol: opts.tolerance.toExponential(0), nLike: 0, eff: '-', like: '-', workers, elapsed: 0, etaTime: '-' });
  const onIteration = (it: IterationRecord, totals: RunProgress): void => {
    if (stopped) return;
    // The run's totals, a resumed run's earlier part included.
    const nLike = totals.nLike;
    // Progress: compression done against done + still needed; once the
    // likelihood has saturated, each nat of log X removes a nat of the
    // remaining-evidence ratio, so (log ratio − log tolerance) bounds what is left.
    const needed = Math.max(0, it.logRemaining - logTol);
    const frac = Number.isFinite(needed) ? -it.logX / (-it.logX + needed) : 0;
    const elapsed = totals.elapsedMs / 1000;
    const eta = frac > 0.02 ? (elapsed * (1 - frac)) / frac : NaN;
    if (bar) {
      bar.update(Math.round(frac * 1000), {
        iteration: it.iteration,
        logZ: fmt(it.logZ),
        err: fmt(it.logZErr),
        left: fmtExp(it.logRemaining),
        nLike,
        eff: fmt(it.efficiency, 2),
        like: (it.likelihoodMs / 1000).toFixed(1),
        workers,
        elapsed: elapsed.toFixed(0),
        etaTime: Number.isFinite(eta) ? `${eta.toFixed(0)}s` : '-',
      });
    } else if (!opts.quiet) {
      process.stderr.write(
        `it ${it.iteration} logX ${fmt(it.logX, 2)} logL* ${fmt(it.contour, 3)} logZ ${fmt(it.logZ)} ± ${fmt(it.logZErr)} left ${fmtExp(it.logRemaining)} nLike ${nLike} eff ${fmt(it.efficiency, 2)} stayed ${it.stayed} local ${it.unfound} KS-p ${fmt(it.insertionPValue, 2)} like ${(it.likelihoodMs / 1000).toFixed(1)}s on ${workers} ${elapsed.toFixed(1)}s\n`,
      );
    }
  };
  return {
    onIteration,
    stop: () => {
      if (!stopped) bar?.stop();
      stopped = true;
    },
  };
}

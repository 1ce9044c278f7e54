/**
 * Runs a fuzz case in a child process under a time limit and a memory
 * watchdog (its resident set, read from /proc while it runs), so a crash, a
 * hang or a huge allocation fails the case instead of the test process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ChildResult {
  /** The child's last stdout line, parsed (undefined if it printed none). */
  report: Record<string, unknown> | undefined;
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Largest resident set seen, in MB (the watchdog's view and the child's own report). */
  peakRssMB: number;
  stderr: string;
}

const rssMB = (pid: number): number => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
};

/** Runs `node script ...args` (plain JavaScript: a child must start fast); kills it past `timeoutMs` or `maxRssMB`. */
export function runChild(script: string, args: string[], limits: { timeoutMs: number; maxRssMB: number }): Promise<ChildResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let timedOut = false;
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const watch = setInterval(() => {
      if (p.pid === undefined) return;
      peak = Math.max(peak, rssMB(p.pid));
      if (peak > limits.maxRssMB) p.kill('SIGKILL');
    }, 10);
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, limits.timeoutMs);
    p.on('close', (status, signal) => {
      clearInterval(watch);
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop();
      let report: Record<string, unknown> | undefined;
      try {
        report = last ? (JSON.parse(last) as Record<string, unknown>) : undefined;
      } catch {
        report = undefined;
      }
      const own = typeof report?.maxRssMB === 'number' ? report.maxRssMB : 0;
      resolve({ report, status, signal, timedOut, peakRssMB: Math.max(peak, own), stderr });
    });
  });
}

/** Whether the child crashed, hung or grew past the memory limit (whatever it printed). */
export function childFailed(r: ChildResult, limits: { maxRssMB: number }): boolean {
  return r.status !== 0 || r.timedOut || r.peakRssMB >= limits.maxRssMB;
}

/** One line saying how a child ended, for a failure message. */
export function describeChild(name: string, r: ChildResult): string {
  return `${name}: status ${r.status} ${r.signal ?? ''}${r.timedOut ? ' timed out' : ''} rss ${r.peakRssMB.toFixed(0)} MB ${JSON.stringify(r.report)} ${r.stderr.slice(-500)}`;
}

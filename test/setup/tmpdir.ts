/**
 * One temporary folder per test run, removed when the run ends: the tests,
 * the CLIs and MPI jobs they start, and the workers' module files all write
 * under os.tmpdir(), which follows TMPDIR, so nothing is left in /tmp.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'nestflow-test-'));
  process.env.TMPDIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}

#!/usr/bin/env node
// Builds the addon on `npm install`: the package's prebuilt addon when it
// loads here, else cmake-js when cmake exists, else node-gyp (CPU only).
// Skips when a build exists unless --force.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const force = process.argv.includes('--force');
const built = join(root, 'build', 'Release', 'nestflow.node');

if (!force && existsSync(built) && process.env.NESTFLOW_REBUILD !== '1') {
  console.log(`nestflow: using existing ${built} (npm run build:native to rebuild)`);
  process.exit(0);
}

const hasCmake = spawnSync('cmake', ['--version'], { stdio: 'ignore' }).status === 0;
// A package install ships an addon for its platform: use it when it loads,
// unless this machine could also build the MPI addon (cmake and an MPI
// compiler wrapper), which no prebuilt file can carry.
const prebuilt = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nestflow.node');
const canBuildMpi = hasCmake && spawnSync('mpicc', ['--version'], { stdio: 'ignore' }).status === 0 && process.env.NESTFLOW_MPI !== 'OFF';
if (!force && process.env.NESTFLOW_REBUILD !== '1' && existsSync(prebuilt) && !canBuildMpi) {
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(prebuilt)})`], { stdio: 'pipe', encoding: 'utf8' });
  if (probe.status === 0) {
    console.log(`nestflow: using the prebuilt addon ${prebuilt} (npm run build:native compiles one here)`);
    process.exit(0);
  }
  console.warn(`nestflow: the prebuilt addon does not load here (${probe.stderr.trim().split('\n')[0]}); compiling`);
}

function run(cmd, args) {
  console.log(`nestflow: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  return r.status === 0;
}

const cuda = process.env.NESTFLOW_CUDA ?? 'AUTO';
const mpi = process.env.NESTFLOW_MPI ?? 'AUTO';
if (hasCmake) {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const build = (c, m) => run(process.execPath, [cmakeJs, 'rebuild', `--CDNESTFLOW_CUDA=${c}`, `--CDNESTFLOW_MPI=${m}`]);
  // Each optional part that fails to build is dropped, never the whole addon.
  if (build(cuda, mpi)) process.exit(0);
  if (cuda !== 'OFF' && build('OFF', mpi)) {
    console.warn('nestflow: the CUDA build failed; built the CPU backend only');
    process.exit(0);
  }
  if (mpi !== 'OFF' && build('OFF', 'OFF')) {
    console.warn('nestflow: the MPI addon failed to build; built without MPI (one process per run)');
    process.exit(0);
  }
  console.warn('nestflow: cmake-js failed; trying node-gyp (CPU only)');
}
const gyp = process.env.npm_config_node_gyp;
const ok = gyp ? run(process.execPath, [gyp, 'rebuild']) : run('node-gyp', ['rebuild']);
process.exit(ok ? 0 : 1);

#!/usr/bin/env node
// The command line (run, plot, ... come with their issues); `info` for now.
import { Flow } from './flow.js';
import { loadNative } from './native.js';
import { VERSION } from './version.js';

const [command] = process.argv.slice(2);
if (command === 'info') {
  const flow = new Flow({ dim: 2 });
  const { backend, threads } = flow.info;
  console.log(`nestflow ${VERSION}\nbackend: ${backend}\nthreads: ${threads}\ngemm kernel: ${loadNative().testing.gemmKernel}`);
} else {
  console.error(`usage: nestflow info${command ? `\nunknown command: ${command}` : ''}`);
  process.exit(2);
}

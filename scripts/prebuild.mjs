#!/usr/bin/env node
// npm pack / publish (prepack): ship the addon compiled here as
// prebuilds/<platform>-<arch>/nestflow.node, so an install on the same
// platform needs no compiler and no install script. The MPI addon is not
// shipped: it must match the MPI library of the machine that runs it.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'build', 'Release', 'nestflow.node');
if (!existsSync(built)) {
  console.error(`nestflow: no ${built} to ship; run npm run build:native first`);
  process.exit(1);
}
const target = join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'nestflow.node');
mkdirSync(dirname(target), { recursive: true });
copyFileSync(built, target);
console.log(`nestflow: shipping ${target}`);

// Whether dist/server must be built again (scripts/buildServer.js), decided
// without loading esbuild: the build records every source file it read
// (dist/server/build.json) and the time it started; the outputs are stale
// when one of those files, the build script itself or the installed packages
// (package-lock.json, node_modules/.package-lock.json) changed since, or an
// output is missing. About fifty stat calls: under a millisecond.
//
// CommonJS so `npm run relay` (scripts/relay.cjs) can run the relay without
// starting Node's ES module loader, which costs about 1 MB at idle.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (above) */
'use strict';
const { existsSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const outdir = join(root, 'dist', 'server');
const stampPath = join(outdir, 'build.json');
/** What else, besides the sources a build read, makes its outputs stale. */
const alwaysInputs = [
  'scripts/buildServer.js',
  'package-lock.json',
  'node_modules/.package-lock.json'
];

/** @returns {boolean} */
function serverIsStale() {
  /** @type {{ startedAt: number, outputs: string[], inputs: string[] }} */
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return true;
  }
  if (!Array.isArray(stamp.outputs) || !Array.isArray(stamp.inputs)) return true;
  if (!stamp.outputs.every((file) => existsSync(join(root, file)))) return true;
  for (const file of [...stamp.inputs, ...alwaysInputs]) {
    let mtime;
    try {
      mtime = statSync(join(root, file)).mtimeMs;
    } catch {
      // A source the build read is gone; the extra inputs may be absent.
      if (alwaysInputs.includes(file)) continue;
      return true;
    }
    if (mtime > stamp.startedAt) return true;
  }
  return false;
}

module.exports = { serverIsStale, root, outdir, stampPath };

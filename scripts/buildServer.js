// Compiles the server (TypeScript in server/, with the shared model in
// src/lib/model) to plain JavaScript in dist/server, so `npm start` and
// `npm run relay` run it with node alone: no TypeScript compiler at run time
// (about 40 MB and 0.7 s of start-up saved). Packages stay external.
import { build } from 'esbuild';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'server');
const entries = ['main', 'relayMain'];

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/server is older than any server or model source. */
export function serverIsStale() {
  const outputs = entries.map((name) => join(outdir, `${name}.js`));
  if (!outputs.every(existsSync)) return true;
  const built = Math.min(...outputs.map((path) => statSync(path).mtimeMs));
  const sources = Math.max(
    newestMtime(join(root, 'server')),
    newestMtime(join(root, 'src', 'lib', 'model')),
    statSync(join(root, 'package-lock.json')).mtimeMs
  );
  return sources > built;
}

export async function buildServer() {
  await build({
    entryPoints: entries.map((name) => join(root, 'server', `${name}.ts`)),
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning'
  });
}

export async function buildServerIfStale() {
  if (serverIsStale()) await buildServer();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildServer();
}

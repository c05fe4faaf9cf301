// `npm start`: build the app when its sources are newer than the build, then
// run the server. Keeps a newcomer's first command a single one.
//
// The server runs in this process (not a child), so a signal to it is a
// signal to the server: SIGTERM and SIGINT flush every document and exit
// (server/lifecycle.ts). package.json's `exec` makes npm's shell hand its
// place to this process, so the SIGTERM that `docker stop` or a service
// manager sends npm, which npm forwards to its child, arrives here too.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const handler = join(root, 'build', 'handler.js');

/** @param {string} dir @returns {number} */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function buildIfStale() {
  const sources = ['src', 'static'].map((d) => join(root, d)).filter(existsSync);
  const configFiles = ['svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((f) =>
    join(root, f)
  );
  const sourceTime = Math.max(
    ...sources.map(newestMtime),
    ...configFiles.filter(existsSync).map((f) => statSync(f).mtimeMs)
  );
  if (existsSync(handler) && statSync(handler).mtimeMs >= sourceTime) return;
  console.log('Building the app (first start or sources changed)…');
  const build = spawn(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build'], {
    cwd: root,
    stdio: 'inherit'
  });
  // Stopped while building: the build stops too, and so does this process.
  const stop = (/** @type {NodeJS.Signals} */ signal) => build.kill(signal);
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const [code] = await once(build, 'exit');
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  if (code !== 0) process.exit(code ?? 1);
}

// DRIFTWRITE_BUILD_DIR names an app built elsewhere (server/main.ts serves
// it); it is used as it is, never rebuilt.
if (!process.env.DRIFTWRITE_BUILD_DIR) await buildIfStale();

// The server runs compiled (plain JavaScript), in this process.
const { buildServerIfStale } = await import('./buildServer.js');
await buildServerIfStale();
await import(new URL('../dist/server/main.js', import.meta.url).href);

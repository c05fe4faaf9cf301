// `npm start`: build the app when its sources are newer than the build, then
// run the server. Keeps a newcomer's first command a single one.
import { spawnSync, spawn } from 'node:child_process';
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

const sources = ['src', 'static'].map((d) => join(root, d)).filter(existsSync);
const configFiles = ['svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((f) =>
  join(root, f)
);
const sourceTime = Math.max(
  ...sources.map(newestMtime),
  ...configFiles.filter(existsSync).map((f) => statSync(f).mtimeMs)
);
if (!existsSync(handler) || statSync(handler).mtimeMs < sourceTime) {
  console.log('Building the app (first start or sources changed)…');
  const build = spawnSync(
    process.execPath,
    [join(root, 'node_modules/vite/bin/vite.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit'
    }
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const server = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
  cwd: root,
  stdio: 'inherit'
});
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(signal, () => server.kill(signal));
}
server.on('exit', (code) => process.exit(code ?? 0));

// Compiles the server (TypeScript in server/, with the shared model in
// src/lib/model) to plain JavaScript in dist/server, so `npm start` and
// `npm run relay` run it with node alone: no TypeScript compiler at run time.
//
// - dist/server/relayMain.cjs (`npm run relay`): one CommonJS file holding
//   every package but better-sqlite3 (native), minified. Node then reads and
//   compiles one file instead of resolving and loading ~150 modules through
//   the ES module loader: about 190 → 115 ms to the first HTTP answer and
//   ~9 MB less resident memory at idle. Modules the relay loads lazily
//   (the HTTP API, jose and zod) stay in the file, wrapped, run on first use.
// - dist/server/main.js (`npm start`): ES module, packages external, since
//   the SvelteKit handler it loads imports the same packages (yjs) from
//   node_modules and there must be one copy of each.
//
// Minifying shortens identifiers too (0.6 MB less at idle than whitespace and
// syntax alone): for stack traces in source names, run the relay with
// NODE_OPTIONS=--enable-source-maps, which reads the map written beside it. esbuild is imported only when a build runs: loading it costs
// ~90 ms and ~14 MB; scripts/serverStale.cjs decides without it.
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import stale from './serverStale.cjs';

const { root, outdir, stampPath, serverIsStale } = stale;
export { serverIsStale };

export async function buildServer() {
  const { build } = await import('esbuild');
  const startedAt = Date.now();
  /** @type {import('esbuild').BuildOptions} */
  const common = {
    absWorkingDir: root, // metafile paths relative to the project
    bundle: true,
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning'
  };
  const outputs = {
    relay: join(outdir, 'relayMain.cjs'),
    main: join(outdir, 'main.js')
  };
  const results = await Promise.all([
    build({
      ...common,
      entryPoints: [join(root, 'server', 'relayMain.ts')],
      outfile: outputs.relay,
      format: 'cjs',
      external: ['better-sqlite3'],
      minify: true
    }),
    build({
      ...common,
      entryPoints: [join(root, 'server', 'main.ts')],
      outfile: outputs.main,
      format: 'esm',
      packages: 'external'
    })
  ]);
  const inputs = new Set();
  for (const { metafile } of results) {
    for (const input of Object.keys(metafile?.inputs ?? {})) {
      // Packages change with the lock files, which serverStale.cjs always checks.
      if (!input.includes('node_modules/')) inputs.add(input);
    }
  }
  const stamp = {
    startedAt,
    outputs: Object.values(outputs).map((path) => relative(root, path)),
    inputs: [...inputs].sort()
  };
  writeFileSync(stampPath, JSON.stringify(stamp, null, 2) + '\n');
}

export async function buildServerIfStale() {
  if (serverIsStale()) await buildServer();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildServer();
}

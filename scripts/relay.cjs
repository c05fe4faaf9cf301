// `npm run relay`: the relay alone, compiled (scripts/buildServer.js) when its
// sources changed, then run with plain node in this process, so signals
// reach it directly.
//
// CommonJS, like the bundle it runs (dist/server/relayMain.cjs): the relay
// starts without Node's ES module loader (faster, ~1 MB less at idle). esbuild
// is loaded only when a build is needed.
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose (above) */
'use strict';
const { serverIsStale } = require('./serverStale.cjs');

const run = () => require('../dist/server/relayMain.cjs');

if (serverIsStale()) {
  import('./buildServer.js')
    .then(({ buildServer }) => buildServer())
    .then(run, (error) => {
      console.error(`Could not build the relay: ${error instanceof Error ? error.message : error}`);
      process.exit(1);
    });
} else {
  run();
}

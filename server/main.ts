/** `npm start`: the app and the relay in one Node process. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configFromEnv } from './config.js';
import { startServer, type AppHandler } from './createServer.js';
import { closeOnSignals } from './lifecycle.js';
import { removePidFile, writePidFile } from './store/pidFile.js';
import { consoleLogger as logger } from './relay/logger.js';
import { projectRoot } from './paths.js';

// DRIFTWRITE_BUILD_DIR: an app built somewhere other than build/ (tests use it).
const buildDir = process.env.DRIFTWRITE_BUILD_DIR?.trim();
const handlerPath = buildDir
  ? join(resolve(buildDir), 'handler.js')
  : join(projectRoot(), 'build', 'handler.js');

async function main() {
  const config = configFromEnv();
  if (!existsSync(handlerPath)) {
    throw new Error('The app is not built yet: run `npm run build` (npm start does it for you).');
  }
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as { handler: AppHandler };
  const running = await startServer({ ...config, appHandler: handler, logger });
  writePidFile(config.dataDir);
  process.on('exit', () => removePidFile(config.dataDir));
  closeOnSignals(running, logger);
  logger.info('ready', { url: running.url, dataDir: config.dataDir });
  const base = config.publicUrl ?? running.url.replace('127.0.0.1', 'localhost');
  const ownerLink = await running.access?.ownerLink();
  if (ownerLink) {
    // Like a notebook server's token URL: the first person to open it owns the workspace.
    console.log(
      `\n  Open this link to create your workspace and sign in as its owner:\n\n    ${base}${ownerLink}\n\n` +
        '  It works once and expires in 7 days; a new one is printed at each start until used.\n' +
        '  Invite others from the app (Share) or with: npm run invite -- --role editor\n'
    );
  } else {
    console.log(`\n  Open ${base} in your browser.\n`);
  }
}

main().catch((error) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

/** `npm run relay`: the relay alone, for deployments that host the app elsewhere. */
import { configFromEnv } from './config.js';
import { startServer } from './createServer.js';
import { closeOnSignals } from './lifecycle.js';
import { removePidFile, writePidFile } from './store/pidFile.js';
import { consoleLogger as logger } from './relay/logger.js';

async function main() {
  const config = configFromEnv();
  // Nothing is opened before someone connects (see openOnFirstUse.ts).
  const running = await startServer({ ...config, logger, openStoresOnFirstUse: true });
  writePidFile(config.dataDir);
  process.on('exit', () => removePidFile(config.dataDir));
  closeOnSignals(running, logger);
  logger.info('relay ready', {
    url: running.url.replace('http', 'ws') + '/sync',
    dataDir: config.dataDir
  });
}

main().catch((error) => {
  console.error(
    `Could not start the relay: ${error instanceof Error ? error.message : String(error)}`
  );
  process.exit(1);
});

/** `npm start`: the app and the relay in one Node process. */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configFromEnv } from './config.js';
import { startServer, type AppHandler } from './createServer.js';
import { closeOnSignals } from './lifecycle.js';
import { consoleLogger as logger } from './relay/logger.js';

const handlerPath = fileURLToPath(new URL('../build/handler.js', import.meta.url));

async function main() {
  const config = configFromEnv();
  if (!existsSync(handlerPath)) {
    throw new Error('The app is not built yet: run `npm run build` (npm start does it for you).');
  }
  const { handler } = (await import(pathToFileURL(handlerPath).href)) as { handler: AppHandler };
  const running = await startServer({ ...config, appHandler: handler, logger });
  closeOnSignals(running, logger);
  logger.info('ready', { url: running.url, dataDir: config.dataDir });
  console.log(`\n  Open ${running.url.replace('127.0.0.1', 'localhost')} in your browser.\n`);
}

main().catch((error) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

import type { RunningServer } from './createServer.js';
import type { Logger } from './relay/logger.js';

/** SIGTERM and SIGINT flush every document and close sockets before exiting. */
export function closeOnSignals(running: RunningServer, logger: Logger): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: flushing documents', { signal });
    running.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (error) => {
        logger.error('shutdown failed', { error: String(error) });
        process.exit(1);
      }
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * One HTTP server that serves the built app (when given its handler) and the
 * relay at /sync/<room>. Returned as an object with `close()`, so tests and
 * benchmarks start as many as they like on port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Relay, type AccessHooks } from './relay/Relay.js';
import { attachRelay } from './attachRelay.js';
import { SqliteStore } from './store/SqliteStore.js';
import type { Store } from './store/Store.js';
import { consoleLogger, type Logger } from './relay/logger.js';
import type { ServerConfig } from './config.js';

export type AppHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface StartOptions extends Partial<ServerConfig> {
  /** The SvelteKit adapter-node handler; without it only the relay is served. */
  appHandler?: AppHandler;
  /** Defaults to SQLite at DATA_DIR/relay.sqlite. */
  store?: Store;
  hooks?: AccessHooks;
  logger?: Logger;
  compactAfterUpdates?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  relay: Relay;
  store: Store;
  /** Flushes every document, closes sockets and the store. */
  close(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? consoleLogger;
  const dataDir = options.dataDir ?? './data';
  const store = options.store ?? new SqliteStore(join(dataDir, 'relay.sqlite'));
  const relay = new Relay({
    store,
    logger,
    hooks: options.hooks,
    idleUnloadMs: options.idleUnloadMs,
    compactAfterUpdates: options.compactAfterUpdates
  });

  const server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ...relay.stats() }));
      return;
    }
    if (options.appHandler) {
      options.appHandler(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('This is the sync relay: connect a y-websocket client to /sync/<room>.');
  });
  const attached = attachRelay(server, relay, {
    logger,
    maxMessageBytes: options.maxMessageBytes,
    exclusive: true
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    attached.detach();
    await relay.close();
    if (!options.store) await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port} on ${options.host ?? '127.0.0.1'} is already in use; ` +
          'stop the other server or set PORT to a free port',
        { cause: error }
      );
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    relay,
    store,
    close() {
      closing ??= (async () => {
        attached.detach();
        await relay.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (!options.store) await store.close();
      })();
      return closing;
    }
  };
}

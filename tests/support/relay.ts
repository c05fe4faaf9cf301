import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { applySnapshot } from '../../server/store/Store.js';
import { WebsocketProvider } from 'y-websocket';
import { startServer, type RunningServer, type StartOptions } from '../../server/createServer.js';
import { createLogger, type Logger } from '../../server/relay/logger.js';
import type { Store } from '../../server/store/Store.js';
import { waitFor } from './poll.js';

export interface TestRelay extends RunningServer {
  wsUrl: string;
  dataDir: string;
  logs: { level: string; message: string; [key: string]: unknown }[];
  /** Stops the server; the data directory stays for a restart. */
  stop(): Promise<void>;
  /** Removes the data directory. */
  cleanup(): void;
}

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'driftwrite-test-'));
}

/** A real relay on port 0 with SQLite in a temporary directory. */
export async function startTestRelay(options: StartOptions = {}): Promise<TestRelay> {
  const dataDir = options.dataDir ?? tempDataDir();
  const logs: TestRelay['logs'] = [];
  const logger: Logger = createLogger('debug', (line) => logs.push(JSON.parse(line)));
  // Relay mechanics are tested with open access; access tests pass
  // `insecureOpenAccess: false` and connect with credentials.
  const running = await startServer({
    idleUnloadMs: 60_000,
    insecureOpenAccess: true,
    ...options,
    dataDir,
    logger
  });
  return {
    ...running,
    wsUrl: running.url.replace(/^http/, 'ws') + '/sync',
    dataDir,
    logs,
    stop: () => running.close(),
    cleanup: () => rmSync(dataDir, { recursive: true, force: true })
  };
}

/** A standard y-websocket client in Node, exactly as a third party would use it. */
export function connectProvider(
  wsUrl: string,
  room: string,
  doc = new Y.Doc(),
  options: { connect?: boolean; token?: string } = {}
): WebsocketProvider {
  return new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: options.connect ?? true,
    params: options.token ? { token: options.token } : {}
  });
}

/**
 * Rebuilds a room's document from what the store holds, exactly as the relay
 * loads it; throws if any stored byte fails to apply, so a test can assert
 * that nothing unreadable was stored.
 */
export async function docFromStore(store: Store, room: string): Promise<Y.Doc> {
  const stored = await store.load(room);
  const doc = new Y.Doc();
  applySnapshot(doc, stored);
  for (const update of stored.updates) Y.applyUpdate(doc, update.data);
  return doc;
}

/** Waits until a provider has had the relay's first sync answer. */
export function whenSynced(
  provider: WebsocketProvider,
  message = 'provider synced'
): Promise<boolean> {
  return waitFor(() => provider.synced, { message });
}

/**
 * Everything a test opened, destroyed in reverse order in `afterEach`, so a
 * failing assertion never leaks a socket or a server into the next test.
 */
export class Resources {
  private disposers: (() => unknown)[] = [];

  add<T>(value: T, dispose: (value: T) => unknown): T {
    this.disposers.push(() => dispose(value));
    return value;
  }

  relay(relay: TestRelay): TestRelay {
    return this.add(relay, async (r) => {
      await r.stop();
      r.cleanup();
    });
  }

  /** A provider and its document, destroyed together. */
  provider(provider: WebsocketProvider): WebsocketProvider {
    return this.add(provider, (p) => {
      p.destroy();
      p.doc.destroy();
    });
  }

  async disposeAll(): Promise<void> {
    const disposers = this.disposers.reverse();
    this.disposers = [];
    const errors: unknown[] = [];
    for (const dispose of disposers) {
      try {
        await dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** The plain text a test client wrote into the `body` Y.Text of its document. */
export function bodyText(provider: WebsocketProvider): string {
  return provider.doc.getText('body').toString();
}

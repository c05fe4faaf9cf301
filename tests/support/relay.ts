import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { startServer, type RunningServer, type StartOptions } from '../../server/createServer.js';
import { createLogger, type Logger } from '../../server/relay/logger.js';

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
  const running = await startServer({ idleUnloadMs: 60_000, ...options, dataDir, logger });
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
  options: { connect?: boolean } = {}
): WebsocketProvider {
  return new WebsocketProvider(wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    connect: options.connect ?? true
  });
}

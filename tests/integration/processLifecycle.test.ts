/**
 * The relay as a real process: a write the relay has forwarded survives
 * kill -9, and SIGTERM flushes and exits 0. `npm start` as a service manager
 * runs it: SIGTERM to npm stops the server too, flushed, with nothing left
 * behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { applySnapshot } from '../../server/store/Store.js';
import { WebsocketProvider } from 'y-websocket';
import {
  Resources,
  bodyText,
  connectProvider,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { spawnRelay, type ChildExit, type ChildRelay } from '../support/childRelay.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { Access } from '../../server/auth/Access.js';
import { SqliteAccessStore } from '../../server/auth/SqliteAccessStore.js';
import { loadOrCreateSecret } from '../../server/auth/secret.js';
import { DEFAULT_WORKSPACE_ID } from '../../src/lib/model/rooms.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.process';

async function startChild(dataDir: string): Promise<ChildRelay> {
  return resources.add(await spawnRelay(dataDir), (relay) => relay.stop('SIGKILL'));
}

function useDataDir(): string {
  return resources.add(tempDataDir(), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** Writes through one client and returns once another client has received it from the relay. */
async function writeAndSeeForwarded(wsUrl: string, token: string, content: string): Promise<void> {
  const writer = resources.provider(connectProvider(wsUrl, ROOM, undefined, { token }));
  const reader = resources.provider(connectProvider(wsUrl, ROOM, undefined, { token }));
  await whenSynced(writer);
  await whenSynced(reader);
  writer.doc.getText('body').insert(bodyText(writer).length, content);
  await waitFor(() => bodyText(reader).endsWith(content), {
    message: 'the relay to forward the edit'
  });
  // Stop the providers now: after the relay dies they would only retry.
  writer.destroy();
  reader.destroy();
}

describe('relay process', () => {
  it('keeps an update it forwarded when killed with SIGKILL', async () => {
    const dataDir = useDataDir();
    const token = await scriptCredential(dataDir);
    const first = await startChild(dataDir);
    await writeAndSeeForwarded(first.wsUrl, token, 'Written just before the crash.');

    const exit = await first.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    const second = await startChild(dataDir);
    const fresh = resources.provider(connectProvider(second.wsUrl, ROOM, undefined, { token }));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('Written just before the crash.');

    // It came from the log written before the kill: no shutdown flush ran.
    const db = resources.add(new Database(join(dataDir, 'relay.sqlite'), { readonly: true }), (d) =>
      d.close()
    );
    const count = (sql: string) => (db.prepare(sql).get(ROOM) as { n: number }).n;
    expect(count('SELECT count(*) AS n FROM snapshots WHERE room = ?')).toBe(0);
    expect(count('SELECT count(*) AS n FROM updates WHERE room = ?')).toBeGreaterThan(0);
  });

  it('flushes and exits 0 on SIGTERM, keeping the data', async () => {
    const dataDir = useDataDir();
    const token = await scriptCredential(dataDir);
    const relay = await startChild(dataDir);
    await writeAndSeeForwarded(relay.wsUrl, token, 'Kept through a clean shutdown.');
    // A client still connected at shutdown must not keep the process alive.
    const lingering = resources.provider(connectProvider(relay.wsUrl, ROOM, undefined, { token }));
    await whenSynced(lingering);

    const exit = await relay.stop('SIGTERM');
    expect(exit, relay.output()).toEqual({ code: 0, signal: null });
    expect(relay.output()).toContain('stopped cleanly');

    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    try {
      // The graceful path compacted the room: everything is in the snapshot.
      expect(store.storedBytes(ROOM).logEntries).toBe(0);
      const { snapshot } = store.load(ROOM);
      expect(snapshot).not.toBeNull();
    } finally {
      store.close();
    }

    // Any relay on the same data directory will do; in-process saves a process start.
    const restarted = resources.relay(await startTestRelay({ dataDir, insecureOpenAccess: false }));
    const fresh = resources.provider(connectProvider(restarted.wsUrl, ROOM, undefined, { token }));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('Kept through a clean shutdown.');
  });

  it('opens the store at the first connection, not at start', async () => {
    const dataDir = useDataDir();
    const token = await scriptCredential(dataDir);
    const relay = await startChild(dataDir);
    const storeOpen = () => openFiles(relay.child.pid!).some((f) => f.endsWith('relay.sqlite'));
    expect(storeOpen()).toBe(false);
    await writeAndSeeForwarded(relay.wsUrl, token, 'Opened on demand.');
    expect(storeOpen()).toBe(true);
    const exit = await relay.stop('SIGTERM');
    expect(exit, relay.output()).toEqual({ code: 0, signal: null });
  });

  it('refuses to start on a store file that is not a database, leaving it untouched', async () => {
    const dataDir = useDataDir();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'relay.sqlite'), 'not a database, just text\n'.repeat(100));
    await expect(spawnRelay(dataDir)).rejects.toThrow(/file is not a database.*left untouched/s);
    expect(readdirSync(dataDir)).toEqual(['relay.sqlite']);
  });
});

/** Paths the process holds open. */
function openFiles(pid: number): string[] {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).flatMap((fd) => {
    try {
      return [readlinkSync(join(dir, fd))];
    } catch {
      return [];
    }
  });
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A stand-in for the built app, so this test needs no `vite build`. */
function useStubBuild(): string {
  const dir = useDataDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, 'handler.js'),
    "export function handler(req, res) { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('stub app'); }\n"
  );
  return dir;
}

/** A credential for a script, issued the way `npm run token` does. */
async function scriptCredential(dataDir: string): Promise<string> {
  const store = new SqliteAccessStore(join(dataDir, 'relay.sqlite'));
  try {
    const access = new Access({
      store,
      secret: loadOrCreateSecret(dataDir).secret,
      workspaceId: DEFAULT_WORKSPACE_ID
    });
    return (await access.issueToken({ role: 'editor', name: 'lifecycle test' })).credential;
  } finally {
    store.close();
  }
}

interface NpmStart {
  pid: number;
  url: string;
  port: number;
  exited: Promise<ChildExit>;
  output(): string;
}

/**
 * `npm start` in a process group of its own (as a container's or a service
 * manager's), so the test can tell whether anything it started outlives it.
 */
async function startNpm(
  dataDir: string,
  buildDir: string,
  script: 'start' | 'relay' = 'start'
): Promise<NpmStart> {
  const ready = script === 'start' ? 'ready' : 'relay ready';
  const child = spawn('npm', ['run', script], {
    cwd: repoRoot,
    detached: true,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DRIFTWRITE_BUILD_DIR: buildDir,
      LOG_LEVEL: 'info',
      npm_config_update_notifier: 'false'
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  const pid = child.pid!;
  resources.add(pid, (group) => {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Nothing left in the group.
    }
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  let url = '';
  await waitFor(
    () => {
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { message?: string; url?: string };
        // The relay alone names its socket URL (ws://host:port/sync).
        if (entry.message === ready && entry.url)
          url = entry.url.replace(/^ws/, 'http').replace(/\/sync$/, '');
      }
      if (!url && child.exitCode !== null) throw new Error(`npm ${script} exited:\n${output}`);
      return url !== '';
    },
    { timeoutMs: 20_000, message: `npm ${script} to be ready` }
  );
  return { pid, url, port: Number(new URL(url).port), exited, output: () => output };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean).map(Number);
}

describe('npm start', () => {
  // npm: what `docker stop` and service managers signal; the server: what
  // `kill <pid>` of the Node process does (npm start runs the server in it).
  it.each(['npm', 'the server'])('stops the server, flushed, on SIGTERM to %s', async (target) => {
    const dataDir = useDataDir();
    const token = await scriptCredential(dataDir);
    const npm = await startNpm(dataDir, useStubBuild());
    await expect(fetch(npm.url).then((r) => r.text())).resolves.toBe('stub app');

    const wsUrl = npm.url.replace(/^http/, 'ws') + '/sync';
    const provider = () =>
      resources.provider(
        new WebsocketProvider(wsUrl, ROOM, new Y.Doc(), {
          WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
          disableBc: true,
          params: { token }
        })
      );
    const writer = provider();
    const reader = provider();
    await whenSynced(writer);
    await whenSynced(reader);
    writer.doc.getText('body').insert(0, 'Kept through docker stop.');
    await waitFor(() => bodyText(reader) === 'Kept through docker stop.', {
      message: 'the relay to forward the edit'
    });
    writer.destroy();
    // Still connected at shutdown, as a browser would be.
    expect(reader.wsconnected).toBe(true);

    const [server, ...others] = childrenOf(npm.pid);
    expect(others, 'npm runs one process').toEqual([]);
    process.kill(target === 'npm' ? npm.pid : server, 'SIGTERM');
    const exit = await npm.exited;
    await waitFor(() => !groupAlive(npm.pid), {
      timeoutMs: 5_000,
      message: `every process npm start ran to exit (none left serving):\n${npm.output()}`
    });
    reader.destroy();
    await expect(acceptsConnections(npm.port)).resolves.toBe(false);
    // npm reports the server's own clean exit.
    expect(exit, npm.output()).toEqual({ code: 0, signal: null });
    expect(npm.output()).toContain('stopped cleanly');

    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    try {
      // Flushed on the way out: the room is one snapshot, holding the edit.
      expect(store.storedBytes(ROOM).logEntries).toBe(0);
      const loaded = store.load(ROOM);
      expect(loaded.snapshot).not.toBeNull();
      const doc = new Y.Doc();
      applySnapshot(doc, loaded);
      expect(doc.getText('body').toString()).toBe('Kept through docker stop.');
    } finally {
      store.close();
    }
  });
});

describe('npm run relay', () => {
  it('starts the compiled relay and stops it, flushed, on SIGTERM to npm', async () => {
    const dataDir = useDataDir();
    const token = await scriptCredential(dataDir);
    const npm = await startNpm(dataDir, useStubBuild(), 'relay');
    const health = (await fetch(`${npm.url}/healthz`).then((r) => r.json())) as { ok: boolean };
    expect(health.ok).toBe(true);

    const wsUrl = npm.url.replace(/^http/, 'ws') + '/sync';
    await writeAndSeeForwarded(wsUrl, token, 'Kept through npm run relay.');
    const [relay, ...others] = childrenOf(npm.pid);
    expect(relay, 'npm runs the relay in one process').toBeDefined();
    expect(others).toEqual([]);

    process.kill(npm.pid, 'SIGTERM');
    const exit = await npm.exited;
    await waitFor(() => !groupAlive(npm.pid), {
      timeoutMs: 5_000,
      message: `every process npm run relay ran to exit:\n${npm.output()}`
    });
    expect(exit, npm.output()).toEqual({ code: 0, signal: null });
    expect(npm.output()).toContain('stopped cleanly');

    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    try {
      expect(store.storedBytes(ROOM).logEntries).toBe(0);
      const doc = new Y.Doc();
      applySnapshot(doc, store.load(ROOM));
      expect(doc.getText('body').toString()).toBe('Kept through npm run relay.');
    } finally {
      store.close();
    }
  });
});

/**
 * The relay as a real process: a write the relay has forwarded survives
 * kill -9, and SIGTERM flushes and exits 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  Resources,
  bodyText,
  connectProvider,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { spawnRelay, type ChildRelay } from '../support/childRelay.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';

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
async function writeAndSeeForwarded(wsUrl: string, content: string): Promise<void> {
  const writer = resources.provider(connectProvider(wsUrl, ROOM));
  const reader = resources.provider(connectProvider(wsUrl, ROOM));
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
    const first = await startChild(dataDir);
    await writeAndSeeForwarded(first.wsUrl, 'Written just before the crash.');

    const exit = await first.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    const second = await startChild(dataDir);
    const fresh = resources.provider(connectProvider(second.wsUrl, ROOM));
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
    const relay = await startChild(dataDir);
    await writeAndSeeForwarded(relay.wsUrl, 'Kept through a clean shutdown.');
    // A client still connected at shutdown must not keep the process alive.
    const lingering = resources.provider(connectProvider(relay.wsUrl, ROOM));
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
    const restarted = resources.relay(await startTestRelay({ dataDir }));
    const fresh = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('Kept through a clean shutdown.');
  });
});

/**
 * The relay's store stays lean while keeping every promise: updates that
 * arrive together share one transaction (and none is forwarded before it is
 * durable), snapshots are V2, old V1 snapshots still load, and space freed by
 * compaction goes back to the file system.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { seededRandom } from '../support/random.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { Store } from '../../server/store/Store.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

function useDataDir(): string {
  return resources.add(tempDataDir(), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** A SQLite store that records each transaction's size and how many updates are stored. */
function countingStore(dataDir: string) {
  const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
  const counts = { batches: [] as number[], stored: 0 };
  const store: Store = {
    load: (room) => sqlite.load(room),
    append: (room, data) => sqlite.append(room, data),
    appendMany: (entries) => {
      counts.batches.push(entries.length);
      const ids = sqlite.appendMany(entries);
      counts.stored += entries.length;
      return ids;
    },
    compact: (room, snapshot, throughId, format) =>
      sqlite.compact(room, snapshot, throughId, format),
    quarantine: (room, ids, reason) => sqlite.quarantine(room, ids, reason),
    rooms: () => sqlite.rooms(),
    close: () => {}
  };
  return { sqlite, store, counts };
}

describe('group commit', () => {
  it('stores updates that arrive together in one transaction, each before it is forwarded', async () => {
    const dataDir = useDataDir();
    const { sqlite, store, counts } = countingStore(dataDir);
    const batches = counts.batches;
    let forwardedBeforeStored = false;
    const relay = resources.relay(await startTestRelay({ dataDir, store }));
    const writers = Array.from({ length: 30 }, (_, i) =>
      resources.provider(connectProvider(relay.wsUrl, `main.doc.g${i}`))
    );
    const watcher = resources.provider(connectProvider(relay.wsUrl, 'main.doc.g0'));
    await Promise.all([...writers, watcher].map((p) => whenSynced(p)));
    watcher.doc.getText('body').observe(() => {
      if (counts.stored === 0) forwardedBeforeStored = true;
    });
    // Thirty rooms written in the same turn of this process.
    for (const [i, writer] of writers.entries()) writer.doc.getText('body').insert(0, `w${i}`);
    await waitFor(() => counts.stored >= 30, { message: 'all thirty stored' });
    await waitFor(() => watcher.doc.getText('body').toString() === 'w0', {
      message: 'forwarded'
    });
    expect(forwardedBeforeStored).toBe(false);
    expect(batches.length).toBeLessThan(30);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    for (let i = 0; i < 30; i++) {
      const doc = await docFromStore(sqlite, `main.doc.g${i}`);
      expect(doc.getText('body').toString()).toBe(`w${i}`);
    }
  });

  it('stores a burst from one client in few transactions, forwarding each update only once stored', async () => {
    const dataDir = useDataDir();
    const { sqlite, store, counts } = countingStore(dataDir);
    const relay = resources.relay(await startTestRelay({ dataDir, store }));
    const room = 'main.doc.burst';
    const writer = resources.provider(connectProvider(relay.wsUrl, room));
    const watcher = resources.provider(connectProvider(relay.wsUrl, room));
    await Promise.all([writer, watcher].map((p) => whenSynced(p)));
    const text = watcher.doc.getText('body');
    let aheadOfStore = 0;
    text.observe(() => {
      // Each edit adds one character: more characters than stored updates
      // would mean something was forwarded before it was stored.
      if (text.length > counts.stored) aheadOfStore = Math.max(aheadOfStore, text.length);
    });
    // 300 updates sent back to back, one transaction each, like fast typing
    // replayed by a client coming back online one update at a time.
    const body = writer.doc.getText('body');
    for (let i = 0; i < 300; i++) body.insert(body.length, 'abcdefghij'[i % 10]);
    const expected = body.toString();
    await waitFor(() => text.toString() === expected, { message: 'the watcher has the burst' });
    expect(aheadOfStore).toBe(0);
    // A connection's updates no longer wait for each other's transaction.
    expect(counts.batches.length).toBeLessThan(100);
    expect((await docFromStore(sqlite, room)).getText('body').toString()).toBe(expected);
  });
});

describe('snapshots and space', () => {
  it('writes V2 snapshots, smaller than V1, and still reads a V1 snapshot', async () => {
    const dataDir = useDataDir();
    const relay = resources.relay(await startTestRelay({ dataDir, compactAfterUpdates: 5 }));
    const writer = resources.provider(connectProvider(relay.wsUrl, 'main.doc.v2'));
    await whenSynced(writer);
    // Editing as people do: a few hundred insertions and deletions all over the text.
    const random = seededRandom(7);
    const body = writer.doc.getText('body');
    for (let i = 0; i < 600; i++) {
      const at = Math.floor(random() * (body.length + 1));
      if (i % 7 === 6 && body.length > 3) body.delete(Math.min(at, body.length - 2), 2);
      else body.insert(at, 'abcdefgh '[i % 9]);
    }
    const expected = writer.doc.getText('body').toString();
    await waitFor(
      async () =>
        (await docFromStore(relay.store, 'main.doc.v2')).getText('body').toString() === expected,
      { message: 'every edit stored' }
    );
    // Stopping flushes the room into one snapshot.
    writer.destroy();
    await relay.stop();
    const sqlite = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const stored = sqlite.load('main.doc.v2');
    sqlite.close();
    expect(stored.snapshotFormat).toBe(2);
    expect(stored.updates).toEqual([]);
    const v1 = Y.encodeStateAsUpdate(writer.doc);
    expect(stored.snapshot!.byteLength).toBeLessThan(v1.byteLength);
    const fromSnapshot = new Y.Doc();
    Y.applyUpdateV2(fromSnapshot, stored.snapshot!);
    expect(fromSnapshot.getText('body').toString()).toBe(expected);

    // A store written before V2: a V1 snapshot in a table without the column.
    const oldDir = useDataDir();
    const db = new Database(join(oldDir, 'relay.sqlite'));
    db.exec(
      'CREATE TABLE snapshots (room TEXT PRIMARY KEY, data BLOB NOT NULL, updated_at INTEGER NOT NULL)'
    );
    db.prepare('INSERT INTO snapshots VALUES (?, ?, ?)').run('main.doc.old', Buffer.from(v1), 1);
    db.close();
    const old = resources.relay(await startTestRelay({ dataDir: oldDir }));
    const reader = resources.provider(connectProvider(old.wsUrl, 'main.doc.old'));
    await whenSynced(reader);
    expect(reader.doc.getText('body').toString()).toBe(expected);
  });

  it('gives space freed by compaction back to the file system', () => {
    const dataDir = useDataDir();
    const path = join(dataDir, 'relay.sqlite');
    const store = resources.add(new SqliteStore(path), (s) => s.close());
    const big = new Uint8Array(4096).fill(7);
    const ids = store.appendMany(
      Array.from({ length: 2000 }, () => ({ room: 'main.doc.r', data: big }))
    );
    const full = statSync(path).size + statSync(path + '-wal').size;
    store.compact('main.doc.r', new Uint8Array([0, 0]), ids.at(-1)!, 2);
    store.reclaim(100_000);
    // Checkpoint so the file itself shows the freed pages gone.
    const db = new Database(path);
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    expect(statSync(path).size).toBeLessThan(full / 4);
  });

  it('leaves no free pages behind when it closes', () => {
    const dataDir = useDataDir();
    const path = join(dataDir, 'relay.sqlite');
    const store = new SqliteStore(path);
    const big = new Uint8Array(4096).fill(7);
    // Another room's 4 MB keeps what is freed below a quarter of the file,
    // and five compactions are fewer than the periodic reclaim's twenty.
    store.compact('main.doc.large', new Uint8Array(4 * 1024 * 1024).fill(1), 0, 2);
    for (let round = 0; round < 5; round++) {
      const ids = store.appendMany(
        Array.from({ length: 20 }, () => ({ room: 'main.doc.r', data: big }))
      );
      store.compact('main.doc.r', new Uint8Array(8192).fill(round), ids.at(-1)!, 2);
    }
    store.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(Number(db.pragma('freelist_count', { simple: true }))).toBe(0);
    } finally {
      db.close();
    }
  });
});

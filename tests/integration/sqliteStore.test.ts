import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { StoreError, type Store } from '../../server/store/Store.js';
import { startServer } from '../../server/createServer.js';
import { silentLogger } from '../../server/relay/logger.js';
import { runStoreContract } from './storeContract.js';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { openRawClient } from '../support/rawClient.js';
import { waitFor } from '../support/poll.js';
import { randomBytes, seededRandom } from '../support/random.js';
import { CLOSE } from '../../src/lib/model/protocol.js';

runStoreContract('SqliteStore', {
  create: () => new SqliteStore(join(tempDataDir(), 'relay.sqlite')),
  reopen: (store) => new SqliteStore((store as SqliteStore).path),
  destroy: (store: Store) =>
    rmSync(dirname((store as SqliteStore).path), { recursive: true, force: true })
});

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.sqlite';

function useDataDir(): string {
  return resources.add(tempDataDir(), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** Bytes Yjs cannot read as an update: every byte has the varint continuation bit set. */
const GARBAGE = Uint8Array.from({ length: 32 }, (_, i) => 0x80 | (i * 37));

/** File descriptors of this process open on `path` (Linux /proc). */
function openDescriptors(path: string): number {
  const dir = '/proc/self/fd';
  let count = 0;
  for (const fd of readdirSync(dir)) {
    try {
      if (readlinkSync(join(dir, fd)) === path) count++;
    } catch {
      // The descriptor readdir itself used is gone by now.
    }
  }
  return count;
}

/** Writes `texts` as separate updates of one document straight into the store. */
function seedRoom(store: SqliteStore, room: string, texts: string[]): void {
  const doc = new Y.Doc();
  doc.on('update', (update: Uint8Array) => store.append(room, update));
  for (const text of texts) doc.getText('body').insert(doc.getText('body').length, text);
  doc.destroy();
}

describe('SqliteStore', () => {
  it('refuses a corrupt database file with a clear StoreError and leaves it untouched', async () => {
    const dataDir = useDataDir();
    const path = join(dataDir, 'relay.sqlite');
    const garbage = randomBytes(seededRandom(7), 8192);
    writeFileSync(path, garbage);

    let error: unknown = null;
    try {
      new SqliteStore(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StoreError);
    const message = (error as StoreError).message;
    expect(message).toContain(path);
    expect(message).toMatch(/not a database/);
    expect(message).toMatch(/left untouched/);
    expect(readFileSync(path).equals(Buffer.from(garbage))).toBe(true);
    expect(readdirSync(dataDir)).toEqual(['relay.sqlite']);
    // The failed open must not keep the file open for the rest of the process.
    expect(openDescriptors(path)).toBe(0);

    await expect(startServer({ dataDir, port: 0, logger: silentLogger })).rejects.toThrow(
      StoreError
    );
    expect(readFileSync(path).equals(Buffer.from(garbage))).toBe(true);
  });

  it('moves quarantined rows to the quarantine table with the reason', () => {
    const path = join(useDataDir(), 'relay.sqlite');
    const store = resources.add(new SqliteStore(path), (s) => s.close());
    const keep = store.append(ROOM, Uint8Array.of(1));
    const bad = store.append(ROOM, Uint8Array.of(2, 3));
    store.quarantine(ROOM, [bad], 'could not be applied');

    const db = resources.add(new Database(path, { readonly: true }), (d) => d.close());
    const rows = db.prepare('SELECT id, room, data, reason FROM quarantine').all();
    expect(rows).toEqual([
      { id: bad, room: ROOM, data: Buffer.from([2, 3]), reason: 'could not be applied' }
    ]);
    expect(store.load(ROOM).updates.map((u) => u.id)).toEqual([keep]);
  });

  it('quarantines an unreadable log row on load and serves the rest of the document', async () => {
    const dataDir = useDataDir();
    const path = join(dataDir, 'relay.sqlite');
    const seed = new SqliteStore(path);
    seedRoom(seed, ROOM, ['Context. ']);
    const db = new Database(path);
    const badId = Number(
      db
        .prepare('INSERT INTO updates (room, data, created_at) VALUES (?, ?, ?)')
        .run(ROOM, Buffer.from(GARBAGE), Date.now()).lastInsertRowid
    );
    db.close();
    seedRoom(seed, ROOM, ['Decision. ']);
    seed.close();

    const relay = resources.relay(await startTestRelay({ dataDir }));
    const client = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(client);
    const text = client.doc.getText('body').toString();
    expect(text).toContain('Context. ');
    expect(text).toContain('Decision. ');
    expect(relay.logs).toContainEqual(
      expect.objectContaining({ message: 'quarantined unreadable stored updates', ids: [badId] })
    );

    const store = relay.store as SqliteStore;
    expect(store.load(ROOM).updates.map((u) => u.id)).not.toContain(badId);
    const check = resources.add(new Database(path, { readonly: true }), (d) => d.close());
    const quarantined = check.prepare('SELECT id, data FROM quarantine').all() as {
      id: number;
      data: Buffer;
    }[];
    expect(quarantined).toEqual([{ id: badId, data: Buffer.from(GARBAGE) }]);

    // The next load finds a clean log and the same document.
    await relay.stop();
    const again = resources.relay(await startTestRelay({ dataDir }));
    const fresh = resources.provider(connectProvider(again.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(fresh.doc.getText('body').toString()).toBe(text);
    expect(again.logs.some((l) => l.message === 'quarantined unreadable stored updates')).toBe(
      false
    );
  });

  it('keeps a snapshot’s state vector beside it, and a relay restart serves the room from both', async () => {
    const dataDir = useDataDir();
    const first = resources.relay(await startTestRelay({ dataDir, encodeAfterQuietMs: 0 }));
    const writer = resources.provider(connectProvider(first.wsUrl, ROOM));
    await whenSynced(writer);
    writer.doc.getText('body').insert(0, 'with its state vector');
    await waitFor(
      async () =>
        (await docFromStore(first.store, ROOM)).getText('body').toString() ===
        'with its state vector',
      { message: 'stored' }
    );
    await first.stop(); // flushes: one snapshot, written with its state vector

    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const stored = store.load(ROOM);
    expect(stored.snapshotStateVector).toEqual(Y.encodeStateVector(writer.doc));
    // A compaction without one drops the old one rather than keep a wrong one.
    store.compact(ROOM, stored.snapshot!, 0, 2);
    expect(store.load(ROOM).snapshotStateVector).toBeUndefined();
    store.compact(ROOM, stored.snapshot!, 0, 2, stored.snapshotStateVector);
    store.close();

    const restarted = resources.relay(await startTestRelay({ dataDir, encodeAfterQuietMs: 0 }));
    const reader = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(reader);
    await waitFor(() => reader.doc.getText('body').toString() === 'with its state vector', {
      message: 'served from the snapshot and its state vector'
    });
    expect(restarted.relay.stats().encodedRooms).toBe(1);
  });

  it('refuses to serve a room whose snapshot is unreadable, and never overwrites it', async () => {
    const dataDir = useDataDir();
    const path = join(dataDir, 'relay.sqlite');
    const seed = new SqliteStore(path);
    seed.compact(ROOM, GARBAGE, 0);
    seedRoom(seed, 'main.doc.healthy', ['fine']);
    seed.close();

    const relay = resources.relay(await startTestRelay({ dataDir }));
    const client = await openRawClient(relay.wsUrl, ROOM);
    const closed = await client.closed;
    expect(closed).toEqual({
      code: CLOSE.internalError,
      reason: 'the relay could not load this document'
    });
    const healthy = resources.provider(connectProvider(relay.wsUrl, 'main.doc.healthy'));
    await whenSynced(healthy);
    expect(healthy.doc.getText('body').toString()).toBe('fine');

    await relay.stop();
    const after = new SqliteStore(path);
    try {
      expect(after.load(ROOM).snapshot).toEqual(GARBAGE);
    } finally {
      after.close();
    }
  });
});

/**
 * A loaded room that goes quiet keeps its document encoded (one V2 update, no
 * Y.Doc) and answers sync from those bytes; the first update makes it live
 * again. Clients must not be able to tell: a fresh reader gets everything, a
 * device coming back with offline edits is asked for exactly what the relay
 * lacks, and a restart loads a room whose store holds only a snapshot
 * without instantiating it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/SqliteStore.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.encoded';

const text = (doc: Y.Doc) => doc.getText('body').toString();

describe('rooms kept encoded while quiet', () => {
  it('serves readers and offline edits from the encoded form, and turns live for updates', async () => {
    const relay = resources.relay(await startTestRelay({ encodeAfterQuietMs: 100 }));
    const writer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(writer);
    writer.doc.getText('body').insert(0, 'hello');
    await waitFor(() => relay.relay.stats().encodedRooms === 1, {
      message: 'the quiet room encoded'
    });
    // Encoding touches memory only: the store keeps its log until the next
    // compaction or unload, which writes the encoded bytes as they are.
    const store = relay.store as SqliteStore;
    expect(store.storedBytes(ROOM).logEntries).toBeGreaterThan(0);
    expect(text(await docFromStore(store, ROOM))).toBe('hello');

    // A fresh reader syncs from the encoded bytes; the room stays encoded.
    const reader = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(reader);
    await waitFor(() => text(reader.doc) === 'hello', { message: 'the reader has the text' });
    expect(relay.relay.stats().encodedRooms).toBe(1);

    // A device holding the text plus an offline edit: the relay's state
    // vector (read from the encoded bytes) makes it send just the edit.
    const offline = new Y.Doc();
    Y.applyUpdate(offline, Y.encodeStateAsUpdate(reader.doc));
    offline.getText('body').insert(5, '!');
    const returning = resources.provider(connectProvider(relay.wsUrl, ROOM, offline));
    await whenSynced(returning);
    await waitFor(() => text(reader.doc) === 'hello!', {
      message: 'the offline edit forwarded to the reader'
    });

    // Live again for the update, then encoded again once quiet.
    writer.doc.getText('body').insert(6, ' world');
    await waitFor(() => text(reader.doc) === 'hello! world', { message: 'the live edit' });
    await waitFor(
      () =>
        relay.relay.stats().encodedRooms === 1 &&
        relay.logs.filter((l) => l.message === 'room encoded').length >= 2,
      { message: 'encoded again once quiet' }
    );
    expect(text(await docFromStore(store, ROOM))).toBe('hello! world');
    // Stopping compacts the encoded room into one snapshot.
    await relay.stop();
    const reopened = new SqliteStore(join(relay.dataDir, 'relay.sqlite'));
    try {
      expect(reopened.storedBytes(ROOM).logEntries).toBe(0);
      expect(text(await docFromStore(reopened, ROOM))).toBe('hello! world');
    } finally {
      reopened.close();
    }
  });

  it('loads a room whose store holds only a snapshot without a live document', async () => {
    const first = resources.relay(await startTestRelay({ encodeAfterQuietMs: 0 }));
    const writer = resources.provider(connectProvider(first.wsUrl, ROOM));
    await whenSynced(writer);
    writer.doc.getText('body').insert(0, 'kept in a snapshot');
    await waitFor(
      async () => text(await docFromStore(first.store, ROOM)) === 'kept in a snapshot',
      { message: 'stored' }
    );
    writer.destroy();
    // Stopping flushes the room into one snapshot and an empty log.
    await first.stop();

    const restarted = resources.relay(
      await startTestRelay({ dataDir: first.dataDir, encodeAfterQuietMs: 0 })
    );
    const reader = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(reader);
    await waitFor(() => text(reader.doc) === 'kept in a snapshot', {
      message: 'the reader has the stored text'
    });
    expect(restarted.relay.stats()).toMatchObject({ loadedRooms: 1, encodedRooms: 1 });
    expect(
      restarted.logs.some((l) => l.message === 'room loaded' && l.room === ROOM && l.encoded)
    ).toBe(true);

    // Writing makes it live (and with no quiet period configured it stays so).
    reader.doc.getText('body').insert(0, '» ');
    await waitFor(
      async () => text(await docFromStore(restarted.store, ROOM)) === '» kept in a snapshot',
      { message: 'the edit stored' }
    );
    expect(restarted.relay.stats().encodedRooms).toBe(0);
  });
});

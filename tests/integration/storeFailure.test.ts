/**
 * When the store fails, memory and disk disagree. The relay must not confirm
 * or forward what it could not store, and a client must end up getting its
 * edit stored once the store works again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as Y from 'yjs';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { Store } from '../../server/store/Store.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.flaky';

/** SQLite, except that the next `failures` calls of one method throw. */
function flakyStore(inner: SqliteStore, method: 'append' | 'load', failures: number): Store {
  let left = failures;
  const maybeFail = () => {
    if (left > 0) {
      left--;
      throw new Error(`simulated ${method} failure (SQLITE_BUSY)`);
    }
  };
  return {
    load: (room) => {
      if (method === 'load') maybeFail();
      return inner.load(room);
    },
    append: (room, update) => {
      if (method === 'append') maybeFail();
      return inner.append(room, update);
    },
    compact: (room, snapshot, throughId, format, stateVector) =>
      inner.compact(room, snapshot, throughId, format, stateVector),
    quarantine: (room, ids, reason) => inner.quarantine(room, ids, reason),
    rooms: () => inner.rooms(),
    close: () => inner.close()
  };
}

describe('store failures', () => {
  it('a failed append is resent by the client and stored, never only kept in memory', async () => {
    const dataDir = tempDataDir();
    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const relay = resources.relay(
      await startTestRelay({ dataDir, store: flakyStore(sqlite, 'append', 1) })
    );
    const writer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const reader = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => writer.synced && reader.synced, { message: 'both synced' });

    writer.doc.getText('body').insert(0, 'must not be lost');
    // The first append fails; the room is dropped, the writer reconnects and
    // resends, and this time the store takes it.
    await waitFor(
      async () =>
        (await docFromStore(sqlite, ROOM)).getText('body').toString() === 'must not be lost',
      { message: 'the edit stored after the resend' }
    );
    await waitFor(() => reader.doc.getText('body').toString() === 'must not be lost', {
      message: 'the reader to get it'
    });
    expect(relay.logs.some((l) => l.message === 'room discarded')).toBe(true);
  });

  it('a room that failed to load is loaded again by the next connection', async () => {
    const dataDir = tempDataDir();
    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const seed = new Y.Doc();
    seed.getText('body').insert(0, 'stored earlier');
    sqlite.append(ROOM, Y.encodeStateAsUpdate(seed));
    const relay = resources.relay(
      await startTestRelay({ dataDir, store: flakyStore(sqlite, 'load', 1) })
    );
    const client = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => client.synced, { timeoutMs: 15_000, message: 'a sync after the retry' });
    expect(client.doc.getText('body').toString()).toBe('stored earlier');
  });
});

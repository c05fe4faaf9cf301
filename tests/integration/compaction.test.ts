/**
 * Memory and storage upkeep: the log is folded into a snapshot every
 * `compactAfterUpdates` entries, and a room nobody uses leaves memory.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as Y from 'yjs';
import {
  Resources,
  bodyText,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.compact';

describe('compaction', () => {
  it('folds the log into a snapshot every compactAfterUpdates entries', async () => {
    const dataDir = tempDataDir();
    const relay = resources.relay(await startTestRelay({ dataDir, compactAfterUpdates: 10 }));
    const store = relay.store as SqliteStore;
    const writer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const reader = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(writer);
    await whenSynced(reader);

    let expected = '';
    for (let i = 0; i < 35; i++) {
      // One transaction per edit, each waited for: updates arriving together
      // share one group commit, and compaction is checked once per batch.
      writer.doc.getText('body').insert(expected.length, `${i},`);
      expected += `${i},`;
      await waitFor(() => bodyText(reader) === expected, {
        message: `the reader to get edit ${i}`
      });
    }

    // 35 appends with a threshold of 10: three compactions, five entries left.
    const bytes = store.storedBytes(ROOM);
    expect(bytes.logEntries).toBe(5);
    expect(bytes.snapshot).toBeGreaterThan(0);
    expect(relay.logs.filter((l) => l.message === 'room compacted')).toHaveLength(3);
    const stored = await docFromStore(store, ROOM);
    expect(stored.getText('body').toString()).toBe(expected);

    await relay.stop();
    const restarted = resources.relay(await startTestRelay({ dataDir, compactAfterUpdates: 10 }));
    const fresh = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe(expected);
  });

  it('compacts a long log when the room loads', async () => {
    // A log left long by a crash (no graceful flush), written straight into the store.
    const dataDir = tempDataDir();
    const seed = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => seed.append(ROOM, update));
    for (let i = 0; i < 25; i++) doc.getText('body').insert(0, 'x');
    doc.destroy();
    expect(seed.storedBytes(ROOM).logEntries).toBe(25);
    seed.close();

    const relay = resources.relay(await startTestRelay({ dataDir, compactAfterUpdates: 10 }));
    const fresh = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('x'.repeat(25));
    expect((relay.store as SqliteStore).storedBytes(ROOM)).toMatchObject({ logEntries: 0 });
  });
});

describe('idle unload', () => {
  it('unloads a room once everyone left, flushes it, and loads it again intact', async () => {
    const relay = resources.relay(await startTestRelay({ idleUnloadMs: 50 }));
    const store = relay.store as SqliteStore;
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(a);
    a.doc.getText('body').insert(0, 'kept while unloaded');
    await waitFor(() => bodyText(b) === 'kept while unloaded', { message: 'b to get the edit' });
    expect(relay.relay.isLoaded(ROOM)).toBe(true);
    expect(store.storedBytes(ROOM).logEntries).toBeGreaterThan(0);

    a.destroy();
    expect(relay.relay.isLoaded(ROOM)).toBe(true);
    b.destroy();
    await waitFor(() => !relay.relay.isLoaded(ROOM), { message: 'the room to unload' });
    expect(relay.relay.stats()).toMatchObject({ loadedRooms: 0, connections: 0 });
    // Unloading compacts: the next load reads one snapshot instead of a log.
    expect(store.storedBytes(ROOM).logEntries).toBe(0);

    const back = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(back);
    expect(relay.relay.isLoaded(ROOM)).toBe(true);
    expect(bodyText(back)).toBe('kept while unloaded');
    back.doc.getText('body').insert(0, 'Still ');
    const other = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => bodyText(other) === 'Still kept while unloaded', {
      message: 'the reloaded room to keep syncing'
    });
  });

  it('keeps a room loaded while someone is connected', async () => {
    const relay = resources.relay(await startTestRelay({ idleUnloadMs: 20 }));
    const stays = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const leaves = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(stays);
    await whenSynced(leaves);
    leaves.destroy();
    await waitFor(() => relay.relay.stats().connections === 1, { message: 'one connection left' });
    // An unrelated room that unloads proves the timers have had their chance.
    const visitor = resources.provider(connectProvider(relay.wsUrl, 'main.doc.visitor'));
    await whenSynced(visitor);
    visitor.destroy();
    await waitFor(() => !relay.relay.isLoaded('main.doc.visitor'), { message: 'visitor unload' });
    expect(relay.relay.isLoaded(ROOM)).toBe(true);
  });
});

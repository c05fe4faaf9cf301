/**
 * What every Store implementation must do, run against each one (SQLite now,
 * Postgres later): `runStoreContract('name', factory)` inside a test file.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { Store } from '../../server/store/Store.js';

export interface StoreFactory {
  /** A store over fresh, empty storage. */
  create(): Store | Promise<Store>;
  /** A new store over the same storage as `store`, after `store` was closed. */
  reopen(store: Store): Store | Promise<Store>;
  /** Removes the storage once a test is done. */
  destroy?(store: Store): void | Promise<void>;
}

function bytes(...values: number[]): Uint8Array {
  return Uint8Array.from(values);
}

/** Real Yjs updates, so implementations that inspect their input see valid data. */
function realUpdates(count: number): Uint8Array[] {
  const doc = new Y.Doc();
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i++) doc.getText('body').insert(i, String(i % 10));
  doc.destroy();
  return updates;
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    let first: Store | null = null;

    async function open(): Promise<Store> {
      const store = await factory.create();
      opened.push(store);
      first ??= store;
      return store;
    }

    async function reopen(store: Store): Promise<Store> {
      await store.close();
      const again = await factory.reopen(store);
      opened.push(again);
      return again;
    }

    afterEach(async () => {
      for (const store of opened.splice(0).reverse()) await store.close();
      if (first) await factory.destroy?.(first);
      first = null;
    });

    it('loads an unknown room as empty', async () => {
      const store = await open();
      expect(await store.load('main.doc.unknown')).toEqual({ snapshot: null, updates: [] });
      expect(await store.rooms()).toEqual([]);
    });

    it('returns appended updates in order, byte for byte, with increasing ids', async () => {
      const store = await open();
      const updates = realUpdates(5);
      const ids: number[] = [];
      for (const update of updates) ids.push(await store.append('main.doc.a', update));
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]);

      const loaded = await store.load('main.doc.a');
      expect(loaded.snapshot).toBeNull();
      expect(loaded.updates.map((u) => u.id)).toEqual(ids);
      expect(loaded.updates.map((u) => [...u.data])).toEqual(updates.map((u) => [...u]));
    });

    it('stores only the bytes of a view, not the buffer behind it', async () => {
      const store = await open();
      const backing = bytes(9, 9, 1, 2, 3, 9, 9);
      await store.append('main.doc.a', backing.subarray(2, 5));
      const [update] = (await store.load('main.doc.a')).updates;
      expect([...update.data]).toEqual([1, 2, 3]);
    });

    it('keeps rooms apart', async () => {
      const store = await open();
      await store.append('main.doc.a', bytes(1));
      await store.append('main.doc.b', bytes(2));
      await store.append('main.doc.a', bytes(3));
      await store.compact('main.doc.b', bytes(20), Number.MAX_SAFE_INTEGER);
      expect((await store.load('main.doc.a')).updates.map((u) => [...u.data])).toEqual([[1], [3]]);
      expect((await store.load('main.doc.a')).snapshot).toBeNull();
      expect(await store.load('main.doc.b')).toEqual({ snapshot: bytes(20), updates: [] });
      expect(await store.rooms()).toEqual(['main.doc.a', 'main.doc.b']);
    });

    it('compacts: replaces the snapshot and drops the log through the given id only', async () => {
      const store = await open();
      const ids: number[] = [];
      for (let i = 1; i <= 5; i++) ids.push(await store.append('main.doc.a', bytes(i)));
      await store.compact('main.doc.a', bytes(100), ids[2]);
      let loaded = await store.load('main.doc.a');
      expect(loaded.snapshot).toEqual(bytes(100));
      expect(loaded.updates.map((u) => u.id)).toEqual(ids.slice(3));
      expect(loaded.updates.map((u) => [...u.data])).toEqual([[4], [5]]);

      // Appends after a compaction come after the surviving entries.
      const later = await store.append('main.doc.a', bytes(6));
      expect(later).toBeGreaterThan(ids[4]);
      await store.compact('main.doc.a', bytes(200), ids[4]);
      loaded = await store.load('main.doc.a');
      expect(loaded.snapshot).toEqual(bytes(200));
      expect(loaded.updates.map((u) => u.id)).toEqual([later]);
    });

    it('compacts a room that has no log yet', async () => {
      const store = await open();
      await store.compact('main.doc.a', bytes(7), 0);
      expect(await store.load('main.doc.a')).toEqual({ snapshot: bytes(7), updates: [] });
      expect(await store.rooms()).toEqual(['main.doc.a']);
    });

    it('quarantines entries: they leave the log, the others stay', async () => {
      const store = await open();
      const ids: number[] = [];
      for (let i = 1; i <= 4; i++) ids.push(await store.append('main.doc.a', bytes(i)));
      const other = await store.append('main.doc.b', bytes(50));
      await store.quarantine('main.doc.a', [ids[1], ids[3]], 'unreadable');
      expect((await store.load('main.doc.a')).updates.map((u) => [...u.data])).toEqual([[1], [3]]);
      expect((await store.load('main.doc.b')).updates.map((u) => u.id)).toEqual([other]);

      // An id of another room is not touched through this room.
      await store.quarantine('main.doc.a', [other], 'wrong room');
      expect((await store.load('main.doc.b')).updates.map((u) => u.id)).toEqual([other]);
    });

    it('keeps everything across close and reopen', async () => {
      const store = await open();
      const [u1, u2, u3] = realUpdates(3);
      const id1 = await store.append('main.doc.a', u1);
      await store.append('main.doc.a', u2);
      await store.compact('main.doc.a', u1, id1);
      await store.append('main.doc.a', u3);
      const before = await store.load('main.doc.a');

      const again = await reopen(store);
      expect(await again.load('main.doc.a')).toEqual(before);
      expect(await again.rooms()).toEqual(['main.doc.a']);
      // Ids keep increasing across a reopen: compaction relies on it.
      const next = await again.append('main.doc.a', bytes(1));
      expect(next).toBeGreaterThan(Math.max(...before.updates.map((u) => u.id)));
    });

    it('never reuses an id, even after the whole log was compacted away', async () => {
      const store = await open();
      const last = await store.append('main.doc.a', bytes(1));
      await store.compact('main.doc.a', bytes(2), last);
      const again = await reopen(store);
      expect(await again.append('main.doc.a', bytes(3))).toBeGreaterThan(last);
    });

    it('can be closed twice', async () => {
      const store = await open();
      await store.close();
      await store.close();
    });
  });
}

/**
 * DocSession in Node against a real relay: IndexedDB from fake-indexeddb,
 * WebSocket from ws. What the user is told about their edits ("3 unsynced
 * edits", "Synced") must match where the edits actually are.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { applySnapshot } from '../../server/store/Store.js';
import {
  BACKGROUND_WRITE,
  DocSession,
  type DocSessionOptions
} from '../../src/lib/sync/DocSession.js';
import { manualConnectivity } from '../../src/lib/sync/connectivity.js';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  type TestRelay
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { gatedStore } from '../support/gatedStore.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { join } from 'node:path';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.session';
let databaseCount = 0;

/** A database prefix no other test uses, so IndexedDB starts empty. */
function freshPrefix(): string {
  return `test-${process.pid}-${++databaseCount}`;
}

function openSession(
  relay: TestRelay,
  options: Partial<DocSessionOptions> & { databasePrefix: string },
  room = ROOM
): DocSession {
  const doc = new Y.Doc();
  const session = new DocSession(room, doc, {
    serverUrl: relay.wsUrl,
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    confirmDelayMs: 10,
    ...options
  });
  return resources.add(session, (s) => closeSession(s));
}

/** Destroys a session and its document, and waits until IndexedDB has let go of it. */
async function closeSession(session: DocSession): Promise<void> {
  session.destroy();
  session.doc.destroy();
  await session.persistence?.destroy();
}

function text(doc: Y.Doc): string {
  return doc.getText('body').toString();
}

async function storedText(relay: TestRelay, room = ROOM): Promise<string> {
  return text(await docFromStore(relay.store, room));
}

/** Number of entries in y-indexeddb's update log for a session's database. */
/** The sizes of the entries in a y-indexeddb database's update log. */
async function idbUpdateSizes(name: string): Promise<number[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  try {
    return await new Promise<number[]>((resolve, reject) => {
      const request = db.transaction('updates').objectStore('updates').getAll();
      request.onsuccess = () =>
        resolve((request.result as Uint8Array[]).map((value) => value.byteLength));
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

const sum = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);

describe('DocSession', () => {
  it('counts local edits as pending until the relay confirms it stored them', async () => {
    const relay = resources.relay(await startTestRelay());
    const session = openSession(relay, { databasePrefix: freshPrefix() });
    await waitFor(() => session.state.synced && session.state.localLoaded, {
      message: 'the session to sync'
    });
    expect(session.state.pendingEdits).toBe(0);

    const body = session.doc.getText('body');
    body.insert(0, 'one ');
    body.insert(4, 'two ');
    body.insert(8, 'three');
    expect(session.state.pendingEdits).toBe(3);

    // Read the store the moment the count drops, not later.
    const storedWhenConfirmed = new Promise<string>((resolve) => {
      const check = () => {
        if (session.state.pendingEdits !== 0) return;
        session.off('status', check);
        void storedText(relay).then(resolve);
      };
      session.on('status', check);
    });
    expect(await storedWhenConfirmed).toBe('one two three');
    await session.whenConfirmed();
    expect(session.state).toMatchObject({ connection: 'connected', synced: true, pendingEdits: 0 });
  });

  it('does not count edits that arrive from other clients', async () => {
    const relay = resources.relay(await startTestRelay());
    const session = openSession(relay, { databasePrefix: freshPrefix() });
    const other = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => session.state.synced, { message: 'the session to sync' });
    other.doc.getText('body').insert(0, 'from elsewhere');
    await waitFor(() => text(session.doc) === 'from elsewhere', { message: 'the remote edit' });
    expect(session.state.pendingEdits).toBe(0);
  });

  it('keeps edits pending while offline and confirms them once back online', async () => {
    const relay = resources.relay(await startTestRelay());
    const connectivity = manualConnectivity(true);
    const session = openSession(relay, { databasePrefix: freshPrefix(), connectivity });
    const other = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => session.state.synced, { message: 'the session to sync' });

    connectivity.set(false);
    expect(session.state).toMatchObject({ network: false, connection: 'disconnected' });
    session.doc.getText('body').insert(0, 'written ');
    session.doc.getText('body').insert(8, 'on a plane');
    expect(session.state.pendingEdits).toBe(2);
    expect(session.provider.wsconnected).toBe(false);
    expect(await storedText(relay)).toBe('');

    connectivity.set(true);
    await waitFor(() => session.state.pendingEdits === 0 && session.state.synced, {
      message: 'the offline edits to be confirmed'
    });
    expect(await storedText(relay)).toBe('written on a plane');
    await waitFor(() => text(other.doc) === 'written on a plane', {
      message: 'the other client to get the offline edits'
    });
  });

  it('reports disconnected when the network goes while still connecting', async () => {
    const relay = resources.relay(await startTestRelay());
    const connectivity = manualConnectivity(true);
    const session = openSession(relay, { databasePrefix: freshPrefix(), connectivity });
    // Go offline at the exact moment the socket starts connecting.
    const offWhenConnecting = (state: DocSession['state']) => {
      if (state.connection !== 'connecting') return;
      session.off('status', offWhenConnecting);
      connectivity.set(false);
    };
    session.on('status', offWhenConnecting);
    await waitFor(() => !session.state.network, { message: 'the session to go offline' });
    expect(session.state.connection).toBe('disconnected');
    expect(session.provider.ws).toBeNull();
  });

  it('reloads the document from IndexedDB without the relay', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const first = openSession(relay, { databasePrefix });
    await waitFor(() => first.state.synced, { message: 'the first session to sync' });
    first.doc.getText('body').insert(0, 'kept on this device');
    first.doc.getMap('meta').set('kind', 'adr');
    await first.whenConfirmed();
    await closeSession(first);

    const second = openSession(relay, { databasePrefix, connect: false });
    await second.whenLoaded;
    expect(second.state.localLoaded).toBe(true);
    expect(second.provider.ws).toBeNull();
    expect(text(second.doc)).toBe('kept on this device');
    expect(second.doc.getMap('meta').get('kind')).toBe('adr');
    expect(second.state.pendingEdits).toBe(0);
  });

  it('remembers unconfirmed edits across a reload while offline, and syncs them later', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const offline = manualConnectivity(false);
    const first = openSession(relay, { databasePrefix, connectivity: offline });
    await first.whenLoaded;
    for (const word of ['three ', 'unsynced ', 'edits']) {
      first.doc.getText('body').insert(text(first.doc).length, word);
    }
    expect(first.state).toMatchObject({ pendingEdits: 3, connection: 'disconnected' });
    await closeSession(first);

    const connectivity = manualConnectivity(false);
    // Wants the relay, but the network is down: it connects only when it returns.
    const second = openSession(relay, { databasePrefix, connectivity });
    await second.whenLoaded;
    expect(text(second.doc)).toBe('three unsynced edits');
    expect(second.state.pendingEdits).toBe(3);
    expect(await storedText(relay)).toBe('');

    const other = resources.provider(connectProvider(relay.wsUrl, ROOM));
    connectivity.set(true);
    await waitFor(() => second.state.pendingEdits === 0 && second.state.synced, {
      message: 'the reloaded edits to be confirmed'
    });
    expect(await storedText(relay)).toBe('three unsynced edits');
    await waitFor(() => text(other.doc) === 'three unsynced edits', {
      message: 'the other client to get them'
    });
  });

  it('stops retrying and says why when the relay refuses an edit as too large', async () => {
    const relay = resources.relay(await startTestRelay({ maxMessageBytes: 64 * 1024 }));
    const session = openSession(relay, { databasePrefix: freshPrefix() });
    await waitFor(() => session.state.synced, { message: 'the first sync' });
    session.doc.getText('body').insert(0, 'x'.repeat(200_000));
    await waitFor(() => session.state.refused?.code === 1009, { message: 'the refusal' });
    expect(session.state.connection).toBe('disconnected');
    expect(session.state.pendingEdits).toBe(1);
    // No retry loop: the relay sees no new connection for this room.
    const connectionsBefore = relay.relay.stats().connections;
    const probe = openSession(relay, { databasePrefix: freshPrefix() }, 'main.doc.probe');
    probe.doc.getText('body').insert(0, 'p');
    await waitFor(() => probe.state.pendingEdits === 0 && probe.state.synced, {
      message: 'a probe round trip'
    });
    expect(relay.relay.stats().connections).toBe(connectionsBefore + 1);
    expect(session.state.refused?.code).toBe(1009);
    expect(session.provider.shouldConnect).toBe(false);
  });

  it('counts the unsynced edits of two tabs, across a reload, until one sync covers them', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    // Two tabs of one device, offline, on one document and one IndexedDB.
    const tab1 = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    const tab2 = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    await Promise.all([tab1.whenLoaded, tab2.whenLoaded]);
    tab1.doc.getText('body').insert(0, 'a');
    tab1.doc.getText('body').insert(1, 'b');
    for (const c of 'xyz') tab2.doc.getText('body').insert(0, c);
    expect(tab1.state.pendingEdits).toBe(2);
    expect(tab2.state.pendingEdits).toBe(3);
    await closeSession(tab1);
    await closeSession(tab2);

    // Reopened offline: both tabs' edits are counted, neither overwrote the other.
    const connectivity = manualConnectivity(false);
    const reopened = openSession(relay, { databasePrefix, connectivity });
    await reopened.whenLoaded;
    expect(reopened.state.pendingEdits).toBe(5);

    connectivity.set(true);
    await waitFor(() => reopened.state.pendingEdits === 0 && reopened.state.synced, {
      message: 'one sync to cover every tab’s edits'
    });
    expect((await storedText(relay)).length).toBe(5);
    await closeSession(reopened);

    // Nothing is left counted once confirmed.
    const again = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    await again.whenLoaded;
    expect(again.state.pendingEdits).toBe(0);
  });

  it('counts a burst of typing as one change, across a reload, until the relay confirms it', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const session = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    await session.whenLoaded;
    let now = 1_000_000;
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const body = session.doc.getText('body');
      // One 44-character sentence, a keystroke every 100 ms: one change.
      for (const c of 'The quick brown fox jumps over the lazy dog.') {
        body.insert(body.length, c);
        now += 100;
      }
      expect(session.state).toMatchObject({ pendingEdits: 44, pendingChanges: 1 });
      // What the app writes on its own because of it ("last edited") is no change of its own.
      now += 5_000;
      session.doc.transact(() => session.doc.getMap('meta').set('touched', now), BACKGROUND_WRITE);
      expect(session.state).toMatchObject({ pendingEdits: 45, pendingChanges: 1 });
      // A pause longer than a second starts another.
      now += 5_000;
      body.insert(body.length, ' Again.');
      expect(session.state).toMatchObject({ pendingEdits: 46, pendingChanges: 2 });
    } finally {
      clock.mockRestore();
    }
    await closeSession(session);

    const connectivity = manualConnectivity(false);
    const reopened = openSession(relay, { databasePrefix, connectivity });
    await reopened.whenLoaded;
    expect(reopened.state).toMatchObject({ pendingEdits: 46, pendingChanges: 2 });
    connectivity.set(true);
    await waitFor(() => reopened.state.pendingEdits === 0 && reopened.state.synced, {
      message: 'the changes confirmed'
    });
    expect(reopened.state.pendingChanges).toBe(0);
  });

  it('never reports edits as stored before the relay has them, even while it is loading', async () => {
    const dataDir = tempDataDir();
    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const store = gatedStore(sqlite, { loads: true });
    const relay = resources.relay(await startTestRelay({ dataDir, store }));
    const databasePrefix = freshPrefix();
    const connectivity = manualConnectivity(false);
    // Records the type of every message the client sends.
    const sent: number[] = [];
    class RecordingSocket extends WebSocket {
      override send(data: Parameters<WebSocket['send']>[0]) {
        if (data instanceof Uint8Array) sent.push(data[0]);
        super.send(data);
      }
    }
    const session = openSession(relay, {
      databasePrefix,
      connectivity,
      confirmDelayMs: 0,
      WebSocketPolyfill: RecordingSocket as unknown as typeof globalThis.WebSocket
    });
    await session.whenLoaded;
    session.doc.getText('body').insert(0, 'offline words');

    // Every time the count reaches 0, the relay's store must hold the words.
    const claims: boolean[] = [];
    session.on('status', (state) => {
      if (state.pendingEdits !== 0) return;
      const stored = new Y.Doc();
      const loaded = sqlite.load(ROOM);
      const { updates } = loaded;
      applySnapshot(stored, loaded);
      for (const u of updates) Y.applyUpdate(stored, u.data);
      claims.push(stored.getText('body').toString().includes('offline words'));
    });

    connectivity.set(true);
    await waitFor(() => session.state.connection === 'connected', { message: 'socket open' });
    // Typed while the relay is still loading the room (before its first answer).
    session.doc.getText('notes').insert(0, 'independent of the offline words');
    await waitFor(() => store.loadGate.arrivals > 0, { message: 'the load to start' });
    // Let the zero-delay confirm timer run: it must not ask before the first
    // sync, when the offline words have not even been sent.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent).not.toContain(100);
    store.loadGate.open();
    await waitFor(() => session.state.pendingEdits === 0 && session.state.synced, {
      message: 'everything confirmed'
    });
    expect(claims.length).toBeGreaterThan(0);
    expect(claims.every(Boolean)).toBe(true);
  });

  it('stays disconnected when the network returns if told not to connect', async () => {
    const relay = resources.relay(await startTestRelay());
    const connectivity = manualConnectivity(false);
    const session = openSession(relay, {
      databasePrefix: freshPrefix(),
      connectivity,
      connect: false
    });
    await session.whenLoaded;
    connectivity.set(true);
    session.doc.getText('body').insert(0, 'local only');
    // The confirm round trip of a second session proves time has passed.
    // (In another room: tabs of one room share edits over BroadcastChannel.)
    const probe = openSession(relay, { databasePrefix: freshPrefix() }, 'main.doc.probe');
    probe.doc.getText('body').insert(0, 'x');
    await waitFor(() => probe.state.pendingEdits === 0 && probe.state.synced, {
      message: 'the probe to sync'
    });
    expect(session.state.connection).toBe('disconnected');
    expect(await storedText(relay)).toBe('');
  });

  it('counts an edit made before the local copy has loaded on top of the stored count', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const first = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    await first.whenLoaded;
    first.doc.getText('body').insert(0, 'a');
    first.doc.getText('body').insert(1, 'b');
    await closeSession(first);

    const second = openSession(relay, {
      databasePrefix,
      connectivity: manualConnectivity(false)
    });
    // Typing before IndexedDB has answered (the editor may already be on screen).
    second.doc.getText('body').insert(0, 'c');
    await second.whenLoaded;
    // 'c' was typed concurrently with the stored 'ab': Yjs orders it by client id.
    expect([...text(second.doc)].sort().join('')).toBe('abc');
    expect(second.state.pendingEdits).toBe(3);
    await closeSession(second);

    const third = openSession(relay, { databasePrefix, connectivity: manualConnectivity(false) });
    await third.whenLoaded;
    expect(third.state.pendingEdits).toBe(3);
  });

  it('never shows an edit made before loading as synced', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const first = openSession(relay, { databasePrefix });
    await waitFor(() => first.state.synced, { message: 'the first session to sync' });
    first.doc.getText('body').insert(0, 'confirmed');
    first.doc.getText('body').insert(9, '.');
    await first.whenConfirmed();
    await closeSession(first);

    const second = openSession(relay, {
      databasePrefix,
      connectivity: manualConnectivity(false)
    });
    second.doc.getMap('meta').set('status', 'typed offline before loading');
    await second.whenLoaded;
    expect(second.state.pendingEdits).toBe(1);
  });

  it('keeps IndexedDB small when a document is opened and closed many times', async () => {
    const relay = resources.relay(await startTestRelay());
    const databasePrefix = freshPrefix();
    const paragraph = (i: number) => `${i % 10}`.repeat(200);
    const largest: number[] = [];
    for (let i = 0; i < 100; i++) {
      const session = openSession(relay, { databasePrefix, connect: false });
      await session.whenLoaded;
      session.doc.getText('body').insert(text(session.doc).length, paragraph(i));
      const state = Y.encodeStateAsUpdate(session.doc).byteLength;
      await closeSession(session);
      const sizes = await idbUpdateSizes(`${databasePrefix}:${ROOM}`);
      // Never more than the state, half of it again in changes (at least
      // 4 KiB), and one session's edit: rewritten on open once past that.
      expect(sum(sizes)).toBeLessThanOrEqual(state + Math.max(state / 2, 4096) + 400);
      largest.push(Math.max(...sizes));
    }
    // It was rewritten as one state along the way, more than once.
    expect(new Set(largest).size).toBeGreaterThan(2);
    const last = openSession(relay, { databasePrefix, connect: false });
    await last.whenLoaded;
    expect(text(last.doc)).toBe(Array.from({ length: 100 }, (_, i) => paragraph(i)).join(''));
  });
});

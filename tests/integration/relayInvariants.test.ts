/**
 * The relay's pipelining (group commit, a confirm waiting for the room's
 * appends), encoded rooms and once-per-batch compaction, held to the relay's
 * invariants under failures, shutdown and odd clients: an update is stored before it is forwarded or
 * confirmed, a stored snapshot is never replaced by less, nothing a client
 * sent is lost on unload/close, parked structs survive encoding.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import * as Y from 'yjs';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced,
  type TestRelay
} from '../support/relay.js';
import { joinAs } from '../support/access.js';
import { MESSAGE } from '../../src/lib/model/protocol.js';
import {
  confirmMessage,
  confirmSeq,
  messageType,
  openReadyRawClient,
  syncStep1Message,
  updateMessage,
  type RawClient
} from '../support/rawClient.js';
import { Gate } from '../support/gatedStore.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { Store } from '../../server/store/Store.js';
import { Relay } from '../../server/relay/Relay.js';
import { silentLogger } from '../../server/relay/logger.js';
import { fakeConnect } from '../support/fakeTransport.js';
import { seedCorpus } from '../support/fuzzCorpus.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.review';

const text = (doc: Y.Doc) => doc.getText('body').toString();

/**
 * SQLite behind a wrapper whose appends the test can hold (at a gate) and
 * make fail. Unlike delegatingStore it keeps the snapshot's state vector.
 */
interface ControlledStore extends Store {
  /** Appends from now on wait at a fresh gate (returned) before going on. */
  holdAppends(options?: { fail?: boolean; onlyFirst?: boolean }): Gate;
  release(): void;
}

function controlledStore(inner: SqliteStore): ControlledStore {
  let gate: Gate | null = null;
  let fail = false;
  let onlyFirst = false;
  return {
    load: (room) => inner.load(room),
    async append(room, update) {
      const held = gate;
      if (held) {
        if (onlyFirst) gate = null;
        const failing = fail;
        await held.pass();
        if (failing) throw new Error('simulated append failure (disk full)');
      }
      return inner.append(room, update);
    },
    compact: (room, snapshot, throughId, format, stateVector) =>
      inner.compact(room, snapshot, throughId, format, stateVector),
    quarantine: (room, ids, reason) => inner.quarantine(room, ids, reason),
    rooms: () => inner.rooms(),
    close: () => inner.close(),
    holdAppends(options = {}) {
      gate = new Gate();
      fail = options.fail ?? false;
      onlyFirst = options.onlyFirst ?? false;
      return gate;
    },
    release() {
      const held = gate;
      gate = null;
      fail = false;
      held?.open();
    }
  };
}

/** A writer whose every local change is captured as an update to send by hand. */
function writer(): { doc: Y.Doc; updates: Uint8Array[] } {
  const doc = resources.add(new Y.Doc(), (d) => d.destroy());
  const updates: Uint8Array[] = [];
  doc.on('update', (u: Uint8Array) => updates.push(u));
  return { doc, updates };
}

/**
 * Records, the moment a confirm `seq` arrives, the body text the store holds
 * then (a confirm must only ever say "stored").
 */
function storedAtConfirm(client: RawClient, store: Store, seq: number): Promise<string> {
  return new Promise((resolve) => {
    client.ws.on('message', (data: Buffer) => {
      if (confirmSeq(new Uint8Array(data)) === seq) {
        void docFromStore(store, ROOM).then((d) => resolve(text(d)));
      }
    });
  });
}

/**
 * Waits (up to a deadline) for a confirm that must not come yet: a relay with
 * the bug answers within milliseconds; a correct one lets the deadline pass.
 */
async function earlyConfirm(client: RawClient, seq: number): Promise<void> {
  await waitFor(() => client.received.some((m) => confirmSeq(m) === seq), {
    timeoutMs: 1500,
    message: 'an early confirm'
  }).catch(() => undefined);
}

async function relayOn(
  store: (sqlite: SqliteStore) => Store,
  options: Parameters<typeof startTestRelay>[0] = {}
) {
  const dataDir = tempDataDir();
  const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
  const wrapped = store(sqlite);
  const relay = resources.relay(await startTestRelay({ dataDir, store: wrapped, ...options }));
  return { relay, sqlite, store: wrapped };
}

/** A relay on a store whose appends the test holds and fails (controlledStore). */
async function controlledRelay(options: Parameters<typeof startTestRelay>[0] = {}) {
  let controlled!: ControlledStore;
  const started = await relayOn((s) => (controlled = controlledStore(s)), options);
  return { ...started, controlled };
}

/** A client whose first edit (`content`) is stored and confirmed; later edits go on `w`. */
async function firstEditConfirmed(relay: TestRelay, content: string) {
  const client = await openReadyRawClient(relay.wsUrl, ROOM);
  const w = writer();
  w.doc.getText('body').insert(0, content);
  client.send(updateMessage(w.updates[0]));
  client.send(confirmMessage(1));
  await client.waitForMessage((m) => confirmSeq(m) === 1, 'the first edit confirmed');
  return { client, w };
}

describe('relay invariants: failures while a room is flushed', () => {
  it('a failed append while the relay closes never replaces the stored document with an empty one', async () => {
    const { relay, sqlite, controlled } = await controlledRelay({
      encodeAfterQuietMs: 0
    });
    const { client, w } = await firstEditConfirmed(relay, 'stored and confirmed');
    expect(text(await docFromStore(sqlite, ROOM))).toBe('stored and confirmed');

    // The next append is held in the store and will fail (disk full, say).
    const gate = controlled.holdAppends({ fail: true });
    w.doc.getText('body').insert(0, '» ');
    client.send(updateMessage(w.updates[1]));
    await waitFor(() => gate.arrivals >= 1, { message: 'the second append reaching the store' });

    // SIGTERM: the relay flushes its rooms; the held append fails meanwhile.
    const stopping = relay.stop();
    controlled.release();
    await stopping;

    // The failed edit may be missing (the client was never told it was
    // stored), but what was stored and confirmed before must still be there.
    expect(text(await docFromStore(sqlite, ROOM))).toContain('stored and confirmed');
  });
});

describe('relay invariants: confirms', () => {
  it('a confirm covering an update another connection is still storing waits for that append', async () => {
    const { relay, sqlite, controlled } = await controlledRelay({
      encodeAfterQuietMs: 0
    });
    const first = await openReadyRawClient(relay.wsUrl, ROOM);
    const second = await openReadyRawClient(relay.wsUrl, ROOM);
    const w = writer();
    w.doc.getText('body').insert(0, 'same edit, two sockets');
    const update = w.updates[0];

    // The first socket's append is held (a slow disk, a busy transaction).
    const gate = controlled.holdAppends();
    first.send(updateMessage(update));
    await waitFor(() => gate.arrivals >= 1, { message: 'the first append reaching the store' });

    // The same device reconnected on a second socket (or a second tab that
    // got the edit over BroadcastChannel) resends it and asks for a confirm.
    const atConfirm = storedAtConfirm(second, sqlite, 1);
    second.send(updateMessage(update));
    second.send(confirmMessage(1));
    // A correct relay stays silent until the append is durable; give a wrong
    // one a moment to answer early, then let the store go on.
    await earlyConfirm(second, 1);
    controlled.release();
    expect(await atConfirm).toBe('same edit, two sockets');
  });

  it('a confirm waits for every earlier append of the connection, even when batches finish out of order', async () => {
    const { relay, sqlite, controlled } = await controlledRelay({
      encodeAfterQuietMs: 0
    });
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const w = writer();
    w.doc.getText('body').insert(0, 'one ');
    w.doc.getText('body').insert(4, 'two');

    // Only the first batch is slow (an async store: Postgres, a network disk).
    const gate = controlled.holdAppends({ onlyFirst: true });
    client.send(updateMessage(w.updates[0]));
    await waitFor(() => gate.arrivals >= 1, { message: 'the first append reaching the store' });
    const atConfirm = storedAtConfirm(client, sqlite, 1);
    client.send(updateMessage(w.updates[1]));
    client.send(confirmMessage(1));
    await earlyConfirm(client, 1);
    gate.open();
    expect(await atConfirm).toBe('one two');
  });
});

/** The relay's room object, for a test that must know where a flush stands. */
function roomInternals(relay: TestRelay, room: string) {
  const rooms = (
    relay.relay as unknown as { rooms: Map<string, { unloadTimer: unknown; encoded: unknown }> }
  ).rooms;
  return rooms.get(room);
}

/** Whether this room (not just any: access relays load the index room too) is kept encoded. */
function isEncoded(relay: TestRelay, room: string): boolean {
  return Boolean(roomInternals(relay, room)?.encoded);
}

describe('relay invariants: unload with appends in flight', () => {
  it('a failed append during an idle unload never replaces the stored document with an empty one', async () => {
    const { relay, sqlite, controlled } = await controlledRelay({
      encodeAfterQuietMs: 0,
      idleUnloadMs: 1
    });
    const { client, w } = await firstEditConfirmed(relay, 'stored and confirmed');

    const gate = controlled.holdAppends({ fail: true });
    w.doc.getText('body').insert(0, '» ');
    client.send(updateMessage(w.updates[1]));
    await waitFor(() => gate.arrivals >= 1, { message: 'the second append reaching the store' });
    client.close();
    // The unload timer has fired (the unload now waits for the held append).
    await waitFor(
      () =>
        relay.relay.stats().connections === 0 && roomInternals(relay, ROOM)?.unloadTimer === null,
      { message: 'the idle unload started' }
    );
    controlled.release();
    await waitFor(() => !relay.relay.isLoaded(ROOM), { message: 'the room gone from memory' });
    expect(text(await docFromStore(sqlite, ROOM))).toContain('stored and confirmed');
  });

  it('a burst sent just before leaving is stored whole by the idle unload', async () => {
    const relay = resources.relay(
      await startTestRelay({ idleUnloadMs: 1, compactAfterUpdates: 7, encodeAfterQuietMs: 5 })
    );
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const w = writer();
    let expected = '';
    for (let i = 0; i < 200; i++) {
      w.doc.getText('body').insert(expected.length, `${i},`);
      expected += `${i},`;
    }
    for (const u of w.updates) client.send(updateMessage(u));
    client.close();
    await waitFor(() => !relay.relay.isLoaded(ROOM) && relay.relay.stats().loadedRooms === 0, {
      message: 'the room unloaded'
    });
    expect(text(await docFromStore(relay.store, ROOM))).toBe(expected);
    const bytes = (relay.store as SqliteStore).storedBytes(ROOM);
    expect(bytes.logEntries).toBe(0);
  });
});

describe('relay invariants: close during a burst', () => {
  it('relay.close() mid-burst finishes promptly and everything confirmed before it is stored', async () => {
    const { relay, sqlite } = await relayOn((s) => s, {
      compactAfterUpdates: 5,
      encodeAfterQuietMs: 1
    });
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const w = writer();
    const words: string[] = [];
    for (let i = 0; i < 300; i++) {
      w.doc.getText('body').insert(w.doc.getText('body').length, `${i} `);
      words.push(`${i} `);
    }
    for (let i = 0; i < w.updates.length; i++) {
      client.send(updateMessage(w.updates[i]));
      if (i % 10 === 9) client.send(confirmMessage(i));
    }
    await client.waitForMessage((m) => confirmSeq(m) === 49, 'some confirms');
    // SIGTERM mid-burst: the flush must not wait for the websocket close
    // handshake of a socket the relay itself stopped reading (inbox full).
    const started = Date.now();
    await relay.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    const confirmed = client.received.map(confirmSeq).filter((s): s is number => s !== null);
    const last = Math.max(...confirmed);
    const stored = text(await docFromStore(sqlite, ROOM));
    // Updates are consecutive appends to the text: confirmed ones are a prefix.
    expect(stored.startsWith(words.slice(0, last + 1).join(''))).toBe(true);
  }, 60_000);
});

describe('relay invariants: encoded rooms', () => {
  it('parked structs survive encoding, the flush on stop and a restart; the base completes them', async () => {
    const relay = resources.relay(await startTestRelay({ encodeAfterQuietMs: 20 }));
    const tabA = resources.add(new Y.Doc(), (d) => d.destroy());
    const tabB = resources.add(new Y.Doc(), (d) => d.destroy());
    tabA.getText('body').insert(0, 'hello');
    const base = Y.encodeStateAsUpdate(tabA);
    Y.applyUpdate(tabB, base);
    const before = Y.encodeStateVector(tabB);
    tabB.getText('body').insert(5, ' world');
    tabB.getText('body').delete(0, 1); // a deletion of a struct the relay lacks (pending ds)
    const dependent = Y.encodeStateAsUpdate(tabB, before);

    const sender = await openReadyRawClient(relay.wsUrl, ROOM);
    sender.send(updateMessage(dependent));
    sender.send(confirmMessage(1));
    await sender.waitForMessage((m) => confirmSeq(m) === 1, 'the parked update confirmed');
    await waitFor(() => relay.relay.stats().encodedRooms === 1, { message: 'the room encoded' });
    // A reader of the encoded room gets the parked structs too.
    const reader = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(reader);
    await waitFor(() => reader.doc.store.pendingStructs !== null, {
      message: 'the reader holds the parked structs'
    });
    // Resending the parked update to the encoded room is harmless.
    sender.send(updateMessage(dependent));
    sender.send(confirmMessage(2));
    await sender.waitForMessage((m) => confirmSeq(m) === 2, 'the resend confirmed');
    reader.destroy();
    sender.close();
    await relay.stop();

    const restarted = resources.relay(
      await startTestRelay({ dataDir: relay.dataDir, encodeAfterQuietMs: 20 })
    );
    const late = await openReadyRawClient(restarted.wsUrl, ROOM);
    expect(restarted.relay.stats().encodedRooms).toBe(1);
    const watcher = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(watcher);
    late.send(updateMessage(base));
    late.send(confirmMessage(1));
    await late.waitForMessage((m) => confirmSeq(m) === 1, 'the base confirmed');
    expect(text(await docFromStore(restarted.store, ROOM))).toBe('ello world');
    await waitFor(() => text(watcher.doc) === 'ello world', { message: 'the watcher whole' });
  });

  it('a client resending its whole state (with deletions) to an encoded room stores nothing; a new deletion is stored', async () => {
    const relay = resources.relay(await startTestRelay({ encodeAfterQuietMs: 20 }));
    const store = relay.store as SqliteStore;
    const w = writer();
    w.doc.getText('body').insert(0, 'hello cruel world');
    w.doc.getText('body').delete(5, 6);
    w.doc.getMap('meta').set('title', 'a');
    w.doc.getMap('meta').set('title', 'b');
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    for (const u of w.updates) client.send(updateMessage(u));
    client.send(confirmMessage(1));
    await client.waitForMessage((m) => confirmSeq(m) === 1, 'stored');
    await waitFor(() => relay.relay.stats().encodedRooms === 1, { message: 'the room encoded' });
    const entries = store.storedBytes(ROOM).logEntries;

    // The whole state, as a reconnecting client's sync step 2 carries it.
    client.send(updateMessage(Y.encodeStateAsUpdate(w.doc)));
    client.send(syncStep1Message(w.doc));
    client.send(confirmMessage(2));
    await client.waitForMessage((m) => confirmSeq(m) === 2, 'the resend confirmed');
    expect(store.storedBytes(ROOM).logEntries).toBe(entries);
    expect(relay.relay.stats().encodedRooms).toBe(1);

    // An offline deletion the relay lacks: the room turns live, stores and forwards it.
    const other = await openReadyRawClient(relay.wsUrl, ROOM);
    const sv = Y.encodeStateVector(w.doc);
    w.doc.getText('body').delete(0, 1);
    const deletion = Y.encodeStateAsUpdate(w.doc, sv);
    const received = other.received.length;
    client.send(updateMessage(deletion));
    client.send(confirmMessage(3));
    await client.waitForMessage((m) => confirmSeq(m) === 3, 'the deletion confirmed');
    expect(text(await docFromStore(store, ROOM))).toBe('ello world');
    await waitFor(
      () => other.received.slice(received).some((m) => messageType(m) === MESSAGE.sync),
      { message: 'the deletion forwarded' }
    );
  });

  it("a viewer's writes to an encoded room are neither stored nor confirmed, and the room stays whole", async () => {
    const relay = resources.relay(
      await startTestRelay({ insecureOpenAccess: false, encodeAfterQuietMs: 20 })
    );
    const editor = await joinAs(relay, 'editor', 'Ana');
    const viewer = await joinAs(relay, 'viewer', 'Cy');
    const a = resources.provider(
      connectProvider(relay.wsUrl, ROOM, undefined, { token: editor.credential })
    );
    await whenSynced(a);
    a.doc.getText('body').insert(0, 'editor text');
    await waitFor(async () => text(await docFromStore(relay.store, ROOM)) === 'editor text', {
      message: 'stored'
    });
    await waitFor(() => isEncoded(relay, ROOM), { message: 'the room encoded' });
    const entries = (relay.store as SqliteStore).storedBytes(ROOM).logEntries;

    const v = await openReadyRawClient(relay.wsUrl, `${ROOM}?token=${viewer.credential}`);
    // What the room holds (a viewer's sync answer): ignored, confirm answered.
    v.send(updateMessage(Y.encodeStateAsUpdate(a.doc)));
    v.send(confirmMessage(1));
    await v.waitForMessage((m) => confirmSeq(m) === 1, 'the harmless resend confirmed');
    expect(isEncoded(relay, ROOM)).toBe(true);
    // A change: dropped, told, not confirmed.
    const vdoc = resources.add(new Y.Doc(), (d) => d.destroy());
    Y.applyUpdate(vdoc, Y.encodeStateAsUpdate(a.doc));
    const sv = Y.encodeStateVector(vdoc);
    vdoc.getText('body').delete(0, 7);
    v.send(updateMessage(Y.encodeStateAsUpdate(vdoc, sv)));
    v.send(confirmMessage(2));
    await v.waitForMessage((m) => messageType(m) === MESSAGE.auth, 'permission denied');
    expect(v.received.some((m) => confirmSeq(m) === 2)).toBe(false);
    expect((relay.store as SqliteStore).storedBytes(ROOM).logEntries).toBe(entries);
    expect(text(await docFromStore(relay.store, ROOM))).toBe('editor text');
    const fresh = resources.provider(
      connectProvider(relay.wsUrl, ROOM, undefined, { token: editor.credential })
    );
    await whenSynced(fresh);
    expect(text(fresh.doc)).toBe('editor text');
  });

  it('updates and a confirm sent while the room is being encoded are all stored before the confirm', async () => {
    const relay = resources.relay(await startTestRelay({ encodeAfterQuietMs: 1 }));
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const w = writer();
    let expected = '';
    for (let round = 0; round < 8; round++) {
      // Let the room go quiet (and encoded) between rounds.
      await waitFor(() => isEncoded(relay, ROOM) || round === 0, {
        message: `encoded before round ${round}`
      });
      const from = w.updates.length;
      for (let i = 0; i < 5; i++) {
        w.doc.getText('body').insert(expected.length, `${round}.${i} `);
        expected += `${round}.${i} `;
      }
      const atConfirm = storedAtConfirm(client, relay.store, round + 1);
      for (const u of w.updates.slice(from)) client.send(updateMessage(u));
      client.send(confirmMessage(round + 1));
      expect(await atConfirm).toBe(expected);
    }
  });
});

describe('relay invariants: compaction under load', () => {
  it('updates arriving during compactions from several writers all end up stored, the log bounded', async () => {
    const relay = resources.relay(
      await startTestRelay({ compactAfterUpdates: 3, encodeAfterQuietMs: 1 })
    );
    const clients = await Promise.all([0, 1, 2].map(() => openReadyRawClient(relay.wsUrl, ROOM)));
    const writers = clients.map(() => writer());
    for (let i = 0; i < 60; i++) {
      writers.forEach((w, k) => w.doc.getArray('list').push([`${k}:${i}`]));
    }
    writers.forEach((w, k) => {
      for (const u of w.updates) clients[k].send(updateMessage(u));
      clients[k].send(confirmMessage(1));
    });
    await Promise.all(
      clients.map((c) => c.waitForMessage((m) => confirmSeq(m) === 1, 'the confirm'))
    );
    const stored = await docFromStore(relay.store, ROOM);
    expect(stored.getArray('list').length).toBe(180);
    expect((relay.store as SqliteStore).storedBytes(ROOM).logEntries).toBeLessThan(3 + 3);
  });
});

/** fuzz.test.ts, seed 2: a sync step 2 that Yjs integrates partly, then throws on. */
const HALF_VALID = Buffer.from(
  '0002340103d20f0844e907000a4f7468657220636c6965c1d20f49e907000488e907350177067075736865' +
    '6402d20f010a04e907012d01',
  'hex'
);

describe('relay invariants: bad input while the relay closes', () => {
  it('an update Yjs applies halfway, handled during the flush on close, does not wipe the stored document', async () => {
    const dataDir = tempDataDir();
    const store = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const relay = new Relay({ store, logger: silentLogger, encodeAfterQuietMs: 0 });
    resources.add(relay, (r) => r.close());
    const { updates, doc } = seedCorpus();
    const seeder = fakeConnect(relay, ROOM, '10.0.0.1');
    seeder.receive(updateMessage(Y.mergeUpdates(updates)));
    seeder.receive(confirmMessage(1));
    await waitFor(() => seeder.sent.some((m) => confirmSeq(m) === 1), { message: 'seeded' });

    const bad = fakeConnect(relay, ROOM, '10.0.0.2');
    bad.receive(new Uint8Array(HALF_VALID));
    // SIGTERM arrives while the bad frame is still queued.
    await relay.close();

    const stored = await docFromStore(store, ROOM);
    expect(text(stored)).toBe(text(doc));
    expect(stored.getArray('list').toJSON()).toEqual(doc.getArray('list').toJSON());
  });
});

describe('relay invariants: unreadable snapshots', () => {
  it('a damaged snapshot stored with its state vector is served to nobody and never overwritten', async () => {
    const first = resources.relay(await startTestRelay({ encodeAfterQuietMs: 0 }));
    const client = await openReadyRawClient(first.wsUrl, ROOM);
    const w = writer();
    w.doc.getText('body').insert(0, 'a document worth keeping, '.repeat(20));
    client.send(updateMessage(w.updates[0]));
    client.send(confirmMessage(1));
    await client.waitForMessage((m) => confirmSeq(m) === 1, 'stored');
    client.close();
    await first.stop();

    // Damage the snapshot's bytes (a bad sector), keeping its state vector.
    const path = join(first.dataDir, 'relay.sqlite');
    const raw = new SqliteStore(path);
    const stored = raw.load(ROOM);
    expect(stored.snapshotStateVector).toBeDefined();
    const damaged = stored.snapshot!.slice(0, Math.floor(stored.snapshot!.length / 2));
    raw.compact(ROOM, damaged, 0, 2, stored.snapshotStateVector);
    raw.close();

    const restarted = resources.relay(
      await startTestRelay({ dataDir: first.dataDir, encodeAfterQuietMs: 0 })
    );
    const reader = await openReadyRawClient(restarted.wsUrl, ROOM, { askForState: false });
    reader.send(syncStep1Message(new Y.Doc()));
    const closed = await reader.closed;
    expect(closed.code).not.toBe(1000);
    const writerAgain = await openReadyRawClient(restarted.wsUrl, ROOM, { askForState: false });
    const other = new Y.Doc();
    other.getText('body').insert(0, 'new');
    writerAgain.send(updateMessage(Y.encodeStateAsUpdate(other)));
    await writerAgain.closed;
    await restarted.stop();
    const after = new SqliteStore(path);
    try {
      expect(Buffer.from(after.load(ROOM).snapshot!).equals(Buffer.from(damaged))).toBe(true);
      expect(after.storedBytes(ROOM).logEntries).toBe(0);
    } finally {
      after.close();
    }
  });
});

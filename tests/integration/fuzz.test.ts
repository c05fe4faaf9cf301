/**
 * Random, truncated and mutated frames, from a seeded generator so a failure
 * reproduces: the relay stays up, refuses what it must with a protocol close
 * code (never an internal error), and neither the room in memory nor the
 * stored document changes; a well-behaved client still syncs afterwards.
 *
 * A mutated frame that happens to be a valid update which would change the
 * document is not sent (the relay is right to store it); one that decodes but
 * fails to apply is sent, since half-applying it must leave no trace.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { Relay } from '../../server/relay/Relay.js';
import type { Logger } from '../../server/relay/logger.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { CLOSE, MESSAGE } from '../../src/lib/model/protocol.js';
import {
  Resources,
  bodyText,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import {
  awarenessMessage,
  confirmMessage,
  encodeMessage,
  updateMessage
} from '../support/rawClient.js';
import { randomBytes, seededRandom } from '../support/random.js';
import { waitFor } from '../support/poll.js';
import { seedCorpus } from '../support/fuzzCorpus.js';
import { fakeConnect, type FakeConnection } from '../support/fakeTransport.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.fuzz';
const CORE_FRAMES = Number(process.env.FUZZ_FRAMES ?? 100_000);
/** FUZZ_SEED=<n> explores other sequences; a failure names its seed. */
const SEED = Number(process.env.FUZZ_SEED ?? 0xd1f7);
const SOCKET_FRAMES = 3_000;
/** Frames handed to the relay per turn of the event loop (one per fake connection). */
const PARALLEL = 64;
/** Close codes bad input may earn. */
const EXPECTED_CODES = new Set<number>([
  CLOSE.unsupportedData,
  CLOSE.invalidPayload,
  CLOSE.policyViolation
]);
/**
 * The one internal error allowed: an update Yjs applied halfway before failing
 * makes the relay reload the room from the store, closing its connections.
 */
const HALF_APPLIED = 'an update was half applied; reconnect to resync';

/** Counts closes by code; any other 1011 (or anything unexpected) fails the test. */
class Closes {
  readonly byCode = new Map<number, number>();
  readonly unexpected: { code: number; reason: string }[] = [];
  add(code: number, reason: string): void {
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
    const allowed =
      EXPECTED_CODES.has(code) || (code === CLOSE.internalError && reason === HALF_APPLIED);
    if (!allowed) this.unexpected.push({ code, reason });
  }
  toString(): string {
    return JSON.stringify(Object.fromEntries(this.byCode));
  }
}

type Random = () => number;
type Frame = Uint8Array | string;

function syncFrame(type: number, payload: Uint8Array): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.sync);
    encoding.writeVarUint(e, type);
    encoding.writeVarUint8Array(e, payload);
  });
}

function awarenessUpdateOf(clientId: number, clock: number, state: unknown): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint(e, clock);
    encoding.writeVarString(e, JSON.stringify(state));
  });
}

interface Bases {
  /** Document updates (sync update and step 2 frames). */
  updates: Uint8Array[];
  /** Everything else: state vectors, awareness, queries, confirms, auth. */
  others: Uint8Array[];
}

/** Valid frames of every message type, the material mutations start from. */
function baseFrames(updates: Uint8Array[], doc: Y.Doc): Bases {
  const full = Y.encodeStateAsUpdate(doc);
  const partial = new Y.Doc();
  Y.applyUpdate(partial, updates[0]);
  const documentFrames = [
    syncFrame(syncProtocol.messageYjsSyncStep2, full),
    // Version 2 encoding, which the relay (version 1) must refuse cleanly.
    syncFrame(syncProtocol.messageYjsSyncStep2, Y.encodeStateAsUpdateV2(doc)),
    updateMessage(Y.mergeUpdates(updates.slice(0, 3)))
  ];
  for (const update of updates) {
    documentFrames.push(updateMessage(update));
    documentFrames.push(syncFrame(syncProtocol.messageYjsSyncStep2, update));
  }
  const others: Uint8Array[] = [
    syncFrame(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(new Y.Doc())),
    syncFrame(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(doc)),
    syncFrame(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(partial)),
    awarenessMessage(
      awarenessUpdateOf(777, 1, {
        user: { name: 'Fuzz', color: '#1f6feb' },
        cursor: { anchor: { type: { client: 1001, clock: 0 }, assoc: 0 } }
      })
    ),
    awarenessMessage(awarenessUpdateOf(778, 2, null)),
    awarenessMessage(awarenessUpdateOf(779, 1, { user: { name: 'x'.repeat(101) } })),
    Uint8Array.of(MESSAGE.queryAwareness),
    confirmMessage(12345),
    encodeMessage((e) => {
      encoding.writeVarUint(e, MESSAGE.auth);
      encoding.writeVarUint(e, 0);
      encoding.writeVarString(e, 'permission denied');
    })
  ];
  partial.destroy();
  return { updates: documentFrames, others };
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)];
const int = (random: Random, max: number) => Math.floor(random() * max);
/** Four in ten frames start from a document update, the rest from the other messages. */
const basePick = (random: Random, bases: Bases) =>
  pick(random, random() < 0.4 ? bases.updates : bases.others);

/** One fuzz frame: random bytes, or a valid frame truncated, flipped, spliced or padded. */
function nextFrame(random: Random, bases: Bases): Frame {
  const base = basePick(random, bases);
  switch (int(random, 12)) {
    case 0:
      return randomBytes(random, int(random, 64));
    case 1: {
      // A known message type followed by garbage.
      const type = pick(random, [0, 1, 2, 3, 100, 0x7f, 0xff]);
      return Uint8Array.of(type, ...randomBytes(random, int(random, 40)));
    }
    case 2:
      return base.slice(0, int(random, base.length));
    case 3:
    case 4: {
      const copy = base.slice();
      const flips = 1 + int(random, 4);
      for (let i = 0; i < flips && copy.length > 0; i++) {
        copy[int(random, copy.length)] ^= 1 << int(random, 8);
      }
      return copy;
    }
    case 5: {
      const copy = base.slice();
      if (copy.length > 0) copy[int(random, copy.length)] = int(random, 256);
      return copy;
    }
    case 6: {
      const at = int(random, base.length + 1);
      const inserted = randomBytes(random, 1 + int(random, 16));
      return Uint8Array.from([...base.slice(0, at), ...inserted, ...base.slice(at)]);
    }
    case 7: {
      const from = int(random, base.length + 1);
      const to = from + int(random, base.length - from + 1);
      return Uint8Array.from([...base.slice(0, from), ...base.slice(to)]);
    }
    case 8: {
      const other = basePick(random, bases);
      return Uint8Array.from([
        ...base.slice(0, int(random, base.length + 1)),
        ...other.slice(int(random, other.length + 1))
      ]);
    }
    case 9:
      // Varint overflows and absurd lengths right after a message type.
      return Uint8Array.of(
        pick(random, [0, 1, 100]),
        ...new Array<number>(1 + int(random, 12)).fill(0xff),
        ...randomBytes(random, int(random, 8))
      );
    case 10:
      if (random() < 0.1) return 'text frame ' + int(random, 1000);
      return base;
    default:
      return Uint8Array.from([...base, ...randomBytes(random, 1 + int(random, 32))]);
  }
}

/**
 * Whether a frame is a sync update that would validly change the document:
 * those are left out. Anything that fails partway is kept in.
 */
function changesDocument(frame: Frame, base: Baseline): boolean {
  if (typeof frame === 'string') return false;
  let payload: Uint8Array;
  let decoded: ReturnType<typeof Y.decodeUpdate>;
  try {
    const decoder = decoding.createDecoder(frame);
    if (decoding.readVarUint(decoder) !== MESSAGE.sync) return false;
    const type = decoding.readVarUint(decoder);
    if (type !== syncProtocol.messageYjsSyncStep2 && type !== syncProtocol.messageYjsUpdate) {
      return false;
    }
    payload = decoding.readVarUint8Array(decoder);
    decoded = Y.decodeUpdate(payload);
  } catch {
    return false;
  }
  // Quick answer: only structs and deletions the document already has.
  const known = decoded.structs.every(
    (struct) => struct.id.clock + struct.length <= (base.stateVector.get(struct.id.client) ?? 0)
  );
  const deletedAlready = [...decoded.ds.clients].every(([client, ranges]) =>
    ranges.every(
      (range) =>
        range.len <= 64 &&
        Array.from({ length: range.len }, (_, i) =>
          Y.isDeleted(base.deleteSet, new Y.ID(client, range.clock + i))
        ).every(Boolean)
    )
  );
  if (known && deletedAlready) return false;
  // Otherwise apply it to a copy of the document and look.
  const scratch = new Y.Doc();
  try {
    Y.applyUpdate(scratch, base.state);
    try {
      Y.applyUpdate(scratch, payload);
    } catch {
      base.failsToApply++;
      return false;
    }
    return !equalBytes(Y.encodeStateAsUpdate(scratch), base.state);
  } finally {
    scratch.destroy();
  }
}

interface Baseline {
  /** Frames sent that decode as updates but fail when applied (counted for the log). */
  failsToApply: number;
  state: Uint8Array;
  stateVector: Map<number, number>;
  deleteSet: ReturnType<typeof Y.createDeleteSetFromStructStore>;
}

function baseline(state: Uint8Array): Baseline {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  const result = {
    failsToApply: 0,
    state,
    stateVector: Y.decodeStateVector(Y.encodeStateVector(doc)),
    deleteSet: Y.createDeleteSetFromStructStore(doc.store)
  };
  doc.destroy();
  return result;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The encoded state of a document rebuilt from updates, for comparisons. */
function encodedState(updates: Uint8Array[]): Uint8Array {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  const state = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return state;
}

/** Lets every promise chain of the relay run (the SQLite store answers synchronously). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Asks the relay for the whole room in memory (sync step 2 to an empty state vector). */
async function roomInMemory(relay: Relay): Promise<Uint8Array> {
  const probe = fakeConnect(relay, ROOM, '10.9.9.9');
  probe.receive(syncFrame(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(new Y.Doc())));
  const step2 = await waitFor(
    () =>
      probe.sent.find((m) => m[0] === MESSAGE.sync && m[1] === syncProtocol.messageYjsSyncStep2),
    { message: 'the relay to answer sync step 1' }
  );
  const decoder = decoding.createDecoder(step2);
  decoding.readVarUint(decoder);
  decoding.readVarUint(decoder);
  return encodedState([decoding.readVarUint8Array(decoder)]);
}

function countingLogger(): Logger & { counts: Map<string, number>; errors: unknown[] } {
  const counts = new Map<string, number>();
  const errors: unknown[] = [];
  const count = (message: string) => counts.set(message, (counts.get(message) ?? 0) + 1);
  return {
    counts,
    errors,
    debug: count,
    info: count,
    warn: count,
    error: (message, fields) => {
      count(message);
      errors.push({ message, ...fields });
    }
  };
}

describe('fuzz', { timeout: 180_000 }, () => {
  it(`${CORE_FRAMES.toLocaleString('en')} frames through Relay.connect leave the room and the store unchanged`, async () => {
    const dataDir = tempDataDir();
    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const logger = countingLogger();
    const relay = new Relay({
      store,
      logger,
      idleUnloadMs: 60_000,
      // Rates are tested in limits.test.ts; here every frame must reach the parser.
      limits: { messagesPerSecond: 0, bytesPerSecond: 0 }
    });
    resources.add(relay, async (r) => {
      await r.close();
      await store.close();
    });

    const { updates, doc } = seedCorpus();
    const seeder = fakeConnect(relay, ROOM, '10.0.0.1');
    for (const update of updates) seeder.receive(updateMessage(update));
    seeder.receive(confirmMessage(1));
    await waitFor(() => seeder.sent.some((m) => m[0] === MESSAGE.confirm), {
      message: 'the seed stored'
    });
    const before = encodedState([Y.encodeStateAsUpdate(await docFromStore(store, ROOM))]);
    expect(equalBytes(before, encodedState([Y.encodeStateAsUpdate(doc)]))).toBe(true);

    const random = seededRandom(SEED);
    const bases = baseFrames(updates, doc);
    const base = baseline(before);
    const slots: FakeConnection[] = [];
    const closes = new Closes();
    let sent = 0;
    let leftOut = 0;
    let opened = 0;
    const started = performance.now();
    while (sent < CORE_FRAMES) {
      for (let i = 0; i < PARALLEL && sent < CORE_FRAMES; i++) {
        const slot = slots[i];
        if (!slot || slot.closed) {
          if (slot?.closed) closes.add(slot.closed.code, slot.closed.reason);
          slots[i] = fakeConnect(relay, ROOM, `10.1.${i >> 8}.${i & 255}`);
          opened++;
        }
        const frame = nextFrame(random, bases);
        if (changesDocument(frame, base)) {
          leftOut++;
          continue;
        }
        slots[i].receive(frame);
        sent++;
      }
      await turn();
    }
    await turn();
    for (const slot of slots) {
      if (slot.closed) closes.add(slot.closed.code, slot.closed.reason);
    }
    const ms = Math.round(performance.now() - started);
    console.log(
      `fuzz (Relay.connect, seed ${SEED}): ${sent} frames in ${ms} ms over ${opened} connections; ` +
        `${leftOut} valid changing updates left out, ${base.failsToApply} sent that fail to apply; ` +
        `closes by code ${closes}; rooms reloaded after a half-applied update: ` +
        (logger.counts.get('room discarded') ?? 0)
    );

    expect(logger.errors).toEqual([]);
    expect(closes.unexpected).toEqual([]);
    // The relay is up, its room in memory is what was stored, and so is the store.
    expect(equalBytes(await roomInMemory(relay), before)).toBe(true);
    const writer = fakeConnect(relay, ROOM, '10.2.0.1');
    const later = new Y.Doc();
    later.getText('after').insert(0, 'still works');
    writer.receive(updateMessage(Y.encodeStateAsUpdate(later)));
    writer.receive(confirmMessage(7));
    await waitFor(() => writer.sent.some((m) => m[0] === MESSAGE.confirm), {
      message: 'a well-behaved write confirmed'
    });
    expect(writer.closed).toBeNull();
    await relay.close();
    const stored = await docFromStore(store, ROOM);
    expect(stored.getText('after').toString()).toBe('still works');
    stored.getText('after').delete(0, 'still works'.length);
    expect(stored.getText('body').toString()).toBe(doc.getText('body').toString());
    expect(stored.getMap('meta').toJSON()).toEqual(doc.getMap('meta').toJSON());
    expect(stored.getArray('list').toJSON()).toEqual(doc.getArray('list').toJSON());
    expect(stored.getXmlFragment('prosemirror').toString()).toBe(
      doc.getXmlFragment('prosemirror').toString()
    );
    const storedSv = Y.decodeStateVector(Y.encodeStateVector(stored));
    storedSv.delete(later.clientID);
    expect(storedSv).toEqual(Y.decodeStateVector(Y.encodeStateVector(doc)));
  });

  it('refuses an update with an empty struct, which the fuzz found poisons sync answers', async () => {
    const dataDir = tempDataDir();
    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const relay = new Relay({ store, logger: countingLogger() });
    resources.add(relay, async (r) => {
      await r.close();
      await store.close();
    });
    const { updates, doc } = seedCorpus();
    const seeder = fakeConnect(relay, ROOM, '10.0.0.1');
    seeder.receive(updateMessage(Y.mergeUpdates(updates)));
    // An item of length 0 (an empty string) at a clock the room already has.
    const empty = encodeMessage((e) => {
      encoding.writeVarUint(e, 1); // clients
      encoding.writeVarUint(e, 2); // structs
      encoding.writeVarUint(e, 1001);
      encoding.writeVarUint(e, 0);
      for (const text of ['', 'a']) {
        encoding.writeUint8(e, 4); // an item with string content, parent by name
        encoding.writeVarUint(e, 1);
        encoding.writeVarString(e, 'body');
        encoding.writeVarString(e, text);
      }
      encoding.writeVarUint(e, 0); // delete set
    });
    const bad = fakeConnect(relay, ROOM, '10.0.0.2');
    bad.receive(updateMessage(empty));
    await waitFor(() => bad.closed, { message: 'the empty struct refused' });
    expect(bad.closed).toEqual({
      code: CLOSE.invalidPayload,
      reason: 'update contains an empty struct'
    });
    expect(equalBytes(await roomInMemory(relay), encodedState([Y.encodeStateAsUpdate(doc)]))).toBe(
      true
    );
  });

  it('reloads the room when Yjs applies an update halfway, so none of it survives', async () => {
    const dataDir = tempDataDir();
    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    const relay = new Relay({ store, logger: countingLogger() });
    resources.add(relay, async (r) => {
      await r.close();
      await store.close();
    });
    const { updates, doc } = seedCorpus();
    const seeder = fakeConnect(relay, ROOM, '10.0.0.1');
    seeder.receive(updateMessage(Y.mergeUpdates(updates)));
    seeder.receive(confirmMessage(1));
    await waitFor(() => seeder.sent.some((m) => m[0] === MESSAGE.confirm), { message: 'seeded' });
    const before = encodedState([Y.encodeStateAsUpdate(doc)]);
    // Found by seed 2: a mutated sync step 2 that integrates three list items,
    // then throws inside Yjs.
    const halfValid = Buffer.from(
      '0002340103d20f0844e907000a4f7468657220636c6965c1d20f49e907000488e907350177067075736865' +
        '6402d20f010a04e907012d01',
      'hex'
    );
    const bad = fakeConnect(relay, ROOM, '10.0.0.2');
    bad.receive(new Uint8Array(halfValid));
    await waitFor(() => bad.closed, { message: 'the half-valid update refused' });
    expect(bad.closed).toEqual({
      code: CLOSE.invalidPayload,
      reason: 'update could not be applied'
    });
    // Everyone else reconnects to a room read again from the store.
    expect(seeder.closed).toEqual({ code: CLOSE.internalError, reason: HALF_APPLIED });
    expect(equalBytes(await roomInMemory(relay), before)).toBe(true);
    const stored = encodedState([Y.encodeStateAsUpdate(await docFromStore(store, ROOM))]);
    expect(equalBytes(stored, before)).toBe(true);
  });

  it(`${SOCKET_FRAMES.toLocaleString('en')} frames over real sockets leave the store unchanged`, async () => {
    const relay = resources.relay(await startTestRelay());
    const seedProvider = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(seedProvider);
    const { updates, doc } = seedCorpus();
    for (const update of updates) Y.applyUpdate(seedProvider.doc, update);
    await waitFor(
      async () =>
        (await docFromStore(relay.store, ROOM)).getText('body').toString() ===
        doc.getText('body').toString(),
      { message: 'the seed stored' }
    );
    seedProvider.destroy();
    const before = encodedState([Y.encodeStateAsUpdate(await docFromStore(relay.store, ROOM))]);

    const random = seededRandom(0x50c7);
    const bases = baseFrames(updates, doc);
    const base = baseline(before);
    const closes = new Closes();
    let sent = 0;
    const started = performance.now();
    const lanes = Array.from({ length: 8 }, async () => {
      let ws: WebSocket | null = null;
      let seq = 0;
      while (sent < SOCKET_FRAMES) {
        const frame = nextFrame(random, bases);
        if (changesDocument(frame, base)) continue;
        sent++;
        if (!ws || ws.readyState !== WebSocket.OPEN) ws = await openSocket(relay.wsUrl);
        const current = ws;
        // The frame, then a confirm: its answer shows the frame was handled
        // and accepted; a close shows it was refused.
        const outcome = new Promise<{ code: number; reason: string } | null>((resolve) => {
          const wanted = ++seq;
          const onMessage = (data: Buffer) => {
            const message = new Uint8Array(data);
            if (message[0] !== MESSAGE.confirm) return;
            const decoder = decoding.createDecoder(message);
            decoding.readVarUint(decoder);
            if (decoding.readVarUint(decoder) !== wanted) return;
            current.off('message', onMessage);
            resolve(null);
          };
          current.on('message', onMessage);
          current.once('close', (code: number, reason: Buffer) =>
            resolve({ code, reason: reason.toString() })
          );
          current.send(frame);
          current.send(confirmMessage(wanted));
        });
        const closed = await outcome;
        if (closed) closes.add(closed.code, closed.reason);
      }
      ws?.close();
    });
    await Promise.all(lanes);
    const ms = Math.round(performance.now() - started);
    console.log(`fuzz (sockets): ${sent} frames in ${ms} ms; closes by code ${closes}`);
    expect(closes.unexpected).toEqual([]);
    expect(relay.logs.filter((l) => l.level === 'error')).toEqual([]);

    const after = encodedState([Y.encodeStateAsUpdate(await docFromStore(relay.store, ROOM))]);
    expect(equalBytes(after, before)).toBe(true);
    // Well-behaved clients still sync, and see exactly the seeded document.
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(a);
    await whenSynced(b);
    expect(bodyText(a)).toBe(doc.getText('body').toString());
    a.doc.getText('body').insert(0, 'after fuzz. ');
    await waitFor(() => bodyText(b).startsWith('after fuzz. '), {
      message: 'an edit to reach the other client'
    });
  });
});

async function openSocket(wsUrl: string): Promise<WebSocket> {
  const ws = new WebSocket(`${wsUrl}/${ROOM}`);
  ws.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with HTTP ${res.statusCode}`))
    );
  });
  return ws;
}

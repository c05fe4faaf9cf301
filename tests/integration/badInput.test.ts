/**
 * Bad input closes only the connection that sent it, with the close code of
 * protocol.ts; the room keeps serving everyone else and nothing unreadable
 * reaches the store.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import {
  Resources,
  bodyText,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced,
  type TestRelay
} from '../support/relay.js';
import {
  awarenessMessage,
  confirmMessage,
  confirmSeq,
  encodeMessage,
  openReadyRawClient,
  updateMessage
} from '../support/rawClient.js';
import { randomBytes, seededRandom } from '../support/random.js';
import { waitFor } from '../support/poll.js';
import { CLOSE, MESSAGE } from '../../src/lib/model/protocol.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.bad';
const MAX_MESSAGE_BYTES = 64 * 1024;
const GHOST_CLIENT_ID = 424242;

/** Bytes that fail as a Yjs update: every byte has the varint continuation bit set. */
function undecodable(seed: number, length: number): Uint8Array {
  return randomBytes(seededRandom(seed), length).map((byte) => byte | 0x80);
}

function rawSync(syncType: number, payload: Uint8Array): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.sync);
    encoding.writeVarUint(e, syncType);
    encoding.writeVarUint8Array(e, payload);
  });
}

/** One valid awareness entry followed by one whose state is not JSON. */
function halfValidAwarenessUpdate(): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, GHOST_CLIENT_ID);
    encoding.writeVarUint(e, 1);
    encoding.writeVarString(e, JSON.stringify({ user: { name: 'Ghost' } }));
    encoding.writeVarUint(e, GHOST_CLIENT_ID + 1);
    encoding.writeVarUint(e, 1);
    encoding.writeVarString(e, '{"user": not json');
  });
}

/** A well-formed update that is larger than the relay's cap. */
function oversizedUpdate(): Uint8Array {
  const doc = new Y.Doc();
  doc.getText('body').insert(0, 'spam '.repeat(MAX_MESSAGE_BYTES / 4));
  const update = Y.encodeStateAsUpdate(doc);
  doc.destroy();
  return updateMessage(update);
}

interface BadCase {
  name: string;
  frame: () => Uint8Array | string;
  code: number;
  /** Part of the close reason; ws closes oversized frames itself, without one. */
  reason: string | RegExp;
}

const cases: BadCase[] = [
  {
    name: 'a text frame',
    frame: () => 'hello relay',
    code: CLOSE.unsupportedData,
    reason: /text frames are not supported/
  },
  {
    name: 'random garbage bytes',
    frame: () => undecodable(1, 48),
    code: CLOSE.invalidPayload,
    reason: /malformed message/
  },
  {
    name: 'an empty binary frame',
    frame: () => new Uint8Array(0),
    code: CLOSE.invalidPayload,
    reason: /malformed message/
  },
  {
    name: 'a sync update whose payload is garbage',
    frame: () => rawSync(2, undecodable(2, 40)),
    code: CLOSE.invalidPayload,
    reason: /update could not be decoded/
  },
  {
    name: 'a sync step 2 whose payload is garbage',
    frame: () => rawSync(1, undecodable(3, 40)),
    code: CLOSE.invalidPayload,
    reason: /update could not be decoded/
  },
  {
    name: 'a sync step 1 whose state vector is garbage',
    frame: () => rawSync(0, undecodable(4, 16)),
    code: CLOSE.invalidPayload,
    reason: /malformed state vector/
  },
  {
    name: 'a truncated sync message',
    frame: () => Uint8Array.of(MESSAGE.sync),
    code: CLOSE.invalidPayload,
    reason: /malformed sync message/
  },
  {
    name: 'an unknown sync message type',
    frame: () => rawSync(9, new Uint8Array(2)),
    code: CLOSE.invalidPayload,
    reason: /unknown sync message type 9/
  },
  {
    name: 'an unknown message type',
    frame: () => Uint8Array.of(42, 1, 2, 3),
    code: CLOSE.invalidPayload,
    reason: /unknown message type 42/
  },
  {
    name: 'a malformed confirm message',
    frame: () => Uint8Array.of(MESSAGE.confirm),
    code: CLOSE.invalidPayload,
    reason: /malformed confirm message/
  },
  {
    name: 'a malformed awareness message',
    frame: () => awarenessMessage(halfValidAwarenessUpdate()),
    code: CLOSE.invalidPayload,
    reason: /malformed awareness message/
  },
  {
    name: 'a truncated awareness message',
    frame: () => Uint8Array.of(MESSAGE.awareness, 10, 1),
    code: CLOSE.invalidPayload,
    reason: /malformed awareness message/
  },
  {
    name: 'a frame over the size cap',
    frame: oversizedUpdate,
    code: CLOSE.messageTooBig,
    reason: /^(|message larger than 65536 bytes)$/
  }
];

describe('bad input', () => {
  it.each(cases)('$name closes only that connection', async ({ frame, code, reason }) => {
    const dataDir = tempDataDir();
    const relay = resources.relay(
      await startTestRelay({ dataDir, maxMessageBytes: MAX_MESSAGE_BYTES })
    );
    const good = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const goodCloses: unknown[] = [];
    good.on('connection-close', (event) => goodCloses.push(event));
    good.awareness.setLocalStateField('user', { name: 'Alice' });
    await whenSynced(good);
    good.doc.getText('body').insert(0, 'before.');

    const bad = await openReadyRawClient(relay.wsUrl, ROOM);
    // The bad client sends a good update first: it must be kept.
    const badDoc = new Y.Doc();
    badDoc.getText('other').insert(0, 'valid part');
    bad.send(updateMessage(Y.encodeStateAsUpdate(badDoc)));
    badDoc.destroy();
    bad.send(frame());
    const closed = await bad.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
    // Anything after the bad frame is ignored, never answered.
    expect(bad.received.some((m) => confirmSeq(m) !== null)).toBe(false);

    // The room goes on: the good client keeps its socket and still syncs.
    const later = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(later);
    good.doc.getText('body').insert(7, ' after.');
    await waitFor(() => bodyText(later) === 'before. after.', {
      message: 'the room to keep syncing'
    });
    expect(later.doc.getText('other').toString()).toBe('valid part');
    expect(goodCloses).toEqual([]);
    expect(good.wsconnected).toBe(true);
    expect(later.awareness.getStates().get(good.doc.clientID)?.user?.name).toBe('Alice');
    expect([...later.awareness.getStates().keys()]).not.toContain(GHOST_CLIENT_ID);

    await expectStoredIntact(relay);

    // What was stored loads again after a restart.
    await relay.stop();
    const restarted = resources.relay(await startTestRelay({ dataDir }));
    const fresh = resources.provider(connectProvider(restarted.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('before. after.');
    expect(fresh.doc.getText('other').toString()).toBe('valid part');
  });

  it('a client that sent bad input can reconnect and sync', async () => {
    const relay = resources.relay(await startTestRelay());
    const bad = await openReadyRawClient(relay.wsUrl, ROOM);
    bad.send(Uint8Array.of(42));
    expect((await bad.closed).code).toBe(CLOSE.invalidPayload);
    const again = await openReadyRawClient(relay.wsUrl, ROOM);
    again.send(confirmMessage(1));
    await again.waitForMessage((m) => confirmSeq(m) === 1, 'a confirm on the new connection');
    again.close();
  });

  it('refuses an invalid room name at the upgrade', async () => {
    const relay = resources.relay(await startTestRelay());
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`${relay.wsUrl}/not%20a%20room`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('the relay accepted an invalid room name')));
      ws.on('error', () => {});
    });
    expect(status).toBe(400);
    expect(await relay.store.rooms()).toEqual([]);
  });

  it('does not keep awareness states from a malformed awareness message', async () => {
    const relay = resources.relay(await startTestRelay());
    const watcher = resources.provider(connectProvider(relay.wsUrl, ROOM));
    // A state still at clock 0 (never set) is ignored by y-protocols peers.
    watcher.awareness.setLocalStateField('user', { name: 'Watcher' });
    await whenSynced(watcher);
    const bad = await openReadyRawClient(relay.wsUrl, ROOM);
    bad.send(awarenessMessage(halfValidAwarenessUpdate()));
    expect((await bad.closed).code).toBe(CLOSE.invalidPayload);

    // A newcomer gets every state the relay holds in its first messages.
    const newcomer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    newcomer.awareness.setLocalStateField('user', { name: 'Newcomer' });
    await waitFor(() => watcher.awareness.getStates().has(newcomer.doc.clientID), {
      message: 'the watcher to see the newcomer'
    });
    await waitFor(() => newcomer.awareness.getStates().has(watcher.doc.clientID), {
      message: 'the newcomer to see the watcher'
    });
    expect([...newcomer.awareness.getStates().keys()]).not.toContain(GHOST_CLIENT_ID);
    expect([...watcher.awareness.getStates().keys()]).not.toContain(GHOST_CLIENT_ID);
  });
});

/** Every stored byte applies cleanly, and the log holds only what good clients sent. */
async function expectStoredIntact(relay: TestRelay): Promise<void> {
  const stored = await relay.store.load(ROOM);
  for (const update of stored.updates) expect(() => Y.decodeUpdate(update.data)).not.toThrow();
  const doc = await docFromStore(relay.store, ROOM);
  expect(doc.getText('body').toString()).toBe('before. after.');
  expect(doc.getText('other').toString()).toBe('valid part');
  expect(doc.share.size).toBe(2);
  doc.destroy();
}

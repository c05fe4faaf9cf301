/** Live collaboration through the relay, and merging after time apart. */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import {
  Resources,
  bodyText,
  connectProvider,
  docFromStore,
  startTestRelay,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { seededRandom } from '../support/random.js';
import * as syncProtocol from 'y-protocols/sync';
import {
  awarenessMessage,
  encodeMessage,
  messageType,
  openReadyRawClient,
  stateRequest,
  syncType,
  updateMessage
} from '../support/rawClient.js';
import { MESSAGE } from '../../src/lib/model/protocol.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.live';

describe('live sync', () => {
  it('carries edits both ways between two providers in one room', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(a);
    await whenSynced(b);

    a.doc.getText('body').insert(0, 'from a');
    await waitFor(() => bodyText(b) === 'from a', { message: 'b to see a' });
    b.doc.getText('body').insert(6, ', from b');
    b.doc.getMap('meta').set('title', 'Q3 plan');
    await waitFor(() => bodyText(a) === 'from a, from b', { message: 'a to see b' });
    expect(a.doc.getMap('meta').get('title')).toBe('Q3 plan');

    const stored = await docFromStore(relay.store, ROOM);
    expect(stored.getText('body').toString()).toBe('from a, from b');
  });

  it('keeps rooms apart', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, 'main.doc.one'));
    const b = resources.provider(connectProvider(relay.wsUrl, 'main.doc.two'));
    const a2 = resources.provider(connectProvider(relay.wsUrl, 'main.doc.one'));
    await whenSynced(b);
    a.doc.getText('body').insert(0, 'only in one');
    // a2 shares a's room: once it has the edit, the relay has handled it.
    await waitFor(() => bodyText(a2) === 'only in one', { message: 'a2 to see a' });
    expect(bodyText(b)).toBe('');
    expect((await relay.store.load('main.doc.two')).updates).toHaveLength(0);
  });

  it('propagates awareness and removes it when a client leaves', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(a);
    await whenSynced(b);

    a.awareness.setLocalStateField('user', { name: 'Alice' });
    await waitFor(() => b.awareness.getStates().get(a.doc.clientID)?.user?.name === 'Alice', {
      message: "b to see alice's awareness"
    });
    b.awareness.setLocalStateField('user', { name: 'Bruno' });
    await waitFor(() => a.awareness.getStates().get(b.doc.clientID)?.user?.name === 'Bruno', {
      message: "a to see bruno's awareness"
    });

    a.destroy();
    await waitFor(() => !b.awareness.getStates().has(a.doc.clientID), {
      message: "alice's state removed at b"
    });
  });

  it('removes the awareness of a client whose socket dies without a goodbye', async () => {
    const relay = resources.relay(await startTestRelay());
    const watcher = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(watcher);

    const ghostDoc = new Y.Doc();
    const ghost = new awarenessProtocol.Awareness(ghostDoc);
    resources.add(ghost, () => ghostDoc.destroy());
    ghost.setLocalState({ user: { name: 'Gone' } });
    const raw = await openReadyRawClient(relay.wsUrl, ROOM);
    raw.send(awarenessMessage(awarenessProtocol.encodeAwarenessUpdate(ghost, [ghostDoc.clientID])));
    await waitFor(() => watcher.awareness.getStates().has(ghostDoc.clientID), {
      message: 'the watcher to see the raw client'
    });

    // terminate() drops the TCP connection: no null awareness state is ever sent.
    raw.ws.terminate();
    await waitFor(() => !watcher.awareness.getStates().has(ghostDoc.clientID), {
      message: "the relay to remove the dead client's awareness"
    });
  });

  it('answers queryAwareness with every current state', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    a.awareness.setLocalStateField('user', { name: 'Alice' });
    b.awareness.setLocalStateField('user', { name: 'Bruno' });
    await waitFor(() => b.awareness.getStates().has(a.doc.clientID), { message: 'b sees a' });
    await waitFor(() => a.awareness.getStates().has(b.doc.clientID), { message: 'a sees b' });

    const raw = await openReadyRawClient(relay.wsUrl, ROOM);
    const before = raw.received.length;
    raw.send(encodeMessage((e) => encoding.writeVarUint(e, MESSAGE.queryAwareness)));
    const answer = await waitFor(
      () => raw.received.slice(before).find((m) => messageType(m) === MESSAGE.awareness),
      { message: 'an awareness answer' }
    );
    const decoder = decoding.createDecoder(answer);
    decoding.readVarUint(decoder);
    const mirror = new awarenessProtocol.Awareness(new Y.Doc());
    resources.add(mirror, () => mirror.doc.destroy());
    awarenessProtocol.applyAwarenessUpdate(mirror, decoding.readVarUint8Array(decoder), 'relay');
    const names = [...mirror.getStates().entries()]
      .filter(([id]) => id !== mirror.clientID)
      .map(([, state]) => state.user?.name)
      .sort();
    expect(names).toEqual(['Alice', 'Bruno']);
  });
});

describe('a client joining a busy room', () => {
  it('gets no update before the state it asked for, then every update after it', async () => {
    const relay = resources.relay(await startTestRelay());
    const writer = await openReadyRawClient(relay.wsUrl, ROOM);
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());
    const updates: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => updates.push(u));
    const type = (n: number) => {
      doc.getText('body').insert(doc.getText('body').length, `${n % 10}`);
      writer.send(updateMessage(updates[updates.length - 1]));
    };
    for (let i = 0; i < 50; i++) type(i);

    // Connected while the writer types, and not asking yet: nothing is forwarded.
    const joiner = await openReadyRawClient(relay.wsUrl, ROOM, { askForState: false });
    for (let i = 50; i < 100; i++) type(i);
    const watcher = await openReadyRawClient(relay.wsUrl, ROOM);
    const seen = watcher.received.length;
    type(100);
    await waitFor(() => watcher.received.length > seen, { message: 'the watcher to get #100' });
    const syncOf = (m: Uint8Array) => (messageType(m) === MESSAGE.sync ? syncType(m) : null);
    expect(joiner.received.map(syncOf)).toEqual([syncProtocol.messageYjsSyncStep1]);

    // It asks: the state first, then the updates that follow, which apply at once.
    joiner.send(stateRequest());
    await joiner.waitForMessage(
      (m) => syncOf(m) === syncProtocol.messageYjsSyncStep2,
      'the state answered'
    );
    for (let i = 101; i < 120; i++) type(i);
    const mirror = new Y.Doc();
    resources.add(mirror, (d) => d.destroy());
    await waitFor(
      () => {
        for (const m of joiner.received.splice(1)) {
          const decoder = decoding.createDecoder(m);
          if (decoding.readVarUint(decoder) !== MESSAGE.sync) continue;
          syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), mirror, null);
        }
        return mirror.getText('body').length === 120;
      },
      { message: 'the joiner to hold all 120 characters' }
    );
    // Nothing it received had to wait for a base it did not have yet.
    expect(mirror.store.pendingStructs).toBeNull();
    expect(mirror.getText('body').toString()).toBe(doc.getText('body').toString());
  });
});

describe('offline edits', () => {
  it('merges edits made on both sides while disconnected', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    a.doc.getText('body').insert(0, 'shared line');
    await waitFor(() => bodyText(b) === 'shared line', { message: 'b to see the shared line' });

    a.disconnect();
    b.disconnect();
    expect(a.wsconnected || b.wsconnected).toBe(false);
    a.doc.getText('body').insert(0, 'A offline. ');
    a.doc.getMap('meta').set('status', 'in review');
    b.doc.getText('body').insert(b.doc.getText('body').length, ' B offline.');
    b.doc.getMap('meta').set('owner', 'bruno');
    expect(bodyText(a)).not.toBe(bodyText(b));

    a.connect();
    b.connect();
    await waitFor(() => bodyText(a) === bodyText(b) && a.synced && b.synced, {
      message: 'a and b to converge'
    });
    expect(bodyText(a)).toBe('A offline. shared line B offline.');
    expect(a.doc.getMap('meta').toJSON()).toEqual({ status: 'in review', owner: 'bruno' });
    expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc));

    const fresh = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe(bodyText(a));
  });

  it('converges after seeded random edits, disconnects and reconnects', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? 20261121);
    const random = seededRandom(seed);
    const relay = resources.relay(await startTestRelay());
    const clients = [0, 1, 2].map(() =>
      resources.provider(connectProvider(relay.wsUrl, 'main.doc.fuzz'))
    );
    for (const client of clients) await whenSynced(client);

    for (let step = 0; step < 150; step++) {
      const client = clients[Math.floor(random() * clients.length)];
      const roll = random();
      if (roll < 0.08) {
        if (client.shouldConnect) client.disconnect();
        else client.connect();
        continue;
      }
      const body = client.doc.getText('body');
      if (roll < 0.75 || body.length === 0) {
        const at = Math.floor(random() * (body.length + 1));
        body.insert(at, String.fromCharCode(97 + Math.floor(random() * 26)));
      } else {
        const at = Math.floor(random() * body.length);
        body.delete(at, Math.min(1 + Math.floor(random() * 3), body.length - at));
      }
    }
    for (const client of clients) client.connect();
    await waitFor(
      () =>
        clients.every((c) => c.synced) &&
        clients.every((c) => bodyText(c) === bodyText(clients[0])) &&
        clients.every((c) =>
          equalBytes(Y.encodeStateVector(c.doc), Y.encodeStateVector(clients[0].doc))
        ),
      { message: `clients to converge (seed ${seed}; rerun with FUZZ_SEED=${seed})` }
    );
    const stored = await docFromStore(relay.store, 'main.doc.fuzz');
    expect(stored.getText('body').toString(), `seed ${seed}`).toBe(bodyText(clients[0]));
  });
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

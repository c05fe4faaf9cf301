/**
 * The confirm extension (message type 100): the relay echoes a client's
 * sequence number once everything that client sent before it is stored, and
 * stays silent about it to clients that never ask.
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
  whenSynced
} from '../support/relay.js';
import {
  confirmMessage,
  confirmSeq,
  messageType,
  openRawClient,
  openReadyRawClient,
  syncStep1Message,
  updateMessage
} from '../support/rawClient.js';
import { gatedStore } from '../support/gatedStore.js';
import { waitFor } from '../support/poll.js';
import { MESSAGE } from '../../src/lib/model/protocol.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.confirm';

describe('confirm extension', () => {
  it('echoes the sequence number after the updates sent before it are stored', async () => {
    const relay = resources.relay(await startTestRelay());
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());

    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (const word of ['one ', 'two ', 'three ']) {
      doc.getText('body').insert(doc.getText('body').length, word);
    }
    for (const update of updates) client.send(updateMessage(update));
    client.send(confirmMessage(7));

    const stored = new Promise<string>((resolve) =>
      client.ws.on('message', (data: Buffer) => {
        // Checked the moment the echo arrives: the store must already hold everything.
        if (confirmSeq(new Uint8Array(data)) === 7) {
          void docFromStore(relay.store, ROOM).then((d) => resolve(d.getText('body').toString()));
        }
      })
    );
    expect(await stored).toBe('one two three ');
    expect(client.received.filter((m) => confirmSeq(m) !== null).map(confirmSeq)).toEqual([7]);
  });

  it('answers each confirm in order, and answers one with nothing before it', async () => {
    const relay = resources.relay(await startTestRelay());
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    client.send(confirmMessage(1));
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());
    doc.getText('body').insert(0, 'a');
    client.send(updateMessage(Y.encodeStateAsUpdate(doc)));
    client.send(confirmMessage(2));
    client.send(confirmMessage(300_000));
    await waitFor(() => client.received.some((m) => confirmSeq(m) === 300_000), {
      message: 'the last confirm'
    });
    const seqs = client.received.map(confirmSeq).filter((s) => s !== null);
    expect(seqs).toEqual([1, 2, 300_000]);
  });

  it('holds the echo back until the store has finished writing', async () => {
    const dataDir = tempDataDir();
    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const store = gatedStore(sqlite, { appends: true });
    const relay = resources.relay(await startTestRelay({ dataDir, store }));
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());
    doc.getText('body').insert(0, 'slow write');
    client.send(updateMessage(Y.encodeStateAsUpdate(doc)));
    client.send(confirmMessage(1));
    await waitFor(() => store.appendGate.arrivals === 1, { message: 'the append to start' });

    // A full round trip through another connection: a relay that answered the
    // confirm before the write completed would have done so by now.
    const probe = await openReadyRawClient(relay.wsUrl, 'main.doc.probe');
    probe.send(confirmMessage(5));
    await probe.waitForMessage((m) => confirmSeq(m) === 5, 'the probe confirm');
    expect(client.received.some((m) => confirmSeq(m) === 1)).toBe(false);
    expect(sqlite.load(ROOM).updates).toHaveLength(0);

    store.appendGate.open();
    await client.waitForMessage((m) => confirmSeq(m) === 1, 'the confirm after the write');
    expect(sqlite.load(ROOM).updates).toHaveLength(1);
  });

  it('stores what a client sent even when it leaves before the write finishes', async () => {
    const dataDir = tempDataDir();
    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const store = gatedStore(sqlite, { appends: true });
    const relay = resources.relay(await startTestRelay({ dataDir, store, idleUnloadMs: 10 }));
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());
    doc.getText('body').insert(0, 'sent, then gone');
    client.send(updateMessage(Y.encodeStateAsUpdate(doc)));
    // A second update queued behind the held write, then the socket closes.
    doc.getText('body').insert(0, 'also ');
    client.send(updateMessage(Y.encodeStateAsUpdate(doc)));
    await waitFor(() => store.appendGate.arrivals === 1, { message: 'the first append to start' });
    client.close();
    await client.closed;
    await waitFor(() => relay.relay.stats().connections === 0, {
      message: 'the relay to see the close'
    });

    store.appendGate.open();
    // The idle unload must wait for the queued update, then flush both.
    await waitFor(() => !relay.relay.isLoaded(ROOM), { message: 'the room to unload' });
    const stored = await docFromStore(sqlite, ROOM);
    expect(stored.getText('body').toString()).toBe('also sent, then gone');
  });

  it('never sends a confirm message to a standard y-websocket client', async () => {
    const relay = resources.relay(await startTestRelay());
    const a = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const b = resources.provider(connectProvider(relay.wsUrl, ROOM));
    const seenTypes = new Set<number>();
    for (const provider of [a, b]) {
      provider.on('status', ({ status }: { status: string }) => {
        if (status !== 'connected') return;
        provider.ws!.addEventListener('message', (event: MessageEvent) => {
          seenTypes.add(messageType(new Uint8Array(event.data as ArrayBuffer)));
        });
      });
    }
    const unexpected: number[] = [];
    for (const provider of [a, b]) {
      provider.messageHandlers[MESSAGE.confirm] = () => unexpected.push(MESSAGE.confirm);
    }
    a.awareness.setLocalStateField('user', { name: 'Alice' });
    await whenSynced(a);
    await whenSynced(b);
    for (let i = 0; i < 20; i++) a.doc.getText('body').insert(0, `${i};`);
    b.doc.getText('body').insert(0, 'b;');
    await waitFor(
      () =>
        a.doc.getText('body').toString() === b.doc.getText('body').toString() &&
        a.doc.getText('body').length > 40,
      { message: 'a and b to converge' }
    );

    expect(unexpected).toEqual([]);
    expect(seenTypes.has(MESSAGE.sync)).toBe(true);
    expect([...seenTypes].every((t) => t === MESSAGE.sync || t === MESSAGE.awareness)).toBe(true);
    expect(relay.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
  });

  it('sends nothing of its own to a raw client that never asks', async () => {
    const relay = resources.relay(await startTestRelay());
    const silent = await openRawClient(relay.wsUrl, ROOM);
    const doc = new Y.Doc();
    resources.add(doc, (d) => d.destroy());
    doc.getText('body').insert(0, 'no confirm please');
    silent.send(syncStep1Message(doc));
    silent.send(updateMessage(Y.encodeStateAsUpdate(doc)));
    // A second client seeing the update means the relay has handled it.
    const other = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await waitFor(() => other.doc.getText('body').toString() === 'no confirm please', {
      message: 'the other client to get the update'
    });
    await waitFor(() => silent.types().length >= 2, { message: 'the relay sync step 1 and 2' });
    expect(silent.types().every((t) => t === MESSAGE.sync)).toBe(true);
  });
});

/**
 * An update that depends on content the relay has not seen (a tab's edit on
 * top of text another tab shared only over BroadcastChannel) is parked by
 * Yjs without an update event. The relay must still store and forward it, or
 * its confirm would claim an edit is safe that a restart would lose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Resources, docFromStore, startTestRelay } from '../support/relay.js';
import {
  confirmMessage,
  confirmSeq,
  openReadyRawClient,
  updateMessage
} from '../support/rawClient.js';
import { waitFor } from '../support/poll.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.parked';

describe('updates with missing dependencies', () => {
  it('are stored before the confirm, forwarded, and complete once the base arrives', async () => {
    const relay = resources.relay(await startTestRelay());
    const tabA = new Y.Doc();
    const tabB = new Y.Doc();
    resources.add(tabA, (d) => d.destroy());
    resources.add(tabB, (d) => d.destroy());
    tabA.getText('body').insert(0, 'hello');
    const base = Y.encodeStateAsUpdate(tabA);
    Y.applyUpdate(tabB, base); // shared between tabs, never sent to the relay
    const before = Y.encodeStateVector(tabB);
    tabB.getText('body').insert(5, ' world');
    const dependent = Y.encodeStateAsUpdate(tabB, before);

    const watcher = await openReadyRawClient(relay.wsUrl, ROOM);
    const sender = await openReadyRawClient(relay.wsUrl, ROOM);
    const receivedBefore = watcher.received.length;
    sender.send(updateMessage(dependent));
    sender.send(confirmMessage(1));
    await sender.waitForMessage((m) => confirmSeq(m) === 1, 'the confirm');
    const stored = await docFromStore(relay.store, ROOM);
    expect(stored.store.pendingStructs).not.toBeNull();
    await waitFor(() => watcher.received.length > receivedBefore, {
      message: 'the parked update forwarded'
    });

    // A restart keeps it; once the base arrives the text is whole.
    await relay.stop();
    const restarted = resources.relay(await startTestRelay({ dataDir: relay.dataDir }));
    const late = await openReadyRawClient(restarted.wsUrl, ROOM);
    late.send(updateMessage(base));
    late.send(confirmMessage(1));
    await late.waitForMessage((m) => confirmSeq(m) === 1, 'the confirm after the base');
    const whole = await docFromStore(restarted.store, ROOM);
    expect(whole.getText('body').toString()).toBe('hello world');
  });
});

/**
 * The heartbeat: a socket whose other end vanished without a close (a
 * network that silently drops everything, simulated by a proxy that stops
 * forwarding) is terminated within two rounds, so its presence goes at once
 * and its room unloads; a live client, or one the relay itself stopped
 * reading, is never taken for dead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  whenSynced
} from '../support/relay.js';
import { startTcpProxy } from '../support/tcpProxy.js';
import { openReadyRawClient } from '../support/rawClient.js';
import { floodAnswered, floodBehindHeldUpdate, startFloodRelay } from '../support/floods.js';
import { waitFor } from '../support/poll.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.heartbeat';
const HEARTBEAT_MS = 100;

describe('heartbeat', () => {
  it('terminates a half-open socket and its room unloads', async () => {
    const relay = resources.relay(
      await startTestRelay({ idleUnloadMs: 50, limits: { heartbeatMs: HEARTBEAT_MS } })
    );
    const proxy = resources.add(await startTcpProxy(relay.port), (p) => p.close());
    const client = resources.provider(
      connectProvider(proxy.url.replace(/^http/, 'ws') + '/sync', ROOM)
    );
    await whenSynced(client);
    client.doc.getText('body').insert(0, 'written before the network went quiet');
    const TEXT = 'written before the network went quiet';
    await waitFor(
      async () => (await docFromStore(relay.store, ROOM)).getText('body').toString() === TEXT,
      { message: 'the edit stored' }
    );
    expect(relay.relay.stats()).toMatchObject({ loadedRooms: 1, connections: 1 });

    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor(() => !relay.relay.isLoaded(ROOM), {
      message: 'the heartbeat to close the silent socket and the room to unload'
    });
    // Two rounds at most, plus the unload delay and some slack for a busy machine.
    expect(Date.now() - frozenAt).toBeLessThan(5_000);
    expect(relay.relay.stats()).toMatchObject({ loadedRooms: 0, connections: 0 });
    expect(relay.logs).toContainEqual(
      expect.objectContaining({
        message: 'closing connection',
        room: ROOM,
        reason: 'no answer to the heartbeat ping',
        remoteAddress: '127.0.0.1'
      })
    );
    // What it wrote is still there, compacted when the room unloaded.
    const stored = await relay.store.load(ROOM);
    expect(stored.updates).toEqual([]);
    expect((await docFromStore(relay.store, ROOM)).getText('body').toString()).toBe(TEXT);
    // The client itself still believes it is connected: only the relay noticed.
    expect(client.wsconnected).toBe(true);
  });

  it('removes the presence of a half-open socket for everyone else at once', async () => {
    const relay = resources.relay(await startTestRelay({ limits: { heartbeatMs: HEARTBEAT_MS } }));
    const proxy = resources.add(await startTcpProxy(relay.port), (p) => p.close());
    const gone = resources.provider(
      connectProvider(proxy.url.replace(/^http/, 'ws') + '/sync', ROOM)
    );
    const watcher = resources.provider(connectProvider(relay.wsUrl, ROOM));
    gone.awareness.setLocalStateField('user', { name: 'Gone', color: '#1f6feb' });
    watcher.awareness.setLocalStateField('user', { name: 'Watcher', color: '#8250df' });
    await whenSynced(gone);
    await whenSynced(watcher);
    await waitFor(() => watcher.awareness.getStates().has(gone.doc.clientID), {
      message: 'the watcher to see the other client'
    });

    proxy.freeze();
    const frozenAt = Date.now();
    await waitFor(() => !watcher.awareness.getStates().has(gone.doc.clientID), {
      message: "the silent client's presence to go"
    });
    // Far sooner than the 30 s after which awareness would time out by itself.
    expect(Date.now() - frozenAt).toBeLessThan(5_000);
    expect(watcher.wsconnected).toBe(true);
    expect(relay.relay.stats().connections).toBe(1);
  });

  it('keeps a live, idle client: it answers every ping', async () => {
    const relay = resources.relay(await startTestRelay({ limits: { heartbeatMs: 50 } }));
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    let pings = 0;
    client.ws.on('ping', () => pings++);
    await waitFor(() => pings >= 6, { message: 'six heartbeat rounds' });
    expect(client.closeInfo).toBeNull();
    expect(relay.relay.stats().connections).toBe(1);
    client.close();
  });

  it('does not take a client the relay stopped reading (backpressure) for dead', async () => {
    const { relay, store } = await startFloodRelay(resources, { heartbeatMs: 50 });
    const client = await openReadyRawClient(relay.wsUrl, ROOM);
    await floodBehindHeldUpdate(relay, store, client);
    // Its pongs wait unread behind the flood while the heartbeat goes round.
    let pings = 0;
    client.ws.on('ping', () => pings++);
    await waitFor(() => pings >= 6, { message: 'six heartbeat rounds while paused' });
    expect(client.closeInfo).toBeNull();

    store.gate.open();
    await floodAnswered(client, 'every message to be handled');
    expect(client.closeInfo).toBeNull();
    client.close();
  });
});

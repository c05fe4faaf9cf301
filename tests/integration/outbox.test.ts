/**
 * The outbox: a document closed with edits the relay has not confirmed keeps
 * syncing in the background, also after a reload, and two tabs never erase
 * each other's list.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { Outbox, UNSYNCED_PREFIX } from '../../src/lib/state/outbox.js';
import { DocSession } from '../../src/lib/sync/DocSession.js';
import { manualConnectivity } from '../../src/lib/sync/connectivity.js';
import type { SyncRegistry } from '../../src/lib/state/syncRegistry.svelte.js';
import { Resources, docFromStore, startTestRelay } from '../support/relay.js';
import { waitFor } from '../support/poll.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

// The browser's WebSocket is what DocSession and the outbox use by default.
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

/** localStorage for Node; two "tabs" can share one. */
class MemoryStorage implements Storage {
  private items = new Map<string, string>();
  get length() {
    return this.items.size;
  }
  key(index: number) {
    return [...this.items.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, String(value));
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
  clear() {
    this.items.clear();
  }
}

const registry = { track: () => () => {} } as unknown as SyncRegistry;

describe('outbox', () => {
  it('syncs a document closed offline once the network returns, after a reload too', async () => {
    const relay = resources.relay(await startTestRelay());
    const storage = new MemoryStorage();
    const connectivity = manualConnectivity(false);
    const options = {
      workspaceId: 'main',
      serverUrl: relay.wsUrl,
      connectivity,
      registry,
      storage
    };

    // A page edits document d1 offline, then is left.
    const doc = new Y.Doc();
    const page = new DocSession('main.doc.d1', doc, { serverUrl: relay.wsUrl, connectivity });
    await page.whenLoaded;
    doc.getText('body').insert(0, 'written on the plane');
    const first = new Outbox(options);
    first.open('d1');
    const finalState = page.state;
    page.destroy();
    doc.destroy();
    first.close('d1', finalState);
    expect(first.backgroundIds).toEqual(['d1']);
    expect(storage.getItem(UNSYNCED_PREFIX + 'd1')).not.toBeNull();
    first.destroy();

    // "Reload": a new outbox finds d1 and syncs it when the network returns.
    const second = resources.add(new Outbox(options), (o) => o.destroy());
    expect(second.backgroundIds).toEqual(['d1']);
    connectivity.set(true);
    await waitFor(
      async () =>
        (await docFromStore(relay.store, 'main.doc.d1')).getText('body').toString() ===
        'written on the plane',
      { message: 'the closed document synced in the background' }
    );
    await waitFor(() => second.backgroundIds.length === 0, {
      message: 'the background session to end once confirmed'
    });
    expect(storage.getItem(UNSYNCED_PREFIX + 'd1')).toBeNull();
  });

  it('keeps one tab’s unsynced documents when another tab reports on its own', () => {
    const storage = new MemoryStorage();
    const connectivity = manualConnectivity(false);
    const options = {
      workspaceId: 'main',
      serverUrl: 'ws://127.0.0.1:9/sync',
      connectivity,
      registry,
      storage
    };
    const tabA = resources.add(new Outbox(options), (o) => o.destroy());
    const tabB = resources.add(new Outbox(options), (o) => o.destroy());
    const pending = (n: number) => ({ ...stateTemplate, pendingEdits: n });
    tabA.note('x', pending(3));
    tabB.note('y', pending(1));
    tabB.note('y', pending(0));
    expect(storage.getItem(UNSYNCED_PREFIX + 'x')).not.toBeNull();
    expect(storage.getItem(UNSYNCED_PREFIX + 'y')).toBeNull();
  });
});

const stateTemplate = {
  network: false,
  connection: 'disconnected' as const,
  synced: false,
  localLoaded: true,
  pendingEdits: 0,
  pendingChanges: 0,
  refused: null,
  storageError: null
};

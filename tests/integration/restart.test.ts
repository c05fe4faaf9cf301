import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  Resources,
  bodyText,
  connectProvider,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { gatedStore } from '../support/gatedStore.js';
import { waitFor } from '../support/poll.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const ROOM = 'main.doc.restart';

/** Writes `content` through one provider and waits until a second one has it (so it is stored). */
async function populate(wsUrl: string, room: string, content: string): Promise<void> {
  const writer = resources.provider(connectProvider(wsUrl, room));
  const reader = resources.provider(connectProvider(wsUrl, room));
  await whenSynced(writer);
  writer.doc.getText('body').insert(0, content);
  await waitFor(() => bodyText(reader) === content, {
    message: 'the reader to receive the content'
  });
  writer.destroy();
  reader.destroy();
}

describe('restart', () => {
  it('keeps every document across a graceful stop and start on the same data directory', async () => {
    const dataDir = tempDataDir();
    const first = resources.relay(await startTestRelay({ dataDir }));
    await populate(first.wsUrl, ROOM, 'Decision: ship on Thursday.');
    await populate(first.wsUrl, 'main.index', 'the index');
    await first.stop();

    // A graceful stop compacts every loaded room, so the log is empty afterwards.
    const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
    try {
      expect(store.storedBytes(ROOM)).toMatchObject({ logEntries: 0 });
      expect(store.storedBytes(ROOM).snapshot).toBeGreaterThan(0);
      expect(store.rooms()).toEqual(['main.doc.restart', 'main.index']);
    } finally {
      store.close();
    }

    const second = resources.relay(await startTestRelay({ dataDir }));
    const fresh = resources.provider(connectProvider(second.wsUrl, ROOM));
    await whenSynced(fresh);
    expect(bodyText(fresh)).toBe('Decision: ship on Thursday.');
    const index = resources.provider(connectProvider(second.wsUrl, 'main.index'));
    await whenSynced(index);
    expect(bodyText(index)).toBe('the index');
  });

  it('answers the first sync with the stored state, even while the room is slow to load', async () => {
    const dataDir = tempDataDir();
    const first = resources.relay(await startTestRelay({ dataDir }));
    const content = 'x'.repeat(20_000) + ' the end';
    await populate(first.wsUrl, ROOM, content);
    await first.stop();

    const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
    const store = gatedStore(sqlite, { loads: true });
    const second = resources.relay(await startTestRelay({ dataDir, store }));
    const client = resources.provider(connectProvider(second.wsUrl, ROOM));
    const textAtFirstSync: string[] = [];
    client.on('sync', (synced: boolean) => {
      if (synced) textAtFirstSync.push(bodyText(client));
    });

    await waitFor(() => client.wsconnected && store.loadGate.arrivals > 0, {
      message: 'the client connected while the room is loading'
    });
    // An HTTP round trip to the same server lets a relay that wrongly
    // answered before loading get its answer out first.
    const health = (await (await fetch(`${second.url}/healthz`)).json()) as { connections: number };
    expect(health.connections).toBe(1);
    expect(client.synced).toBe(false);

    store.loadGate.open();
    await whenSynced(client);
    expect(textAtFirstSync).toHaveLength(1);
    expect(textAtFirstSync[0]).toBe(content);
  });
});

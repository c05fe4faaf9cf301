/**
 * Helpers for flooding the relay: a store that holds one client's update (so
 * that client's inbox fills while everyone else goes on), padded frames, and
 * the flood itself, sent behind a held update until the relay stops reading.
 */
import { join } from 'node:path';
import * as Y from 'yjs';
import type { RelayLimits } from '../../server/relay/limits.js';
import type { Store } from '../../server/store/Store.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import { Gate, delegatingStore } from './gatedStore.js';
import { confirmMessage, confirmSeq, updateMessage, type RawClient } from './rawClient.js';
import { startTestRelay, tempDataDir, type Resources, type TestRelay } from './relay.js';
import { waitFor } from './poll.js';

export interface MarkerGatedStore extends Store {
  /** Opened by the test; until then an update containing the marker is not stored. */
  readonly gate: Gate;
}

/**
 * Appends of updates whose bytes contain `marker` (text a test client wrote)
 * wait for the gate; every other append goes straight through. The sending
 * connection's later messages queue behind it, the room's other clients do not.
 */
export function markerGatedStore(inner: Store, marker: string): MarkerGatedStore {
  const gate = new Gate();
  const needle = Buffer.from(marker);
  return {
    ...delegatingStore(inner),
    gate,
    async append(room, update) {
      if (Buffer.from(update.buffer, update.byteOffset, update.byteLength).includes(needle)) {
        await gate.pass();
      }
      return inner.append(room, update);
    }
  };
}

/** A confirm request padded to `size` bytes (the relay ignores what follows the number). */
export function paddedConfirm(seq: number, size: number): Uint8Array {
  const confirm = confirmMessage(seq);
  const frame = new Uint8Array(Math.max(size, confirm.length));
  frame.set(confirm);
  return frame;
}

/** Text whose update the flooding relay's store holds until its gate opens. */
const HELD_MARKER = 'HOLD-THIS-UPDATE';

/**
 * 16 KiB confirms, 2000 of them: 32 MiB, more than the kernel buffers, so a
 * relay that stops reading leaves the rest backed up in the client.
 */
export const FLOOD_FRAMES = 2000;
const FLOOD_FRAME_BYTES = 16 * 1024;

/**
 * A relay (on SQLite in a fresh directory) whose store holds any update with
 * the marker until the test opens `store.gate`, with no rate limits, so only
 * the inbox holds a flood back: reading pauses at 32 queued messages and
 * resumes under 8. `limits` adds to these.
 */
export async function startFloodRelay(
  resources: Resources,
  limits: Partial<RelayLimits> = {}
): Promise<{ relay: TestRelay; store: MarkerGatedStore }> {
  const dataDir = tempDataDir();
  const sqlite = resources.add(new SqliteStore(join(dataDir, 'relay.sqlite')), (s) => s.close());
  const store = markerGatedStore(sqlite, HELD_MARKER);
  const relay = resources.relay(
    await startTestRelay({
      dataDir,
      store,
      limits: {
        messagesPerSecond: 0,
        bytesPerSecond: 0,
        inboxPauseMessages: 32,
        inboxResumeMessages: 8,
        ...limits
      }
    })
  );
  return { relay, store };
}

/**
 * Sends an update the store holds, then FLOOD_FRAMES confirms behind it, and
 * waits until the relay has paused reading `client`: its inbox is full.
 */
export async function floodBehindHeldUpdate(
  relay: TestRelay,
  store: MarkerGatedStore,
  client: RawClient
): Promise<void> {
  const held = new Y.Doc();
  held.getText('held').insert(0, HELD_MARKER);
  client.send(updateMessage(Y.encodeStateAsUpdate(held)));
  await waitFor(() => store.gate.arrivals === 1, { message: 'the update to reach the store' });
  for (let seq = 1; seq <= FLOOD_FRAMES; seq++) {
    client.send(paddedConfirm(seq, FLOOD_FRAME_BYTES));
  }
  await waitFor(() => relay.relay.inboxStats().pausedConnections === 1, {
    message: 'the relay to pause reading the flooding client'
  });
}

/** Waits until the relay has answered every confirm of the flood. */
export async function floodAnswered(client: RawClient, message: string): Promise<void> {
  await waitFor(
    () => client.received.filter((m) => confirmSeq(m) !== null).length === FLOOD_FRAMES,
    { message, timeoutMs: 30_000 }
  );
}

/**
 * Helpers for flooding the relay: a store that holds one client's update (so
 * that client's inbox fills while everyone else goes on), and padded frames.
 */
import type { Store } from '../../server/store/Store.js';
import { Gate } from './gatedStore.js';
import { confirmMessage } from './rawClient.js';

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
    gate,
    load: (room) => inner.load(room),
    async append(room, update) {
      if (Buffer.from(update.buffer, update.byteOffset, update.byteLength).includes(needle)) {
        await gate.pass();
      }
      return inner.append(room, update);
    },
    compact: (room, snapshot, throughId, format) =>
      inner.compact(room, snapshot, throughId, format),
    quarantine: (room, ids, reason) => inner.quarantine(room, ids, reason),
    rooms: () => inner.rooms(),
    close: () => inner.close()
  };
}

/** A confirm request padded to `size` bytes (the relay ignores what follows the number). */
export function paddedConfirm(seq: number, size: number): Uint8Array {
  const confirm = confirmMessage(seq);
  const frame = new Uint8Array(Math.max(size, confirm.length));
  frame.set(confirm);
  return frame;
}

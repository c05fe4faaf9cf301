/**
 * A store wrapper whose loads or appends wait until the test opens a gate,
 * so a test can hold the relay at exactly the point where ordering matters
 * (room still loading, update not yet durable).
 */
import type { Store, StoredRoom } from '../../server/store/Store.js';

export class Gate {
  private opened = false;
  private waiters: (() => void)[] = [];
  /** How many callers have reached the gate. */
  arrivals = 0;

  pass(): Promise<void> {
    this.arrivals++;
    if (this.opened) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    this.opened = true;
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/**
 * A store that does what `inner` does, for a wrapper to replace a method or
 * two. It has no appendMany, on purpose: the relay then stores every update
 * through append, where a wrapper can hold it.
 */
export function delegatingStore(inner: Store): Store {
  return {
    load: (room) => inner.load(room),
    append: (room, update) => inner.append(room, update),
    compact: (room, snapshot, throughId, format, stateVector) =>
      inner.compact(room, snapshot, throughId, format, stateVector),
    quarantine: (room, ids, reason) => inner.quarantine(room, ids, reason),
    rooms: () => inner.rooms(),
    close: () => inner.close()
  };
}

export interface GatedStore extends Store {
  readonly loadGate: Gate;
  readonly appendGate: Gate;
}

/** Both gates start closed unless told otherwise. */
export function gatedStore(
  inner: Store,
  { loads = false, appends = false }: { loads?: boolean; appends?: boolean } = {}
): GatedStore {
  const loadGate = new Gate();
  const appendGate = new Gate();
  if (!loads) loadGate.open();
  if (!appends) appendGate.open();
  return {
    ...delegatingStore(inner),
    loadGate,
    appendGate,
    async load(room: string): Promise<StoredRoom> {
      await loadGate.pass();
      return inner.load(room);
    },
    async append(room: string, update: Uint8Array): Promise<number> {
      await appendGate.pass();
      return inner.append(room, update);
    }
  };
}

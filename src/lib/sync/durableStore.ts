/**
 * Writes to the device copy that survive the tab being closed at once.
 *
 * y-indexeddb writes every update in a transaction of its own, right away,
 * but leaves the transaction to commit itself. In Chromium a transaction
 * commits itself only once the page has heard back that its requests
 * succeeded: the page has to be alive for one more round trip. A tab closed
 * right after typing loses every transaction still waiting for that, so the
 * last characters typed were gone on reopening (24 of 56 in one e2e run).
 * Asking for the commit explicitly (IDBTransaction.commit) hands the whole
 * transaction to the browser with its requests; then it completes even if
 * the page is gone by the time it runs (tests/e2e/installed.test.ts).
 */
import * as Y from 'yjs';
import { PREFERRED_TRIM_SIZE, storeState, type IndexeddbPersistence } from 'y-indexeddb';

const UPDATES = 'updates';
const CUSTOM = 'custom';

/** Commits at once where the browser can (not every IndexedDB has commit()). */
function commit(transaction: IDBTransaction): void {
  try {
    transaction.commit?.();
  } catch {
    // Already finished: nothing to hurry.
  }
}

/**
 * Replaces the persistence's own update writer with one that commits each
 * write explicitly. Same behaviour otherwise: updates it applied itself are
 * not written back, and the log is compacted once it grows past y-indexeddb's
 * trim size.
 */
export function commitEveryWrite(
  persistence: IndexeddbPersistence,
  doc: Y.Doc,
  /** A write failed (the device out of space, the store broken); what was stored before stays. */
  onError: (reason: string) => void = () => {}
): void {
  doc.off('update', persistence._storeUpdate);
  const storeUpdate = (update: Uint8Array, origin: unknown) => {
    const db = persistence.db;
    if (!db || origin === persistence || persistence._destroyed) return;
    let transaction: IDBTransaction;
    try {
      transaction = db.transaction([UPDATES], 'readwrite');
      transaction.objectStore(UPDATES).add(update);
    } catch {
      // A closing database (the session is being destroyed): its last state
      // was written with the update before.
      return;
    }
    transaction.onabort = () => onError(describeWriteError(transaction.error));
    commit(transaction);
    if (++persistence._dbsize >= PREFERRED_TRIM_SIZE) {
      if (persistence._storeTimeoutId !== null) clearTimeout(persistence._storeTimeoutId);
      persistence._storeTimeoutId = setTimeout(() => {
        void storeState(persistence, false);
        persistence._storeTimeoutId = null;
      }, persistence._storeTimeout);
    }
  };
  // destroy() unregisters whatever this field holds.
  persistence._storeUpdate = storeUpdate;
  doc.on('update', storeUpdate);
}

/** Plain words for a failed write. */
export function describeWriteError(error: DOMException | null): string {
  if (error?.name === 'QuotaExceededError') return 'this device is out of storage space';
  return error?.message || 'a write to it failed';
}

/** Writes (or, with `undefined`, removes) one value of the persistence's 'custom' store, committed at once. */
export async function writeCustom(
  persistence: IndexeddbPersistence,
  key: string,
  value: string | undefined
): Promise<void> {
  const db = await persistence._db;
  const transaction = db.transaction([CUSTOM], 'readwrite');
  const store = transaction.objectStore(CUSTOM);
  if (value === undefined) store.delete(key);
  else store.put(value, key);
  commit(transaction);
  await new Promise<void>((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error('aborted'));
  });
}

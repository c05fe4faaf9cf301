/**
 * Group commit: appends that arrive together (in one turn of the event loop,
 * from any rooms and connections) are written in one store transaction, and
 * each caller resumes (and forwards its update) only once that transaction
 * is durable. With light traffic a batch holds one update and is written at
 * the end of the current turn, so nothing waits for a timer.
 */
import type { Store } from './Store.js';

interface Pending {
  room: string;
  data: Uint8Array;
  resolve: (id: number) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Batches written and updates in them, for benchmarks. */
  readonly stats = { batches: 0, updates: 0, largest: 0 };

  constructor(private readonly store: Store) {}

  append(room: string, data: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ room, data, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: every message read in it joins.
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    this.stats.batches++;
    this.stats.updates += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    if (!this.store.appendMany) {
      // One by one: each append is durable or failed on its own, and says so.
      for (const entry of batch) {
        try {
          entry.resolve(await this.store.append(entry.room, entry.data));
        } catch (error) {
          entry.reject(error);
        }
      }
      return;
    }
    try {
      const ids = await this.store.appendMany(batch.map(({ room, data }) => ({ room, data })));
      batch.forEach((entry, i) => entry.resolve(ids[i]));
    } catch (error) {
      // All or nothing: the transaction wrote none of them.
      for (const entry of batch) entry.reject(error);
    }
  }
}

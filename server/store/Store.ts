/**
 * Where the relay keeps documents. One implementation per backend (SQLite
 * now; Postgres later) all pass tests/integration/storeContract.ts.
 *
 * A room's stored state is a snapshot (a full Yjs update) plus a log of
 * updates appended since. The relay compacts the log into a new snapshot by
 * encoding its loaded document, never by merging the log.
 */
export interface StoredRoom {
  snapshot: Uint8Array | null;
  updates: { id: number; data: Uint8Array }[];
}

export interface Store {
  /** Everything stored for a room; an unknown room gives an empty result. */
  load(room: string): StoredRoom | Promise<StoredRoom>;
  /** Appends one update durably; resolves to its log id. */
  append(room: string, update: Uint8Array): number | Promise<number>;
  /** Replaces the snapshot and drops log entries with id <= throughId, atomically. */
  compact(room: string, snapshot: Uint8Array, throughId: number): void | Promise<void>;
  /** Moves unreadable log entries aside (kept for inspection, never applied again). */
  quarantine(room: string, ids: number[], reason: string): void | Promise<void>;
  /** Rooms stored, for tools and tests. */
  rooms(): string[] | Promise<string[]>;
  close(): void | Promise<void>;
}

export class StoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
  }
}

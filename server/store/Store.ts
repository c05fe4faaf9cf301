/**
 * Where the relay keeps documents. One implementation per backend (SQLite
 * now; Postgres later) all pass tests/integration/storeContract.ts.
 *
 * A room's stored state is a snapshot (a full Yjs update) plus a log of
 * updates appended since. The relay compacts the log into a new snapshot by
 * encoding its loaded document, never by merging the log.
 */
import * as Y from 'yjs';

export interface StoredRoom {
  snapshot: Uint8Array | null;
  /** Yjs update encoding of the snapshot; absent means 1 (stores written before V2). */
  snapshotFormat?: SnapshotFormat;
  /**
   * The snapshot's state vector, when it was stored with one: the relay can
   * then serve the snapshot without parsing it first (a cold start).
   */
  snapshotStateVector?: Uint8Array;
  updates: { id: number; data: Uint8Array }[];
}

/** 1: Y.encodeStateAsUpdate; 2: Y.encodeStateAsUpdateV2. Log entries are always V1 (the wire format). */
export type SnapshotFormat = 1 | 2;

export interface Store {
  /** Everything stored for a room; an unknown room gives an empty result. */
  load(room: string): StoredRoom | Promise<StoredRoom>;
  /** Appends one update durably; resolves to its log id. */
  append(room: string, update: Uint8Array): number | Promise<number>;
  /**
   * Appends several updates (of any rooms) in one durable transaction, all or
   * none; resolves to their log ids in order. Optional: without it the relay
   * appends one by one.
   */
  appendMany?(entries: { room: string; data: Uint8Array }[]): number[] | Promise<number[]>;
  /**
   * Replaces the snapshot (and its state vector, if given; else none is kept)
   * and drops log entries with id <= throughId, atomically.
   */
  compact(
    room: string,
    snapshot: Uint8Array,
    throughId: number,
    format?: SnapshotFormat,
    stateVector?: Uint8Array
  ): void | Promise<void>;
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

/** Applies a stored snapshot in the encoding it was written in. */
export function applySnapshot(doc: Y.Doc, stored: StoredRoom, origin?: unknown): void {
  if (!stored.snapshot) return;
  if (stored.snapshotFormat === 2) Y.applyUpdateV2(doc, stored.snapshot, origin);
  else Y.applyUpdate(doc, stored.snapshot, origin);
}

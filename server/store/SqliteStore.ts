import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { StoreError, type SnapshotFormat, type Store, type StoredRoom } from './Store.js';

// Stores made before snapshots could be V2 get the format column on open,
// and those made before snapshots kept their state vector get that column.
// AUTOINCREMENT keeps log ids from ever being reused (compaction drops a
// room's entries up to an id, so an old id coming back could drop a newer
// update); with group commit its extra write is shared by a whole batch.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS snapshots (
  room TEXT PRIMARY KEY,
  data BLOB NOT NULL,
  updated_at INTEGER NOT NULL,
  format INTEGER NOT NULL DEFAULT 1,
  state_vector BLOB
);
CREATE TABLE IF NOT EXISTS updates (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  room TEXT NOT NULL,
  data BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS updates_room_id ON updates (room, id);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  room TEXT NOT NULL,
  data BLOB NOT NULL,
  reason TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL
);
`;

/**
 * The relay's embedded default store. Writes are synchronous, so an update is
 * on disk before the relay forwards it. WAL with synchronous=NORMAL survives a
 * killed process (kill -9) without losing committed writes; only a power cut
 * can lose the last transactions.
 */
export class SqliteStore implements Store {
  readonly path: string;
  private db: Database.Database;
  private statements: {
    snapshot: Database.Statement<
      [string],
      { data: Buffer; format: number; state_vector: Buffer | null }
    >;
    updates: Database.Statement<[string], { id: number; data: Buffer }>;
    append: Database.Statement<[string, Buffer, number]>;
    upsertSnapshot: Database.Statement<[string, Buffer, number, number, Buffer | null]>;
    deleteThrough: Database.Statement<[string, number]>;
    rooms: Database.Statement<[], { room: string }>;
  };
  private compactTx: (
    room: string,
    snapshot: Buffer,
    throughId: number,
    format: number,
    stateVector: Buffer | null
  ) => void;
  private appendManyTx: (entries: { room: string; data: Uint8Array }[]) => number[];
  private compactions = 0;
  private quarantineTx: (room: string, ids: number[], reason: string) => void;

  constructor(path: string) {
    this.path = path;
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let opened: Database.Database | null = null;
    try {
      opened = new Database(path);
      // Space freed by compaction goes back to the file system bit by bit
      // (see reclaim). The mode is fixed when the file is created, so it is
      // set before anything (WAL included) writes the header.
      prepareIncrementalVacuum(opened);
      opened.pragma('journal_mode = WAL');
      opened.pragma('synchronous = NORMAL');
      opened.pragma('busy_timeout = 5000');
      opened.exec(SCHEMA);
      const columns = opened.prepare('PRAGMA table_info(snapshots)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'format')) {
        opened.exec('ALTER TABLE snapshots ADD COLUMN format INTEGER NOT NULL DEFAULT 1');
      }
      if (!columns.some((c) => c.name === 'state_vector')) {
        opened.exec('ALTER TABLE snapshots ADD COLUMN state_vector BLOB');
      }
    } catch (error) {
      // A caller that reports the error and carries on must not keep holding the file.
      opened?.close();
      throw new StoreError(
        `Cannot open the relay's store at ${path}: ${(error as Error).message}. ` +
          'The file was left untouched; move it aside to start with an empty store, ' +
          'or restore it from a backup.',
        { cause: error }
      );
    }
    this.db = opened;
    const db = opened;
    this.statements = {
      snapshot: db.prepare('SELECT data, format, state_vector FROM snapshots WHERE room = ?'),
      updates: db.prepare('SELECT id, data FROM updates WHERE room = ? ORDER BY id'),
      append: db.prepare('INSERT INTO updates (room, data, created_at) VALUES (?, ?, ?)'),
      upsertSnapshot: db.prepare(
        'INSERT INTO snapshots (room, data, updated_at, format, state_vector) ' +
          'VALUES (?, ?, ?, ?, ?) ON CONFLICT (room) DO UPDATE SET data = excluded.data, ' +
          'updated_at = excluded.updated_at, format = excluded.format, ' +
          'state_vector = excluded.state_vector'
      ),
      deleteThrough: db.prepare('DELETE FROM updates WHERE room = ? AND id <= ?'),
      rooms: db.prepare(
        'SELECT room FROM snapshots UNION SELECT DISTINCT room FROM updates ORDER BY room'
      )
    };
    this.compactTx = db.transaction(
      (
        room: string,
        snapshot: Buffer,
        throughId: number,
        format: number,
        stateVector: Buffer | null
      ) => {
        this.statements.upsertSnapshot.run(room, snapshot, Date.now(), format, stateVector);
        this.statements.deleteThrough.run(room, throughId);
      }
    );
    this.appendManyTx = db.transaction((entries: { room: string; data: Uint8Array }[]) => {
      const now = Date.now();
      return entries.map(({ room, data }) =>
        Number(this.statements.append.run(room, toBuffer(data), now).lastInsertRowid)
      );
    });
    const moveToQuarantine = db.prepare(
      'INSERT OR REPLACE INTO quarantine (id, room, data, reason, quarantined_at) ' +
        'SELECT id, room, data, ?, ? FROM updates WHERE room = ? AND id = ?'
    );
    const deleteOne = db.prepare('DELETE FROM updates WHERE room = ? AND id = ?');
    this.quarantineTx = db.transaction((room: string, ids: number[], reason: string) => {
      for (const id of ids) {
        moveToQuarantine.run(reason, Date.now(), room, id);
        deleteOne.run(room, id);
      }
    });
  }

  load(room: string): StoredRoom {
    const snapshot = this.statements.snapshot.get(room);
    const updates = this.statements.updates.all(room);
    return {
      snapshot: snapshot ? toBytes(snapshot.data) : null,
      ...(snapshot?.format === 2 ? { snapshotFormat: 2 as const } : {}),
      ...(snapshot?.state_vector ? { snapshotStateVector: toBytes(snapshot.state_vector) } : {}),
      updates: updates.map((row) => ({ id: row.id, data: toBytes(row.data) }))
    };
  }

  append(room: string, update: Uint8Array): number {
    const result = this.statements.append.run(room, toBuffer(update), Date.now());
    return Number(result.lastInsertRowid);
  }

  appendMany(entries: { room: string; data: Uint8Array }[]): number[] {
    return this.appendManyTx(entries);
  }

  compact(
    room: string,
    snapshot: Uint8Array,
    throughId: number,
    format: SnapshotFormat = 1,
    stateVector?: Uint8Array
  ): void {
    this.compactTx(
      room,
      toBuffer(snapshot),
      throughId,
      format,
      stateVector ? toBuffer(stateVector) : null
    );
    // A compaction frees the old snapshot's pages and the log's: give them
    // back every 20 compactions, or at once when they are a quarter of the file.
    if (++this.compactions % 20 === 0 || this.freeShare() > 0.25) this.reclaim();
  }

  /**
   * Returns freed pages to the file system a bounded step at a time, so the
   * file shrinks after compactions without a blocking full VACUUM.
   */
  reclaim(maxPages = 2000): void {
    const free = Number(this.db.pragma('freelist_count', { simple: true }));
    if (free > 0) this.db.pragma(`incremental_vacuum(${Math.min(free, maxPages)})`);
  }

  private freeShare(): number {
    const free = Number(this.db.pragma('freelist_count', { simple: true }));
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    return pages > 0 ? free / pages : 0;
  }

  quarantine(room: string, ids: number[], reason: string): void {
    this.quarantineTx(room, ids, reason);
  }

  rooms(): string[] {
    return this.statements.rooms.all().map((row) => row.room);
  }

  /** Bytes the room occupies (snapshot plus log), for benchmarks and tests. */
  storedBytes(room: string): { snapshot: number; log: number; logEntries: number } {
    const { snapshot, updates } = this.load(room);
    return {
      snapshot: snapshot?.byteLength ?? 0,
      log: updates.reduce((sum, u) => sum + u.data.byteLength, 0),
      logEntries: updates.length
    };
  }

  close(): void {
    if (!this.db.open) return;
    try {
      // The relay flushes every room before closing: leave no free pages behind.
      this.reclaim(Number.MAX_SAFE_INTEGER);
    } catch {
      // Closing matters more than shrinking (a read-only or damaged file).
    }
    this.db.close();
  }
}

/** Files made before incremental vacuum are converted once, if small enough to do it quickly. */
const CONVERT_BELOW_BYTES = 64 * 1024 * 1024;

export function prepareIncrementalVacuum(db: Database.Database): void {
  const mode = Number(db.pragma('auto_vacuum', { simple: true }));
  if (mode === 2) return;
  const tables = Number(db.prepare('SELECT count(*) AS n FROM sqlite_master').pluck().get());
  db.pragma('auto_vacuum = INCREMENTAL');
  if (tables === 0) return;
  const pages = Number(db.pragma('page_count', { simple: true }));
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  if (pages * pageSize < CONVERT_BELOW_BYTES) db.exec('VACUUM');
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

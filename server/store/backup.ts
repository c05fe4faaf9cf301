/**
 * Backup and restore of the relay's data directory (npm run backup / npm run
 * restore; the command lines are in scripts/).
 *
 * A backup is one SQLite file: a copy of DATA_DIR/relay.sqlite taken with
 * SQLite's online backup (consistent while the relay keeps writing), every
 * table included, in rollback-journal mode so it is self-contained, plus a
 * `backup_meta` table (key, value) added to the copy only:
 *
 * - `format`: `driftwrite-backup/1`
 * - `created_at`: when the copy was taken (ISO 8601)
 * - `source`: the store it was taken from
 * - `secret`: the bytes of DATA_DIR/secret.key, the key that signs every
 *   credential (absent when the data directory had none yet)
 *
 * It is written with mode 0600 under a temporary name and renamed when
 * complete and checked, so a half-written backup never carries the final
 * name. A plain copy of relay.sqlite (no backup_meta, such as a
 * `relay.sqlite.before-restore-*` file) can be restored too; it brings no secret.
 */
import Database from 'better-sqlite3';
import {
  chmodSync,
  chownSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pidFilePath, runningPid } from './pidFile.js';

export const STORE_FILE = 'relay.sqlite';
export const SECRET_FILE = 'secret.key';
export const BACKUP_FORMAT = 'driftwrite-backup/1';
/** Tables without which a file is not a relay store. */
const REQUIRED_TABLES = ['snapshots', 'updates'];
/** A backup step this large copies whatever is left. */
const ALL_PAGES = 0x7fffffff;

export type BackupErrorKind =
  /** DATA_DIR has no relay.sqlite. */
  | 'no-store'
  /** The store or the secret cannot be read, or the store is damaged. */
  | 'bad-store'
  /** The backup file exists and --force was not given. */
  | 'exists'
  /** The destination (or the data directory, for a restore) cannot be written. */
  | 'unwritable'
  /** A relay has the data directory open. */
  | 'running'
  /** The file to restore is missing, damaged or not a Driftwrite backup. */
  | 'bad-backup';

/** Exit codes of npm run backup / npm run restore. */
export const EXIT_CODES: Record<'ok' | 'failed' | 'usage' | BackupErrorKind, number> = {
  ok: 0,
  failed: 1,
  usage: 2,
  'no-store': 3,
  'bad-store': 3,
  exists: 4,
  unwritable: 5,
  running: 6,
  'bad-backup': 7
};

export class BackupError extends Error {
  readonly kind: BackupErrorKind;
  constructor(kind: BackupErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
    this.kind = kind;
  }
}

export interface BackupProgress {
  copiedPages: number;
  totalPages: number;
  /** The store changed under a step, so SQLite started the copy again. */
  restarted: boolean;
}

export interface BackupOptions {
  /** Replace an existing file at the destination. */
  force?: boolean;
  onProgress?: (progress: BackupProgress) => void;
  /**
   * Pages copied per step; the relay goes on writing between steps. By
   * default a twentieth of the store, at least 100. Once the store has
   * changed under the copy (SQLite then starts it again), everything left
   * goes in one step, so continuous writes cannot keep a backup from
   * finishing. A function decides each step itself (0 pauses the copy;
   * undefined takes the default), to throttle a backup or, in tests, to hold
   * it mid-copy.
   */
  pagesPerStep?: number | ((progress: BackupProgress) => number | undefined);
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  /** Rooms (documents, indexes, comment rooms) in the copy. */
  rooms: number;
  secretIncluded: boolean;
  restarts: number;
  createdAt: string;
}

/** Takes a consistent copy of DATA_DIR/relay.sqlite (and the secret) into `file`. */
export async function backupStore(
  dataDir: string,
  file: string,
  options: BackupOptions = {}
): Promise<BackupResult> {
  const storePath = join(resolve(dataDir), STORE_FILE);
  const destination = resolve(file);
  if (!existsSync(storePath)) {
    throw new BackupError(
      'no-store',
      `There is no store at ${storePath}, so there is nothing to back up. ` +
        'Set DATA_DIR to the directory that holds relay.sqlite.'
    );
  }
  checkDestination(destination, options.force ?? false);
  const secret = readSecret(join(resolve(dataDir), SECRET_FILE));

  const temporary = `${destination}.partial-${process.pid}`;
  createPrivateFile(temporary, destination);
  try {
    const { pages, restarts } = await copyStore(storePath, temporary, options);
    const createdAt = new Date().toISOString();
    const rooms = finishCopy(temporary, { storePath, secret, createdAt });
    syncFile(temporary);
    renameSync(temporary, destination);
    syncDirectory(dirname(destination));
    return {
      file: destination,
      bytes: statSync(destination).size,
      pages,
      rooms,
      secretIncluded: secret !== null,
      restarts,
      createdAt
    };
  } catch (error) {
    removeDatabaseFiles(temporary);
    throw error;
  }
}

function checkDestination(destination: string, force: boolean): void {
  let stats;
  try {
    stats = statSync(destination);
  } catch {
    return;
  }
  if (stats.isDirectory()) {
    throw new BackupError(
      'unwritable',
      `${destination} is a directory; give the name of the backup file to write, ` +
        `such as ${join(destination, 'driftwrite.backup')}.`
    );
  }
  if (!force) {
    throw new BackupError(
      'exists',
      `${destination} already exists; nothing was written. Give another name, or add --force to replace it.`
    );
  }
}

function readSecret(path: string): Buffer | null {
  try {
    return readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new BackupError(
      'bad-store',
      `Cannot read the signing secret at ${path} (${plainReason(error)}); nothing was written. ` +
        'Run the backup as the user the relay runs as.',
      { cause: error }
    );
  }
}

/** Creates an empty file only its owner can read, so the copy (and the secret in it) stays private. */
function createPrivateFile(path: string, destination: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    throw new BackupError(
      'unwritable',
      `Cannot write the backup in ${dirname(destination)} (${plainReason(error)}); nothing was written.`,
      { cause: error }
    );
  }
}

async function copyStore(
  storePath: string,
  temporary: string,
  options: BackupOptions
): Promise<{ pages: number; restarts: number }> {
  let source: Database.Database;
  try {
    // Not read-only: a reader of a WAL database must be able to create its -shm file.
    source = new Database(storePath, { fileMustExist: true });
    source.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new BackupError(
      'bad-store',
      `Cannot open the store at ${storePath} (${plainReason(error)}); nothing was written.`,
      { cause: error }
    );
  }
  let restarts = 0;
  let lastRemaining = Infinity;
  try {
    const result = await source.backup(temporary, {
      progress: ({ totalPages, remainingPages }) => {
        const restarted = remainingPages > lastRemaining;
        if (restarted) restarts++;
        lastRemaining = remainingPages;
        const progress = { copiedPages: totalPages - remainingPages, totalPages, restarted };
        options.onProgress?.(progress);
        const { pagesPerStep } = options;
        const chosen = typeof pagesPerStep === 'function' ? pagesPerStep(progress) : undefined;
        if (chosen !== undefined) return chosen;
        if (restarts > 0) return ALL_PAGES;
        return typeof pagesPerStep === 'number'
          ? pagesPerStep
          : Math.max(100, Math.ceil(totalPages / 20));
      }
    });
    options.onProgress?.({
      copiedPages: result.totalPages,
      totalPages: result.totalPages,
      restarted: false
    });
    return { pages: result.totalPages, restarts };
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new BackupError(
        'bad-store',
        `The store at ${storePath} is damaged (${plainReason(error)}); nothing was written.`,
        { cause: error }
      );
    }
    throw new BackupError(
      'unwritable',
      `Could not write the backup (${plainReason(error)}); nothing was written.`,
      { cause: error }
    );
  } finally {
    source.close();
  }
}

/** Makes the copy self-contained, checks it and records the metadata; returns its room count. */
function finishCopy(
  path: string,
  meta: { storePath: string; secret: Buffer | null; createdAt: string }
): number {
  const db = new Database(path, { fileMustExist: true });
  try {
    let problems: string[];
    try {
      db.pragma('journal_mode = DELETE');
      problems = integrityProblems(db);
    } catch (error) {
      problems = [plainReason(error)];
    }
    if (problems.length > 0) {
      throw new BackupError(
        'bad-store',
        `The store at ${meta.storePath} is damaged: ${problems.join('; ')}. Nothing was written; ` +
          'restore the latest good backup.'
      );
    }
    db.exec(
      'DROP TABLE IF EXISTS backup_meta; CREATE TABLE backup_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)'
    );
    const insert = db.prepare('INSERT INTO backup_meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      insert.run('format', BACKUP_FORMAT);
      insert.run('created_at', meta.createdAt);
      insert.run('source', meta.storePath);
      if (meta.secret) insert.run('secret', meta.secret);
    })();
    return countRooms(db);
  } finally {
    db.close();
  }
}

export interface RestoreOptions {
  /** The time stamped on the moved-aside files; now by default. */
  now?: Date;
}

export interface RestoreResult {
  store: string;
  from: string;
  rooms: number;
  /** When the backup was taken; null for a plain copy of relay.sqlite. */
  backupCreatedAt: string | null;
  /** Where the previous store files went (relay.sqlite, and its -wal and -shm if there were any). */
  movedAside: string[];
  secret: 'restored' | 'unchanged' | 'not-in-backup';
  secretPath: string;
  /** Where the previous, different secret went. */
  secretMovedAside: string | null;
}

/**
 * Replaces DATA_DIR/relay.sqlite (and secret.key) with a backup. Checks the
 * backup before touching anything, refuses while a relay uses the data
 * directory, and keeps the previous files beside the new ones.
 */
export function restoreStore(
  dataDir: string,
  file: string,
  options: RestoreOptions = {}
): RestoreResult {
  const dir = resolve(dataDir);
  const from = resolve(file);
  const storePath = join(dir, STORE_FILE);
  const secretPath = join(dir, SECRET_FILE);
  checkBackupFile(from);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new BackupError(
      'unwritable',
      `Cannot create the data directory ${dir} (${plainReason(error)}).`,
      { cause: error }
    );
  }

  const staging = join(dir, `${STORE_FILE}.restoring-${process.pid}`);
  removeDatabaseFiles(staging);
  let verified: VerifiedBackup;
  try {
    copyIntoPlace(from, staging, dir);
    verified = verifyStaged(staging, from);
    refuseIfRunning(dir, storePath);
  } catch (error) {
    removeDatabaseFiles(staging);
    throw error;
  }

  const stamp = timestamp(options.now ?? new Date());
  const movedAside: string[] = [];
  const previous = existsSync(storePath) ? statSync(storePath) : null;
  matchOwnerAndMode(staging, previous ?? statSync(dir), previous ? undefined : 0o600);
  const aside = freeName(`${storePath}.before-restore-${stamp}`);
  try {
    for (const suffix of ['', '-wal', '-shm']) {
      if (!existsSync(storePath + suffix)) continue;
      renameSync(storePath + suffix, aside + suffix);
      movedAside.push(aside + suffix);
    }
    renameSync(staging, storePath);
  } catch (error) {
    // Put back what was moved, so a failed restore leaves the store as it was.
    for (const moved of movedAside) renameSync(moved, storePath + moved.slice(aside.length));
    removeDatabaseFiles(staging);
    throw new BackupError(
      'unwritable',
      `Could not put the restored store in place in ${dir} (${plainReason(error)}); ` +
        'the current store was left as it was.',
      { cause: error }
    );
  }
  syncDirectory(dir);

  let secret: RestoreResult['secret'] = 'not-in-backup';
  let secretMovedAside: string | null = null;
  if (verified.secret) {
    const current = existsSync(secretPath) ? readFileSync(secretPath) : null;
    if (current?.equals(verified.secret)) {
      chmodSync(secretPath, 0o600);
      secret = 'unchanged';
    } else {
      const temporary = `${secretPath}.restoring-${process.pid}`;
      writeFileSync(temporary, verified.secret, { mode: 0o600 });
      matchOwnerAndMode(temporary, current ? statSync(secretPath) : statSync(dir), 0o600);
      syncFile(temporary);
      if (current) {
        secretMovedAside = freeName(`${secretPath}.before-restore-${stamp}`);
        renameSync(secretPath, secretMovedAside);
      }
      renameSync(temporary, secretPath);
      syncDirectory(dir);
      secret = 'restored';
    }
  }

  return {
    store: storePath,
    from,
    rooms: verified.rooms,
    backupCreatedAt: verified.createdAt,
    movedAside,
    secret,
    secretPath,
    secretMovedAside
  };
}

function checkBackupFile(from: string): void {
  let stats;
  try {
    stats = statSync(from);
  } catch (error) {
    throw new BackupError('bad-backup', `Cannot read ${from} (${plainReason(error)}).`, {
      cause: error
    });
  }
  if (!stats.isFile()) {
    throw new BackupError('bad-backup', `${from} is not a file; give the backup file to restore.`);
  }
}

/** Copies the backup (and the -wal of a plain store copy) next to the store, to be renamed in. */
function copyIntoPlace(from: string, staging: string, dir: string): void {
  try {
    copyFileSync(from, staging, constants.COPYFILE_EXCL);
    chmodSync(staging, 0o600);
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${staging}-wal`);
  } catch (error) {
    throw new BackupError(
      'unwritable',
      `Cannot copy ${from} into ${dir} (${plainReason(error)}); nothing was changed.`,
      { cause: error }
    );
  }
}

interface VerifiedBackup {
  rooms: number;
  createdAt: string | null;
  secret: Buffer | null;
}

/** Opens the staged copy, checks it and strips backup_meta; throws 'bad-backup' naming the original. */
function verifyStaged(staging: string, from: string): VerifiedBackup {
  const refuse = (reason: string, cause?: unknown) =>
    new BackupError('bad-backup', `${from} ${reason}; nothing was changed.`, { cause });
  let db: Database.Database;
  try {
    db = new Database(staging, { fileMustExist: true });
  } catch (error) {
    throw refuse(`cannot be opened (${plainReason(error)})`, error);
  }
  try {
    let problems: string[];
    let tables: Set<string>;
    try {
      problems = integrityProblems(db);
      tables = new Set(
        (
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
            name: string;
          }[]
        ).map((row) => row.name)
      );
    } catch (error) {
      throw refuse(`is not a readable SQLite database (${plainReason(error)})`, error);
    }
    if (problems.length > 0) throw refuse(`is damaged: ${problems.join('; ')}`);
    const missing = REQUIRED_TABLES.filter((name) => !tables.has(name));
    if (missing.length > 0) {
      throw refuse(`is not a Driftwrite backup: it has no ${missing.join(' or ')} table`);
    }

    let createdAt: string | null = null;
    let secret: Buffer | null = null;
    if (tables.has('backup_meta')) {
      const meta = new Map(
        (
          db.prepare('SELECT key, value FROM backup_meta').all() as {
            key: string;
            value: unknown;
          }[]
        ).map((row) => [row.key, row.value])
      );
      if (meta.get('format') !== BACKUP_FORMAT) {
        throw refuse(
          `has backup format "${String(meta.get('format'))}", which this version cannot restore ` +
            `(it reads ${BACKUP_FORMAT})`
        );
      }
      createdAt =
        typeof meta.get('created_at') === 'string' ? String(meta.get('created_at')) : null;
      const value = meta.get('secret');
      if (value !== undefined) {
        if (!Buffer.isBuffer(value) || value.length === 0) {
          throw refuse('holds an unreadable signing secret');
        }
        secret = value;
      }
      // The secret belongs in secret.key, not in the store: overwrite it on the way out.
      db.pragma('secure_delete = ON');
      db.exec('DROP TABLE backup_meta');
    }
    const rooms = countRooms(db);
    db.pragma('journal_mode = DELETE');
    return { rooms, createdAt, secret };
  } finally {
    db.close();
  }
}

function refuseIfRunning(dir: string, storePath: string): void {
  const pid = runningPid(dir);
  if (pid !== null) {
    throw new BackupError(
      'running',
      `The relay is running (process ${pid}, named in ${pidFilePath(dir)}); nothing was changed. ` +
        `Stop it, then restore again. If process ${pid} is not the relay, delete ${pidFilePath(dir)}.`
    );
  }
  if (existsSync(storePath) && storeInUse(storePath)) {
    throw new BackupError(
      'running',
      `The store ${storePath} is open in another process (a relay or \`npm run dev\`); ` +
        'nothing was changed. Stop it, then restore again.'
    );
  }
}

/** True when another connection holds the store open: an exclusive lock is refused at once. */
function storeInUse(storePath: string): boolean {
  let db: Database.Database | null = null;
  try {
    db = new Database(storePath, { fileMustExist: true, timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    // Anything else (a damaged store, say) is no sign of a running relay.
    return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
  } finally {
    db?.close();
  }
}

function integrityProblems(db: Database.Database): string[] {
  const rows = db.pragma('integrity_check(10)') as { integrity_check: string }[];
  const messages = rows
    .flatMap((row) => row.integrity_check.split('\n'))
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('***'));
  return messages.length === 1 && messages[0] === 'ok' ? [] : messages.slice(0, 3);
}

function countRooms(db: Database.Database): number {
  const row = db
    .prepare(
      'SELECT count(*) AS n FROM (SELECT room FROM snapshots UNION SELECT room FROM updates)'
    )
    .get() as { n: number };
  return row.n;
}

/**
 * Gives a restored file the owner of the file it replaces (or of the data
 * directory), so a relay running as another user can open it; only root can.
 */
function matchOwnerAndMode(
  path: string,
  previous: { uid: number; gid: number; mode: number },
  mode?: number
): void {
  chmodSync(path, mode ?? previous.mode & 0o777);
  try {
    chownSync(path, previous.uid, previous.gid);
  } catch {
    // Only root may give a file away; otherwise the file stays ours, as the relay's user is.
  }
}

function freeName(path: string): string {
  let candidate = path;
  for (let n = 2; existsSync(candidate); n++) candidate = `${path}-${n}`;
  return candidate;
}

function timestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(path + suffix, { force: true });
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a directory; the rename itself has happened.
  }
}

/** An error's reason in plain words, for messages that already say what was being done. */
export function plainReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
    case 'SQLITE_FULL':
      return 'the disk is full';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** "4.2 MB (4,194,304 bytes)". */
export function formatSize(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const exact = `${bytes.toLocaleString('en-US')} bytes`;
  return unit === 0 ? exact : `${value.toFixed(1)} ${units[unit]} (${exact})`;
}

/**
 * SQLite opened when the relay first needs it instead of at start, for
 * `npm run relay`: a relay nobody has connected to yet holds no database
 * connection, nor SQLite's library pages and caches (3 MB of its 55 MB
 * resident at idle; startServer's `openStoresOnFirstUse`). The first admission,
 * API request or room load opens it; from then on every call goes straight
 * to the store, synchronously as before.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { StoreError } from './store/Store.js';

/**
 * `open()` runs on the first property read and its object answers every
 * read from then on (methods bound to it). Until then, reads of a property
 * of `idle` answer from `idle` without opening (close() of a store never
 * opened has nothing to close). A failed open is tried again on the next use.
 */
export function openOnFirstUse<T extends object>(open: () => T, idle: Partial<T> = {}): T {
  let opened: T | null = null;
  const bound = new Map<PropertyKey, unknown>();
  const target = (): T => (opened ??= open());
  return new Proxy({} as T, {
    get(_, prop) {
      if (opened === null && prop in idle) return idle[prop as keyof T];
      const store = target();
      const known = bound.get(prop);
      if (known !== undefined) return known;
      const value: unknown = Reflect.get(store, prop, store);
      if (typeof value !== 'function') return value;
      const method = (value as (...args: unknown[]) => unknown).bind(store);
      bound.set(prop, method);
      return method;
    },
    has(_, prop) {
      return prop in target();
    }
  });
}

const SQLITE_HEADER = 'SQLite format 3\0';

/**
 * What opening the store at start would have refused at once, checked
 * without SQLite: a file there that cannot be read and written, or is not a
 * SQLite database. A missing or empty file is a new store.
 */
export function checkStoreFile(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw refusal(path, (error as Error).message, error);
  }
  try {
    const header = Buffer.alloc(SQLITE_HEADER.length);
    const read = readSync(fd, header, 0, header.length, 0);
    if (read > 0 && header.toString('latin1') !== SQLITE_HEADER) {
      throw refusal(path, 'file is not a database');
    }
  } finally {
    closeSync(fd);
  }
}

function refusal(path: string, reason: string, cause?: unknown): StoreError {
  return new StoreError(
    `Cannot open the relay's store at ${path}: ${reason}. ` +
      'The file was left untouched; move it aside to start with an empty store, ' +
      'or restore it from a backup.',
    { cause }
  );
}

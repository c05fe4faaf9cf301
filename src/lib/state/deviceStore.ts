/**
 * What this device holds of a workspace, and removing it on purpose. Every
 * room the app keeps here is one IndexedDB database named
 * `driftwrite:<room>`: the list (`<ws>.index`), each document
 * (`<ws>.doc.<id>`) and each document's comments (`<ws>.comments.<id>`).
 */
import { parseRoom } from '../model/rooms.js';
import { UNSYNCED_PREFIX } from './outbox.js';
import { QUEUE_CACHE_PREFIX } from './queueCache.js';
import { HELD_PREFIX, KEEP_OFFLINE_KEY } from './offlineLibrary.svelte.js';

export const DATABASE_PREFIX = 'driftwrite:';
/** Tabs of this device tell each other that the local copy was removed. */
export const DEVICE_CHANNEL = 'driftwrite:device';
/** How long deleting waits for other tabs to let go of their databases. */
export const DELETE_WAIT_MS = 5_000;

export interface DeviceHoldings {
  /** Every database of this workspace on the device. */
  databases: string[];
  /** Documents whose body is stored here. */
  documentIds: string[];
  /** Bytes this origin uses and may use (the browser's estimate), if known. */
  usage: number | null;
  quota: number | null;
  /** Whether the browser promised not to evict this origin's storage (null: cannot tell). */
  persisted: boolean | null;
}

/** The workspace's databases on this device (empty where the browser cannot list them). */
export async function workspaceDatabases(workspaceId: string): Promise<string[]> {
  const list = await globalThis.indexedDB?.databases?.().catch(() => []);
  return (list ?? [])
    .map((db) => db.name ?? '')
    .filter((name) => {
      if (!name.startsWith(DATABASE_PREFIX)) return false;
      const room = parseRoom(name.slice(DATABASE_PREFIX.length));
      return room.type !== 'other' && room.workspaceId === workspaceId;
    })
    .sort();
}

export async function readHoldings(workspaceId: string): Promise<DeviceHoldings> {
  const storage = globalThis.navigator?.storage;
  const [databases, estimate, persisted] = await Promise.all([
    workspaceDatabases(workspaceId),
    storage?.estimate?.().catch(() => null) ?? Promise.resolve(null),
    storage?.persisted?.().catch(() => null) ?? Promise.resolve(null)
  ]);
  const documentIds = databases.flatMap((name) => {
    const room = parseRoom(name.slice(DATABASE_PREFIX.length));
    return room.type === 'doc' ? [room.documentId] : [];
  });
  return {
    databases,
    documentIds,
    usage: estimate?.usage ?? null,
    quota: estimate?.quota ?? null,
    persisted: persisted ?? null
  };
}

/** Asks the browser to keep this origin's storage under pressure; whether it agreed. */
export async function requestPersistence(): Promise<boolean> {
  try {
    return (await globalThis.navigator?.storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}

/** "12.3 MB": a size for people. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Deletes databases. One still open elsewhere (another tab) is deleted once
 * that tab lets go; those not gone within `waitMs` are returned.
 */
export async function deleteDatabases(names: string[], waitMs = DELETE_WAIT_MS): Promise<string[]> {
  const pending = names.map(
    (name) =>
      new Promise<string | null>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        const timer = setTimeout(() => resolve(name), waitMs);
        const done = (result: string | null) => {
          clearTimeout(timer);
          resolve(result);
        };
        request.onsuccess = () => done(null);
        request.onerror = () => done(name);
      })
  );
  return (await Promise.all(pending)).filter((name): name is string => name !== null);
}

/** The device's records about the workspace's copy (not the sign-in, not the profile). */
export function clearLocalRecords(storage: Storage): void {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (
      key &&
      (key.startsWith(HELD_PREFIX) ||
        key.startsWith(UNSYNCED_PREFIX) ||
        key.startsWith(QUEUE_CACHE_PREFIX) ||
        key === KEEP_OFFLINE_KEY)
    ) {
      keys.push(key);
    }
  }
  for (const key of keys) storage.removeItem(key);
}

import * as Y from 'yjs';
import { SvelteMap } from 'svelte/reactivity';
import { DocSession, type SessionGate } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';
import { docRoom, isValidId } from '../model/rooms.js';
import { describeRefusal, type SyncState } from '../model/status.js';
import { getDocumentsMap, type IndexEntry } from '../model/workspaceIndex.js';
import type { WorkspaceState } from './workspace.svelte.js';
import type { ThreadLibrary } from './threads.svelte.js';

/** The switch, remembered on this device ("1" while on). */
export const KEEP_OFFLINE_KEY = 'driftwrite:keep-offline';
/**
 * One key per document downloaded for offline use, holding the list entry's
 * `updatedAt` at the time: a document whose entry moved on since is fetched
 * again. One key each, so two tabs never overwrite each other's record.
 */
export const HELD_PREFIX = 'driftwrite:held:';
/** Documents downloaded at once, each over one connection. */
export const DOWNLOADS_AT_ONCE = 4;
/** A document that has not arrived in this long counts as failed (retry). */
export const DOWNLOAD_TIMEOUT_MS = 30_000;
/** Changes to the list are gathered this long before downloads are planned. */
const PLAN_DELAY_MS = 50;

export type DownloadState = 'waiting' | 'downloading' | 'ready' | 'failed';

export interface DownloadItem {
  state: DownloadState;
  /** Why it failed, in plain words. */
  error?: string;
}

export interface OfflineLibraryOptions {
  workspace: WorkspaceState;
  threads: ThreadLibrary;
  serverUrl: string;
  connectivity: Connectivity;
  storage: Storage;
  gate?: SessionGate;
  /** Where other tabs' storage events arrive (the window), if any. */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  /** For tests: a prefix of IndexedDB database names. */
  databasePrefix?: string;
  downloadsAtOnce?: number;
  timeoutMs?: number;
}

/** A download stopped because the network went: it waits again, it did not fail. */
class Interrupted extends Error {}

/**
 * "Keep available offline": with the switch on, every listed document's body
 * is downloaded into this device's store (the same IndexedDB copy opening the
 * document uses), a few at a time over as many connections, and its comment
 * threads are read by the thread library, which keeps every document's
 * comments on the device anyway. While the switch stays on, documents others
 * create or change (their list entry moves on) are downloaded again whenever
 * the device is online. A document that fails is shown and retried on
 * request, or when the network comes back; it never stops the others.
 */
export class OfflineLibrary {
  enabled = $state(false);
  /** Each listed document's download, by id. */
  readonly items = new SvelteMap<string, DownloadItem>();
  readonly total = $derived(this.items.size);
  readonly ready = $derived(this.count('ready'));
  readonly failed = $derived(this.count('failed'));
  readonly active = $derived(this.count('downloading'));

  private readonly options: OfflineLibraryOptions;
  private readonly limit: number;
  private readonly timeoutMs: number;
  private queue: string[] = [];
  /** Downloads in progress, by id. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly running = new Map<string, { stop: () => void }>();
  private planTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly offConnectivity: () => void;
  private destroyed = false;
  private readonly onIndex = () => this.schedulePlan();

  constructor(options: OfflineLibraryOptions) {
    this.options = options;
    this.limit = options.downloadsAtOnce ?? DOWNLOADS_AT_ONCE;
    this.timeoutMs = options.timeoutMs ?? DOWNLOAD_TIMEOUT_MS;
    this.enabled = options.storage.getItem(KEEP_OFFLINE_KEY) === '1';
    getDocumentsMap(options.workspace.doc).observeDeep(this.onIndex);
    void options.workspace.session.whenLoaded.then(() => this.schedulePlan());
    this.offConnectivity = options.connectivity.subscribe((online) => {
      if (!online) return;
      // Back online: whatever failed may work now.
      for (const [id, item] of this.items) {
        if (item.state === 'failed') this.items.set(id, { state: 'waiting' });
      }
      this.schedulePlan();
    });
    options.events?.addEventListener('storage', this.onStorage);
  }

  /** Turns "keep available offline" on or off (remembered on this device). */
  setEnabled(on: boolean): void {
    if (this.destroyed) return;
    this.enabled = on;
    if (on) this.options.storage.setItem(KEEP_OFFLINE_KEY, '1');
    else this.options.storage.removeItem(KEEP_OFFLINE_KEY);
    if (!on) this.stopAll();
    this.schedulePlan();
  }

  /** Tries the failed documents again. */
  retry(): void {
    for (const [id, item] of this.items) {
      if (item.state === 'failed') this.items.set(id, { state: 'waiting' });
    }
    this.schedulePlan();
  }

  /** Forgets every download record (the device's copy is being removed). */
  forget(): void {
    this.stopAll();
    const keys: string[] = [];
    const storage = this.options.storage;
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (key?.startsWith(HELD_PREFIX)) keys.push(key);
    }
    for (const key of keys) storage.removeItem(key);
    this.items.clear();
  }

  destroy(): void {
    this.destroyed = true;
    if (this.planTimer) clearTimeout(this.planTimer);
    getDocumentsMap(this.options.workspace.doc).unobserve(this.onIndex);
    this.offConnectivity();
    this.options.events?.removeEventListener('storage', this.onStorage);
    this.stopAll();
  }

  private count(state: DownloadState): number {
    let n = 0;
    for (const item of this.items.values()) if (item.state === state) n++;
    return n;
  }

  /** Another tab downloaded or switched: follow it. */
  private readonly onStorage = (event: StorageEvent) => {
    if (event.key === KEEP_OFFLINE_KEY) {
      const on = event.newValue === '1';
      if (on !== this.enabled) {
        this.enabled = on;
        if (!on) this.stopAll();
      }
      this.schedulePlan();
    } else if (event.key?.startsWith(HELD_PREFIX)) {
      this.schedulePlan();
    }
  };

  private schedulePlan(): void {
    if (this.destroyed || this.planTimer) return;
    this.planTimer = setTimeout(() => {
      this.planTimer = null;
      this.plan();
    }, PLAN_DELAY_MS);
  }

  private heldStamp(id: string): string | null {
    return this.options.storage.getItem(HELD_PREFIX + id);
  }

  /**
   * Brings `items` in line with the list: each listed document is ready
   * (downloaded at its current entry), failed, or waiting; then starts
   * downloads up to the limit, most recently edited first.
   */
  private plan(): void {
    if (this.destroyed) return;
    const entries = this.options.workspace.entries.filter((entry) => isValidId(entry.id));
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a lookup, never rendered
    const listed = new Set(entries.map((entry) => entry.id));
    for (const id of [...this.items.keys()]) {
      if (!listed.has(id)) {
        this.running.get(id)?.stop();
        this.items.delete(id);
      }
    }
    const waiting: IndexEntry[] = [];
    for (const entry of entries) {
      const current = this.items.get(entry.id);
      if (current?.state === 'downloading') continue;
      if (this.heldStamp(entry.id) === String(entry.updatedAt)) {
        if (current?.state !== 'ready') this.items.set(entry.id, { state: 'ready' });
        continue;
      }
      if (current?.state === 'failed') continue;
      if (current?.state !== 'waiting') this.items.set(entry.id, { state: 'waiting' });
      waiting.push(entry);
    }
    waiting.sort((a, b) => b.updatedAt - a.updatedAt);
    this.queue = waiting.map((entry) => entry.id);
    this.pump();
  }

  private pump(): void {
    if (this.destroyed || !this.enabled) return;
    if (!this.options.connectivity.online || this.options.gate?.open === false) return;
    while (this.running.size < this.limit && this.queue.length > 0) {
      const id = this.queue.shift();
      if (!id || this.running.has(id) || this.items.get(id)?.state !== 'waiting') continue;
      this.start(id);
    }
  }

  private start(id: string): void {
    const stamp = String(this.options.workspace.entry(id)?.updatedAt ?? '');
    this.items.set(id, { state: 'downloading' });
    let stopped = false;
    let cancel: (() => void) | null = null;
    this.running.set(id, {
      stop: () => {
        stopped = true;
        cancel?.();
      }
    });
    void this.download(id, (fn) => (cancel = fn))
      .then(
        () => {
          if (stopped) return;
          this.options.storage.setItem(HELD_PREFIX + id, stamp);
          this.items.set(id, { state: 'ready' });
        },
        (error: unknown) => {
          if (stopped || !this.items.has(id)) return;
          if (error instanceof Interrupted) this.items.set(id, { state: 'waiting' });
          else {
            const reason = error instanceof Error ? error.message : String(error);
            this.items.set(id, { state: 'failed', error: reason });
          }
        }
      )
      .finally(() => {
        this.running.delete(id);
        // The entry may have moved on meanwhile (someone kept typing): plan again.
        if (!this.destroyed) this.schedulePlan();
      });
  }

  private stopAll(): void {
    for (const run of this.running.values()) run.stop();
    this.running.clear();
    this.queue = [];
    for (const [id, item] of this.items) {
      if (item.state === 'downloading') this.items.set(id, { state: 'waiting' });
    }
  }

  /**
   * One document: its body synced from the relay into this device's store,
   * every write of it finished, and its comment threads read once.
   */
  private async download(id: string, onCancel: (cancel: () => void) => void): Promise<void> {
    const { workspace, serverUrl, connectivity, gate, databasePrefix } = this.options;
    const doc = new Y.Doc();
    const session = new DocSession(docRoom(workspace.id, id), doc, {
      serverUrl,
      connectivity,
      gate,
      databasePrefix
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    let offStatus = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        onCancel(() => reject(new Interrupted('stopped')));
        timer = setTimeout(
          () => reject(new Error('the relay did not send it in time')),
          this.timeoutMs
        );
        const check = (state: SyncState) => {
          if (!state.network) reject(new Interrupted('offline'));
          else if (state.refused) reject(new Error(describeRefusal(state.refused)));
          else if (state.storageError) {
            reject(new Error(`this device could not store it (${state.storageError})`));
          } else if (state.synced && state.localLoaded) resolve();
        };
        session.on('status', check);
        offStatus = () => session.off('status', check);
        check(session.state);
      });
      // Everything received was written in transactions of its own; one
      // read after them ends after them.
      if (session.persistence) await writesSettled(session.persistence.db);
      await this.commentsRead(id);
    } finally {
      clearTimeout(timer);
      offStatus();
      const socket = session.provider.ws;
      session.destroy();
      doc.destroy();
      // The slot is free once the connection really is closed, so no more
      // than `downloadsAtOnce` are ever open.
      await socketClosed(socket);
    }
  }

  /** The document's comments room (kept by the thread library) has heard from the relay once. */
  private async commentsRead(id: string): Promise<void> {
    const { session } = this.options.threads.room(id);
    await session.whenLoaded;
    if (session.state.synced) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        session.off('status', check);
        reject(new Error('its comments did not arrive in time'));
      }, this.timeoutMs);
      const check = (state: SyncState) => {
        if (!state.network) {
          clearTimeout(timer);
          session.off('status', check);
          reject(new Interrupted('offline'));
        } else if (state.synced || state.refused) {
          clearTimeout(timer);
          session.off('status', check);
          resolve();
        }
      };
      session.on('status', check);
      check(session.state);
    });
  }
}

/** How long a closing socket may take before its slot is given to the next download. */
const CLOSE_WAIT_MS = 2_000;

function socketClosed(socket: WebSocket | null): Promise<void> {
  if (!socket || socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, CLOSE_WAIT_MS);
    socket.addEventListener('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Resolves once every write issued so far on this database has finished. */
function writesSettled(db: IDBDatabase | null): Promise<void> {
  if (!db) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      const transaction = db.transaction(['updates', 'custom'], 'readonly');
      transaction.objectStore('updates').count();
      transaction.oncomplete = () => resolve();
      transaction.onerror = () => resolve();
      transaction.onabort = () => resolve();
    } catch {
      resolve();
    }
  });
}

import * as Y from 'yjs';
import { DocSession, type SessionGate } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';
import { docRoom, isValidId } from '../model/rooms.js';
import type { SyncState } from '../model/status.js';
import type { SyncRegistry } from './syncRegistry.svelte.js';

/** One localStorage key per document, so tabs never overwrite each other's list. */
export const UNSYNCED_PREFIX = 'driftwrite:unsynced:';

interface Background {
  doc: Y.Doc;
  session: DocSession;
  stop: () => void;
}

export interface OutboxOptions {
  workspaceId: string;
  serverUrl: string;
  connectivity: Connectivity;
  registry: SyncRegistry;
  storage: Storage;
  /** Where other tabs' storage events arrive (the window), if any. */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  /** Access: the credential sessions send, and whether they may connect. */
  gate?: SessionGate;
}

/**
 * Documents with edits the relay has not confirmed, synced in the background
 * after they are closed, so leaving a document while offline does not leave
 * its edits stranded on this device until someone reopens it. The list
 * survives a reload (localStorage), and each background session counts in the
 * header's status until the relay has confirmed everything. A document
 * another tab leaves unsynced is picked up here too (storage events).
 */
export class Outbox {
  private readonly background = new Map<string, Background>();
  private readonly foreground = new Set<string>();
  private destroyed = false;

  constructor(private readonly options: OutboxOptions) {
    for (const id of readIds(options.storage)) this.adopt(id);
    options.events?.addEventListener('storage', this.onStorage);
  }

  /** A page opens this document: it syncs it itself. */
  open(id: string): void {
    this.foreground.add(id);
    this.stopBackground(id);
  }

  /** A page closed this document; its session is gone, its edits may not be. */
  close(id: string, state: SyncState): void {
    this.foreground.delete(id);
    this.note(id, state);
    if (state.pendingEdits > 0) this.adopt(id);
  }

  /** Records whether a document has edits the relay has not confirmed. */
  note(id: string, state: SyncState): void {
    const key = UNSYNCED_PREFIX + id;
    const unsynced = state.pendingEdits > 0;
    if (unsynced === (this.options.storage.getItem(key) !== null)) return;
    if (unsynced) this.options.storage.setItem(key, String(Date.now()));
    else this.options.storage.removeItem(key);
  }

  /** Documents with edits the relay has not confirmed, as this device last recorded. */
  unsyncedIds(): string[] {
    return readIds(this.options.storage);
  }

  /** Documents being synced in the background now (for tests and the status). */
  get backgroundIds(): string[] {
    return [...this.background.keys()];
  }

  destroy(): void {
    this.destroyed = true;
    this.options.events?.removeEventListener('storage', this.onStorage);
    for (const id of [...this.background.keys()]) this.stopBackground(id);
  }

  private readonly onStorage = (event: StorageEvent) => {
    if (!event.key?.startsWith(UNSYNCED_PREFIX) || event.newValue === null) return;
    this.adopt(event.key.slice(UNSYNCED_PREFIX.length));
  };

  private adopt(id: string): void {
    if (this.destroyed || this.foreground.has(id) || this.background.has(id)) return;
    const doc = new Y.Doc();
    const session = new DocSession(docRoom(this.options.workspaceId, id), doc, {
      serverUrl: this.options.serverUrl,
      connectivity: this.options.connectivity,
      gate: this.options.gate
    });
    const untrack = this.options.registry.track(session);
    const onStatus = (state: SyncState) => {
      if (!state.localLoaded) return;
      this.note(id, state);
      if (state.pendingEdits === 0 && state.synced) queueMicrotask(() => this.stopBackground(id));
    };
    session.on('status', onStatus);
    this.background.set(id, {
      doc,
      session,
      stop: () => {
        session.off('status', onStatus);
        untrack();
        session.destroy();
        doc.destroy();
      }
    });
  }

  private stopBackground(id: string): void {
    const entry = this.background.get(id);
    if (!entry) return;
    this.background.delete(id);
    entry.stop();
  }
}

function readIds(storage: Storage): string[] {
  const ids: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(UNSYNCED_PREFIX)) ids.push(key.slice(UNSYNCED_PREFIX.length));
  }
  return ids.filter(isValidId);
}

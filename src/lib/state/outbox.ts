import * as Y from 'yjs';
import { DocSession } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';
import { docRoom } from '../model/rooms.js';
import type { SyncState } from '../model/status.js';
import type { SyncRegistry } from './syncRegistry.svelte.js';

export const UNSYNCED_KEY = 'driftwrite:unsynced';

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
}

/**
 * Documents with edits the relay has not confirmed, synced in the background
 * after they are closed, so leaving a document while offline does not leave
 * its edits stranded on this device until someone reopens it. The list
 * survives a reload (localStorage), and each background session counts in the
 * header's status until the relay has confirmed everything.
 */
export class Outbox {
  /** Ids with unconfirmed edits, as last reported; mirrored in localStorage. */
  private readonly ids: Set<string>;
  private readonly background = new Map<string, Background>();
  private readonly foreground = new Set<string>();
  private destroyed = false;

  constructor(private readonly options: OutboxOptions) {
    this.ids = new Set(readIds(options.storage));
    for (const id of this.ids) this.adopt(id);
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
    if (this.ids.has(id)) this.adopt(id);
  }

  /** Records whether a document has edits the relay has not confirmed. */
  note(id: string, state: SyncState): void {
    const unsynced = state.pendingEdits > 0;
    if (unsynced === this.ids.has(id)) return;
    if (unsynced) this.ids.add(id);
    else this.ids.delete(id);
    this.options.storage.setItem(UNSYNCED_KEY, JSON.stringify([...this.ids]));
  }

  /** Documents being synced in the background now (for tests and the status). */
  get backgroundIds(): string[] {
    return [...this.background.keys()];
  }

  destroy(): void {
    this.destroyed = true;
    for (const id of [...this.background.keys()]) this.stopBackground(id);
  }

  private adopt(id: string): void {
    if (this.destroyed || this.foreground.has(id) || this.background.has(id)) return;
    const doc = new Y.Doc();
    const session = new DocSession(docRoom(this.options.workspaceId, id), doc, {
      serverUrl: this.options.serverUrl,
      connectivity: this.options.connectivity
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
  try {
    const value: unknown = JSON.parse(storage.getItem(UNSYNCED_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

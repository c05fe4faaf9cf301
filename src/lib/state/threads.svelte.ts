import * as Y from 'yjs';
import { SvelteMap, SvelteSet } from 'svelte/reactivity';
import { DocSession, type SessionGate } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';
import { commentsRoom } from '../model/rooms.js';
import {
  buildQueue,
  getThreadsMap,
  readThreads,
  type Queue,
  type Thread
} from '../model/comments.js';
import { getDocumentsMap } from '../model/workspaceIndex.js';
import type { WorkspaceState } from './workspace.svelte.js';
import type { SyncRegistry } from './syncRegistry.svelte.js';

/** How long reads of changed rooms are gathered before the lists are rebuilt. */
const READ_BATCH_MS = 30;
/** Rooms started per turn of the event loop. */
const OPEN_BATCH = 25;

export interface ThreadLibraryOptions {
  workspace: WorkspaceState;
  serverUrl: string;
  connectivity: Connectivity;
  registry: SyncRegistry;
  /** Access: the credential sessions send, and whether they may connect. */
  gate?: SessionGate;
}

interface Room {
  doc: Y.Doc;
  session: DocSession;
  stop: () => void;
}

/**
 * The comment threads of every document in the workspace, without their
 * bodies: one comments room per document, kept on this device and synced in
 * the background, so My queue and the list's counts work offline and a
 * reviewer on a plane sees the asks that reached the device before take-off.
 *
 * An open document borrows its room from here (`room`), so a tab holds one
 * copy of each thread list.
 */
export class ThreadLibrary {
  /** Threads per document id, for documents whose room has been read. */
  readonly threads = new SvelteMap<string, Thread[]>();
  /** Documents whose comments room dropped a write of ours (outside our role). */
  readonly readOnly = new SvelteSet<string>();
  /** A clock for deadlines: "due in 3 h" and "overdue" move with it. */
  now = $state(Date.now());

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly rooms = new Map<string, Room>();
  private readonly workspace: WorkspaceState;
  private readonly timer: ReturnType<typeof setInterval>;
  private destroyed = false;
  private readonly onIndex = () => this.reconcile();

  constructor(private readonly options: ThreadLibraryOptions) {
    this.workspace = options.workspace;
    getDocumentsMap(this.workspace.doc).observe(this.onIndex);
    void this.workspace.session.whenLoaded.then(() => this.reconcile());
    // Countdowns are shown to the minute at best; 30 s keeps them honest.
    this.timer = setInterval(() => (this.now = Date.now()), 30_000);
  }

  /** The queue of one person across every document on this device. */
  queueFor(person: string): Queue {
    const documents = [...this.threads]
      .filter(([id]) => {
        const entry = this.workspace.entry(id);
        return entry !== null && entry.deletedAt === null;
      })
      .map(([documentId, threads]) => ({ documentId, threads }));
    return buildQueue(documents, person, this.now);
  }

  /** The comments room of one document, opened now if it was not yet. */
  room(documentId: string): { doc: Y.Doc; session: DocSession } {
    return this.open(documentId);
  }

  /**
   * An open document holds its own room back until its body has loaded, so
   * reading hundreds of threads never delays the text becoming editable.
   */
  hold(documentId: string): void {
    if (!this.rooms.has(documentId)) this.held.add(documentId);
  }

  release(documentId: string): void {
    this.held.delete(documentId);
    if (!this.destroyed) this.open(documentId);
  }

  /** Documents whose comments room holds edits the relay has not confirmed. */
  unsyncedIds(): string[] {
    return [...this.rooms]
      .filter(([, room]) => room.session.state.pendingEdits > 0)
      .map(([id]) => id);
  }

  /** Every listed document's room has been read from this device. */
  loadedAll = $state(false);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly held = new Set<string>();
  private reconciling = false;

  /**
   * Keeps a room open for every listed document (trashed ones too: they can
   * be restored), opening them a batch at a time so a workspace of hundreds
   * of documents does not block the page while they start.
   */
  private reconcile(): void {
    if (this.destroyed || this.reconciling) return;
    const pending: string[] = [];
    getDocumentsMap(this.workspace.doc).forEach((_entry, id) => {
      if (!this.rooms.has(id) && !this.held.has(id)) pending.push(id);
    });
    if (pending.length === 0) {
      void this.markLoaded();
      return;
    }
    this.reconciling = true;
    const step = () => {
      if (this.destroyed) return;
      for (const id of pending.splice(0, OPEN_BATCH)) if (!this.held.has(id)) this.open(id);
      if (pending.length > 0) setTimeout(step, 0);
      else {
        this.reconciling = false;
        void this.markLoaded();
        // Documents listed meanwhile.
        this.reconcile();
      }
    };
    step();
  }

  private async markLoaded(): Promise<void> {
    await Promise.all([...this.rooms.values()].map((room) => room.session.whenLoaded));
    await new Promise((resolve) => setTimeout(resolve, READ_BATCH_MS + 1));
    if (!this.destroyed) this.loadedAll = true;
  }

  private open(documentId: string): Room {
    const existing = this.rooms.get(documentId);
    if (existing) return existing;
    const doc = new Y.Doc();
    const session = new DocSession(commentsRoom(this.workspace.id, documentId), doc, {
      serverUrl: this.options.serverUrl,
      connectivity: this.options.connectivity,
      gate: this.options.gate
    });
    const untrack = this.options.registry.track(session);
    const onReadOnly = () => this.readOnly.add(documentId);
    session.on('read-only', onReadOnly);
    const read = () => this.scheduleRead(documentId);
    // Your own change (a comment, a review opened with its ask) shows in the
    // same render as whatever else that action changed; changes arriving from
    // the device store or the relay are read in batches.
    const observe = (_events: unknown, transaction: Y.Transaction) => {
      if (transaction.local && !this.destroyed) this.readNow(documentId);
      else read();
    };
    const threadsMap = getThreadsMap(doc);
    threadsMap.observeDeep(observe);
    void session.whenLoaded.then(read);
    const room: Room = {
      doc,
      session,
      stop: () => {
        threadsMap.unobserveDeep(observe);
        session.off('read-only', onReadOnly);
        untrack();
        session.destroy();
        doc.destroy();
      }
    };
    this.rooms.set(documentId, room);
    return room;
  }

  /**
   * Reads changed rooms in batches: 200 rooms loading from IndexedDB one after
   * another would otherwise rebuild My queue 200 times (or 400: once on the
   * stored updates, once on whenLoaded).
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly dirty = new Set<string>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private scheduleRead(documentId: string): void {
    if (this.destroyed) return;
    this.dirty.add(documentId);
    this.flushTimer ??= setTimeout(() => this.flushReads(), READ_BATCH_MS);
  }

  private readNow(documentId: string): void {
    const room = this.rooms.get(documentId);
    if (!room) return;
    this.dirty.delete(documentId);
    this.threads.set(documentId, readThreads(room.doc));
  }

  private flushReads(): void {
    this.flushTimer = null;
    if (this.destroyed) return;
    for (const documentId of this.dirty) {
      const room = this.rooms.get(documentId);
      if (room) this.threads.set(documentId, readThreads(room.doc));
    }
    this.dirty.clear();
  }

  destroy(): void {
    this.destroyed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    clearInterval(this.timer);
    getDocumentsMap(this.workspace.doc).unobserve(this.onIndex);
    for (const room of this.rooms.values()) room.stop();
    this.rooms.clear();
  }
}

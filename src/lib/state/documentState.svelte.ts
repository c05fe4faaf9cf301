import * as Y from 'yjs';
import { BACKGROUND_WRITE, DocSession, type SessionGate } from '../sync/DocSession.js';
import { presenceUser } from '../model/deviceAccess.js';
import type { Connectivity } from '../sync/connectivity.js';
import { docRoom } from '../model/rooms.js';
import {
  getMetaMap,
  initMeta,
  isNewerTitle,
  normalizeTitle,
  readMeta,
  setDocTitle,
  type DocumentKind
} from '../model/schema.js';
import {
  getDocumentsMap,
  renameEntry,
  syncEntryFromDoc,
  touchEntry
} from '../model/workspaceIndex.js';
import type { Identity } from '../model/identity.js';
import type { WorkspaceState } from './workspace.svelte.js';
import type { SyncRegistry } from './syncRegistry.svelte.js';
import type { Outbox } from './outbox.js';
import { writeTemplate } from '../editor/template.js';

export interface Peer {
  clientId: number;
  name: string;
  color: string;
  isSelf: boolean;
}

export interface DocumentOptions {
  documentId: string;
  workspace: WorkspaceState;
  serverUrl: string;
  connectivity: Connectivity;
  registry: SyncRegistry;
  outbox: Outbox;
  identity: Identity;
  /** Access: the credential the session sends, and whether it may connect. */
  gate?: SessionGate;
}

/**
 * Origin of writes the app makes on its own (meta, title copies, "last
 * edited"): not edits to attribute, nor changes to count in the status.
 */
const SYSTEM = BACKGROUND_WRITE;

/** "Last edited" in the list moves at most this often while someone types. */
const TOUCH_INTERVAL_MS = 5_000;

/** One open document: its session, meta, and who else is here. */
export class DocumentState {
  readonly id: string;
  readonly doc = new Y.Doc();
  readonly session: DocSession;
  title = $state('');
  kind = $state<DocumentKind>('note');
  loaded = $state(false);
  peers = $state<Peer[]>([]);
  /** True when neither this device nor the relay knows this document. */
  missing = $state(false);
  /**
   * This device holds nothing of the document and cannot ask the relay (no
   * network): it was never downloaded here. Decided from the device copy
   * alone, at once, instead of showing an empty body to type into.
   */
  notOnDevice = $state(false);
  /** When someone moved this document to the trash (null while it is listed). */
  deletedAt = $state<number | null>(null);
  deletedBy = $state<string | null>(null);
  /**
   * The relay dropped a write of ours to this document (outside our role):
   * the reason it gave. The edit stays on this device only.
   */
  readOnly = $state<string | null>(null);

  private readonly workspace: WorkspaceState;
  private readonly outbox: Outbox;
  private identity: Identity;
  private readonly untrack: () => void;
  private lastTouch = 0;
  private touchTimer: ReturnType<typeof setTimeout> | null = null;
  private destroyed = false;

  constructor(options: DocumentOptions) {
    this.id = options.documentId;
    this.workspace = options.workspace;
    this.identity = options.identity;
    this.outbox = options.outbox;
    // Any background sync of this document stops: this session takes over.
    this.outbox.open(this.id);
    this.session = new DocSession(docRoom(options.workspace.id, options.documentId), this.doc, {
      serverUrl: options.serverUrl,
      connectivity: options.connectivity,
      gate: options.gate
    });
    this.session.on('read-only', this.onReadOnly);
    this.untrack = options.registry.track(this.session);
    this.setAwarenessUser();

    getMetaMap(this.doc).observe(this.onMeta);
    getDocumentsMap(this.workspace.doc).observeDeep(this.onIndex);
    this.doc.on('update', this.onUpdate);
    globalThis.addEventListener?.('pagehide', this.flushTouch);
    this.session.awareness.on('change', this.onAwareness);
    this.session.on('status', this.onStatus);
    this.workspace.session.on('status', this.onStatus);
    void this.session.whenLoaded.then(() => this.onLoaded());
  }

  setTitle(title: string): void {
    if (!this.workspace.writable) return;
    const now = Date.now();
    setDocTitle(this.doc, title, now);
    const author = { userId: this.identity.userId, name: this.identity.name };
    if (this.workspace.entry(this.id)) {
      // The list's copy of the title: part of this one change.
      this.workspace.doc.transact(
        () => renameEntry(this.workspace.doc, this.id, readMeta(this.doc).title, author, now),
        SYSTEM
      );
    }
  }

  restore(): void {
    const author = { userId: this.identity.userId, name: this.identity.name };
    this.workspace.restore(this.id, author);
  }

  setIdentity(identity: Identity): void {
    this.identity = identity;
    this.setAwarenessUser();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.flushTouch();
    globalThis.removeEventListener?.('pagehide', this.flushTouch);
    this.destroyed = true;
    getMetaMap(this.doc).unobserve(this.onMeta);
    getDocumentsMap(this.workspace.doc).unobserveDeep(this.onIndex);
    this.doc.off('update', this.onUpdate);
    this.session.awareness.off('change', this.onAwareness);
    this.session.off('status', this.onStatus);
    this.session.off('read-only', this.onReadOnly);
    this.workspace.session.off('status', this.onStatus);
    this.untrack();
    const finalState = this.session.state;
    this.session.destroy();
    this.doc.destroy();
    // Edits the relay has not confirmed keep syncing after the page is left.
    this.outbox.close(this.id, finalState);
  }

  private onLoaded(): void {
    if (this.destroyed) return;
    if (this.workspace.createdHere.has(this.id) && this.workspace.writable) this.initFromIndex();
    this.readMetaIntoState();
    this.updateNotOnDevice();
    this.loaded = true;
  }

  /** See `notOnDevice`: nothing stored here, nothing heard from the relay, no network. */
  private updateNotOnDevice(): void {
    const state = this.session.state;
    const empty = this.doc.store.clients.size === 0 && !this.workspace.createdHere.has(this.id);
    this.notOnDevice = state.localLoaded && empty && !state.synced && !state.network;
  }

  /**
   * Writes the meta of a document from its index entry: at once for one
   * created here, otherwise only once the relay has answered and still has
   * none (an entry listed before its author's document arrived). initMeta
   * keeps fields already set, so nothing of the author's is overwritten.
   */
  private initFromIndex(): void {
    const entry = this.workspace.entry(this.id);
    if (!entry) return;
    this.doc.transact(() => {
      initMeta(this.doc, {
        title: entry.title,
        titleAt: entry.titleAt,
        kind: entry.kind,
        createdAt: entry.createdAt,
        // `createdBy` names its writer (the relay refuses anyone else's id):
        // someone else's document gets it from its author's device.
        createdBy: entry.createdBy === this.identity.userId ? entry.createdBy : ''
      });
    }, SYSTEM);
    // The template goes in once, from the device that created the document.
    if (this.workspace.createdHere.has(this.id) && !this.templateWritten) {
      this.templateWritten = true;
      writeTemplate(this.doc, entry.kind, SYSTEM);
    }
  }

  private templateWritten = false;

  private readonly onReadOnly = (reason: string) => {
    this.readOnly = reason;
  };

  private readonly onStatus = () => {
    if (this.destroyed) return;
    this.updateNotOnDevice();
    if (this.session.state.localLoaded) this.outbox.note(this.id, this.session.state);
    if (!this.session.state.synced) return;
    // Only editors write meta and the list's copy of the title; for anyone
    // else the relay would drop it.
    if (!this.workspace.writable) {
      this.missing = getMetaMap(this.doc).size === 0 && !this.workspace.entry(this.id);
      return;
    }
    const meta = getMetaMap(this.doc);
    if (meta.size === 0) this.initFromIndex();
    // Known nowhere: neither listed nor stored on the relay.
    this.missing = getMetaMap(this.doc).size === 0 && !this.workspace.entry(this.id);
    if (!this.missing) this.reconcileTitles();
  };

  private readonly onMeta = () => {
    this.readMetaIntoState();
    if (this.loaded && this.workspace.writable) this.reconcileTitles();
  };

  private readonly onIndex = () => {
    this.readMetaIntoState();
    if (this.loaded && this.workspace.writable) this.reconcileTitles();
  };

  /** The document's own meta; the list's entry stands in until that arrives. */
  private readMetaIntoState(): void {
    const meta = readMeta(this.doc);
    const entry = this.workspace.entry(this.id);
    const hasMeta = getMetaMap(this.doc).has('title');
    this.title = hasMeta ? meta.title : (entry?.title ?? '');
    this.kind = hasMeta ? meta.kind : (entry?.kind ?? meta.kind);
    this.deletedAt = entry?.deletedAt ?? null;
    this.deletedBy = entry?.deletedBy ?? null;
  }

  /** Copies the newer title across (list ↔ document); the kind goes to the list. */
  private reconcileTitles(): void {
    if (this.destroyed || !getMetaMap(this.doc).has('title')) return;
    const meta = readMeta(this.doc);
    const entry = this.workspace.entry(this.id);
    // Compared normalised: a title another client stored un-normalised must
    // not bounce between the two forever.
    const entryTitle = entry ? normalizeTitle(entry.title) : '';
    if (entry && entryTitle !== meta.title && isNewerTitle(entry, meta)) {
      this.doc.transact(() => setDocTitle(this.doc, entryTitle, entry.titleAt), SYSTEM);
      return;
    }
    if (entry && entry.title === meta.title && entry.kind === meta.kind) return;
    // An entry missing here may only be missing on this device: creating it
    // before the index has synced could undo someone's delete (a concurrent
    // new map under the same key replaces theirs whole).
    if (!entry && !this.workspace.session.state.synced) return;
    this.workspace.doc.transact(
      () => syncEntryFromDoc(this.workspace.doc, this.id, meta, this.identity.userId),
      SYSTEM
    );
  }

  private readonly onUpdate = (_update: Uint8Array, origin: unknown) => {
    if (
      origin === this.session.provider ||
      origin === this.session.persistence ||
      origin === SYSTEM
    ) {
      return;
    }
    const wait = TOUCH_INTERVAL_MS - (Date.now() - this.lastTouch);
    if (wait <= 0) return this.touch();
    this.touchTimer ??= setTimeout(() => {
      this.touchTimer = null;
      this.touch();
    }, wait);
  };

  /**
   * An edit whose "last edited" is still waiting is recorded now: leaving the
   * document or closing the page never loses it (nor fires it later).
   */
  private readonly flushTouch = () => {
    if (!this.touchTimer) return;
    clearTimeout(this.touchTimer);
    this.touchTimer = null;
    this.touch();
  };

  private touch(): void {
    if (this.destroyed || !this.workspace.writable) return;
    this.lastTouch = Date.now();
    const author = { userId: this.identity.userId, name: this.identity.name };
    const at = this.lastTouch;
    this.workspace.doc.transact(() => touchEntry(this.workspace.doc, this.id, author, at), SYSTEM);
  }

  private setAwarenessUser(): void {
    this.session.awareness.setLocalStateField('user', {
      name: this.identity.name,
      color: this.identity.color,
      userId: this.identity.userId
    });
  }

  private readonly onAwareness = () => {
    const peers: Peer[] = [];
    const self = this.doc.clientID;
    this.session.awareness.getStates().forEach((state, clientId) => {
      // Other devices' awareness is not checked by the relay: a name is cut
      // to length and a colour that is not #rrggbb gets the default.
      const user = presenceUser(state);
      if (!user) return;
      peers.push({ clientId, name: user.name, color: user.color, isSelf: clientId === self });
    });
    peers.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || a.name.localeCompare(b.name));
    this.peers = peers;
  };
}

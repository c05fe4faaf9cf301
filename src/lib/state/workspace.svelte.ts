import * as Y from 'yjs';
import { DocSession, type SessionGate } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';
import { indexRoom } from '../model/rooms.js';
import type { Author, DocumentKind } from '../model/schema.js';
import {
  addEntry,
  deleteEntry,
  getDocumentsMap,
  getEntry,
  listEntries,
  newDocumentId,
  renameEntry,
  restoreEntry,
  type IndexEntry
} from '../model/workspaceIndex.js';
import type { SyncRegistry } from './syncRegistry.svelte.js';
import {
  displayName,
  getMembersMap,
  listPeople,
  upsertPerson,
  type Person
} from '../model/people.js';
import { personOf, type Identity } from '../model/identity.js';

export interface WorkspaceOptions {
  workspaceId: string;
  serverUrl: string;
  connectivity: Connectivity;
  registry: SyncRegistry;
  /** Access: the credential sessions send, and whether they may connect. */
  gate?: SessionGate;
  /**
   * Whether this device may write the index (editors). Others never write
   * it: the relay would drop the write (default: yes).
   */
  canEdit?: () => boolean;
}

/** The document list of one workspace, live from its index document. */
export class WorkspaceState {
  readonly id: string;
  readonly doc = new Y.Doc();
  readonly session: DocSession;
  entries = $state<IndexEntry[]>([]);
  deleted = $state<IndexEntry[]>([]);
  loaded = $state(false);
  /** The workspace member list, by name. */
  people = $state<Person[]>([]);
  /** Member ids the relay marked removed (`removedAt` on their entry). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  removedIds = $state<ReadonlySet<string>>(new Set());
  /** The role the relay recorded on each member entry, where it did. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  memberRoles = $state<ReadonlyMap<string, string>>(new Map());
  /** The relay dropped a write of ours to the index (outside our role). */
  readOnly = $state(false);
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- derived anew, never mutated
  readonly peopleById = $derived(new Map(this.people.map((p) => [p.id, p])));
  /**
   * Documents created in this tab: their meta is written at once. Any other
   * document's meta is left to its author, so merely opening it writes nothing.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once per open, never rendered
  readonly createdHere = new Set<string>();

  private readonly untrack: () => void;
  private destroyed = false;
  private readonly onChange = () => this.refresh();
  private readonly onMembers = () => {
    this.people = listPeople(this.doc);
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
    const removed = new Set<string>();
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
    const roles = new Map<string, string>();
    getMembersMap(this.doc).forEach((raw, id) => {
      const entry = raw as { removedAt?: unknown; role?: unknown } | null;
      const at = entry?.removedAt;
      if (at !== undefined && at !== null && at !== false) removed.add(id);
      if (typeof entry?.role === 'string') roles.set(id, entry.role);
    });
    this.removedIds = removed;
    this.memberRoles = roles;
  };
  private pendingRegistration: Identity | null = null;
  /** A registration waits for the relay's copy of the list (see register). */
  private waitForRelay = false;
  private syncedOnce = false;
  private readonly onStatus = () => {
    if (this.syncedOnce || !this.session.state.synced) return;
    this.syncedOnce = true;
    if (this.pendingRegistration) this.register(this.pendingRegistration);
  };
  private readonly canEdit: () => boolean;
  private readonly onReadOnly = () => (this.readOnly = true);

  constructor(options: WorkspaceOptions) {
    this.id = options.workspaceId;
    this.canEdit = options.canEdit ?? (() => true);
    this.session = new DocSession(indexRoom(options.workspaceId), this.doc, {
      serverUrl: options.serverUrl,
      connectivity: options.connectivity,
      gate: options.gate
    });
    this.session.on('read-only', this.onReadOnly);
    this.session.on('status', this.onStatus);
    this.untrack = options.registry.track(this.session);
    getDocumentsMap(this.doc).observeDeep(this.onChange);
    getMembersMap(this.doc).observe(this.onMembers);
    void this.session.whenLoaded.then(() => {
      if (this.destroyed) return;
      this.loaded = true;
      this.refresh();
      this.onMembers();
      if (this.pendingRegistration) this.register(this.pendingRegistration);
    });
  }

  /**
   * Puts this device's person in the member list (or updates it), once the
   * list stored on the device has been read, so a profile saved on another
   * device later is not overwritten by an older one. `waitForRelay` (a
   * device that has just joined): once the relay's list has arrived too, as
   * the relay wrote the entry at redeem; written blind, the whole entry could
   * win over the relay's and lose the keys it keeps there (role).
   */
  register(identity: Identity, { waitForRelay = false }: { waitForRelay?: boolean } = {}): void {
    // Viewers and commenters cannot write the index: the relay keeps their
    // entry (AppState sends their profile through PUT /api/profile).
    if (this.destroyed || !this.canEdit()) return;
    if (waitForRelay) this.waitForRelay = true;
    if (!this.loaded || (this.waitForRelay && !this.syncedOnce)) {
      this.pendingRegistration = identity;
      return;
    }
    this.pendingRegistration = null;
    upsertPerson(this.doc, personOf(identity));
  }

  /** Whether this device may write the index now (editors). */
  get writable(): boolean {
    return this.canEdit();
  }

  /** The name to show for a stored person id (or a legacy display name). */
  nameOf(idOrName: string): string {
    return displayName(this.peopleById, idOrName);
  }

  entry(id: string): IndexEntry | null {
    return getEntry(this.doc, id);
  }

  create(kind: DocumentKind, title: string, author: Author): string {
    const id = newDocumentId();
    this.createdHere.add(id);
    addEntry(this.doc, { id, title, kind, author, now: Date.now() });
    return id;
  }

  rename(id: string, title: string, author: Author): void {
    renameEntry(this.doc, id, title, author, Date.now());
  }

  remove(id: string, author: Author): void {
    deleteEntry(this.doc, id, author, Date.now());
  }

  restore(id: string, author: Author): void {
    restoreEntry(this.doc, id, author, Date.now());
  }

  destroy(): void {
    this.destroyed = true;
    getDocumentsMap(this.doc).unobserveDeep(this.onChange);
    getMembersMap(this.doc).unobserve(this.onMembers);
    this.session.off('read-only', this.onReadOnly);
    this.session.off('status', this.onStatus);
    this.untrack();
    this.session.destroy();
    this.doc.destroy();
  }

  private refresh(): void {
    this.entries = listEntries(this.doc, 'live');
    this.deleted = listEntries(this.doc, 'deleted');
  }
}

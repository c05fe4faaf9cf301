import * as Y from 'yjs';
import { DocSession } from '../sync/DocSession.js';
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
  private readonly onMembers = () => (this.people = listPeople(this.doc));
  private pendingRegistration: Identity | null = null;

  constructor(options: WorkspaceOptions) {
    this.id = options.workspaceId;
    this.session = new DocSession(indexRoom(options.workspaceId), this.doc, {
      serverUrl: options.serverUrl,
      connectivity: options.connectivity
    });
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
   * device later is not overwritten by an older one.
   */
  register(identity: Identity): void {
    if (this.destroyed) return;
    if (!this.loaded) {
      this.pendingRegistration = identity;
      return;
    }
    this.pendingRegistration = null;
    upsertPerson(this.doc, personOf(identity));
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
    this.untrack();
    this.session.destroy();
    this.doc.destroy();
  }

  private refresh(): void {
    this.entries = listEntries(this.doc, 'live');
    this.deleted = listEntries(this.doc, 'deleted');
  }
}

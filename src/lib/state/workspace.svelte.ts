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
  /**
   * Documents created in this tab: their meta is written at once. Any other
   * document's meta is left to its author, so merely opening it writes nothing.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- read once per open, never rendered
  readonly createdHere = new Set<string>();

  private readonly untrack: () => void;
  private destroyed = false;
  private readonly onChange = () => this.refresh();

  constructor(options: WorkspaceOptions) {
    this.id = options.workspaceId;
    this.session = new DocSession(indexRoom(options.workspaceId), this.doc, {
      serverUrl: options.serverUrl,
      connectivity: options.connectivity
    });
    this.untrack = options.registry.track(this.session);
    getDocumentsMap(this.doc).observeDeep(this.onChange);
    void this.session.whenLoaded.then(() => {
      if (this.destroyed) return;
      this.loaded = true;
      this.refresh();
    });
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
    this.untrack();
    this.session.destroy();
    this.doc.destroy();
  }

  private refresh(): void {
    this.entries = listEntries(this.doc, 'live');
    this.deleted = listEntries(this.doc, 'deleted');
  }
}

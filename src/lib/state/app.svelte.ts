import { getContext, setContext } from 'svelte';
import { DEFAULT_WORKSPACE_ID } from '../model/rooms.js';
import { SYNC_PATH } from '../model/protocol.js';
import { browserConnectivity, type Connectivity } from '../sync/connectivity.js';
import { IdentityState } from './identity.svelte.js';
import { SyncRegistry } from './syncRegistry.svelte.js';
import { WorkspaceState } from './workspace.svelte.js';
import { Toasts } from './toasts.svelte.js';
import { Outbox } from './outbox.js';
import { ThreadLibrary } from './threads.svelte.js';
import type { Queue } from '../model/comments.js';
import { mergeCachedQueue, readQueueCache, writeQueueCache } from './queueCache.js';
import * as Y from 'yjs';
import { DocSession } from '../sync/DocSession.js';
import { docRoom } from '../model/rooms.js';
import {
  MAX_MARKDOWN_BYTES,
  MarkdownImportError,
  importIntoDoc,
  parseMarkdownFile
} from '../editor/markdown.js';
import { addEntry, newDocumentId } from '../model/workspaceIndex.js';

/** Where the relay is: the same origin as the app unless configured otherwise. */
export function relayUrl(location: Location): string {
  const configured = import.meta.env.VITE_RELAY_URL as string | undefined;
  if (configured) return configured;
  const protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${protocol}//${location.host}${SYNC_PATH}`;
}

/** Everything the app shares across pages; created once by the root layout. */
export class AppState {
  readonly serverUrl: string;
  readonly connectivity: Connectivity;
  readonly registry = new SyncRegistry();
  readonly toasts = new Toasts();
  readonly identity: IdentityState;
  readonly workspace: WorkspaceState;
  readonly outbox: Outbox;
  readonly threads: ThreadLibrary;
  private readonly stopQueueCache: () => void;
  /** My queue: asks waiting on the person of this device, and asks they made. */
  readonly queue: Queue;
  online = $state(true);
  private readonly offOnline: () => void;

  constructor(win: Window) {
    this.serverUrl = relayUrl(win.location);
    this.connectivity = browserConnectivity(win);
    this.online = this.connectivity.online;
    this.offOnline = this.connectivity.subscribe((online) => (this.online = online));
    this.identity = new IdentityState(win.localStorage);
    this.workspace = new WorkspaceState({
      workspaceId: DEFAULT_WORKSPACE_ID,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry
    });
    this.threads = new ThreadLibrary({
      workspace: this.workspace,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry
    });
    const storage = win.localStorage;
    this.queue = $derived.by(() => {
      const person = this.identity.current?.userId;
      if (!person) return { waitingOnMe: [], askedByMe: [] };
      const live = this.threads.queueFor(person);
      if (this.threads.loadedAll) return live;
      // Until every room has been read from the device (hundreds of
      // IndexedDB databases), documents not read yet show what the queue
      // said when it was last complete.
      return mergeCachedQueue(
        live,
        readQueueCache(storage, person),
        this.threads.threads,
        this.threads.now
      );
    });
    this.stopQueueCache = $effect.root(() => {
      $effect(() => {
        const person = this.identity.current?.userId;
        if (!person || !this.threads.loadedAll) return;
        const queue = this.queue;
        // Written shortly after it settles, and at once when the page is
        // left, so a tab closed right after the last room synced still
        // leaves a complete queue behind.
        const write = () => writeQueueCache(storage, person, queue);
        const timer = setTimeout(write, 100);
        win.addEventListener('pagehide', write);
        return () => {
          clearTimeout(timer);
          win.removeEventListener('pagehide', write);
        };
      });
    });
    if (this.identity.current) this.workspace.register(this.identity.current);
    this.outbox = new Outbox({
      workspaceId: DEFAULT_WORKSPACE_ID,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry,
      storage: win.localStorage,
      events: win
    });
  }

  /**
   * Imports a Markdown file as a new document of the kind its front matter
   * names. Everything is checked before anything is written: a refused file
   * creates no document. The document is written on this device first and
   * syncs like any edit (the outbox carries it if the page is left offline).
   * Returns the new document's id; throws MarkdownImportError.
   */
  async importMarkdown(file: Blob): Promise<string> {
    if (file.size > MAX_MARKDOWN_BYTES) {
      throw new MarkdownImportError(
        `That file is ${(file.size / 1048576).toFixed(1)} MB; a Markdown file can be at most 5 MB.`
      );
    }
    const parsed = parseMarkdownFile(new Uint8Array(await file.arrayBuffer()));
    const author = this.author;
    const now = Date.now();
    // A dry run on a scratch copy: a refused file leaves nothing behind.
    importIntoDoc(new Y.Doc(), parsed, author.userId, now);
    const id = newDocumentId();
    const doc = new Y.Doc();
    const session = new DocSession(docRoom(this.workspace.id, id), doc, {
      serverUrl: this.serverUrl,
      connectivity: this.connectivity
    });
    try {
      await session.whenLoaded;
      importIntoDoc(doc, parsed, author.userId, now);
      addEntry(this.workspace.doc, { id, title: parsed.title, kind: parsed.kind, author, now });
    } finally {
      // Until the relay confirms it, the outbox keeps syncing it in the background.
      this.outbox.close(id, session.state);
      session.destroy();
      doc.destroy();
    }
    return id;
  }

  /** Saves the profile on this device and in the workspace member list. */
  saveProfile(profile: Parameters<IdentityState['save']>[0]): void {
    const identity = this.identity.save(profile);
    this.workspace.register(identity);
  }

  /** The person written into "last edited by"; empty until the user picks one. */
  get author() {
    const identity = this.identity.current;
    return { userId: identity?.userId ?? '', name: identity?.name ?? '' };
  }

  destroy(): void {
    this.offOnline();
    this.outbox.destroy();
    this.threads.destroy();
    this.stopQueueCache();
    this.workspace.destroy();
  }
}

const KEY = Symbol('app');

export function setAppState(app: AppState): AppState {
  return setContext(KEY, app);
}

export function getAppState(): AppState {
  const app = getContext<AppState | undefined>(KEY);
  if (!app) throw new Error('AppState is created by the root layout');
  return app;
}

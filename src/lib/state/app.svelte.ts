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
// The Markdown code (parser, YAML, serializer) loads when a file is imported
// or exported, not with every page.
import { MAX_MARKDOWN_BYTES, MarkdownImportError } from '../editor/markdownImportError.js';
import { addEntry, newDocumentId } from '../model/workspaceIndex.js';
import { IndexeddbPersistence } from 'y-indexeddb';
import { untrack } from 'svelte';
import { AccessState, ApiUnreachable } from './access.svelte.js';
import { OFFLINE_JOIN_MESSAGE, readRedeemed, redeemErrorMessage } from '../model/deviceAccess.js';
import { savedProfile, type Identity, type Profile } from '../model/identity.js';
import { readLifecycle } from '../model/documentFields.js';
import { readMeta } from '../model/schema.js';
import { adrNumbers } from '../model/adr.js';
import { downloadText, markdownFileName } from '../editor/exportFile.js';
import { threadsMarkdown } from '../model/commentsMarkdown.js';
import { readThreads } from '../model/comments.js';
import { OfflineLibrary } from './offlineLibrary.svelte.js';
import {
  DEVICE_CHANNEL,
  clearLocalRecords,
  deleteDatabases,
  workspaceDatabases
} from './deviceStore.js';

/** A profile saved here that the relay has not taken yet (viewers and commenters). */
export const PROFILE_PENDING_KEY = 'driftwrite:profile-pending';

/**
 * Joining was refused or impossible; the message is for the person.
 * `retryable`: the same invite may work later (offline, relay in trouble).
 */
export class JoinError extends Error {
  constructor(
    message: string,
    readonly retryable = false
  ) {
    super(message);
  }
}

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
  /** The credential, role and whether the relay accepts them. */
  readonly access: AccessState;
  readonly workspace: WorkspaceState;
  readonly outbox: Outbox;
  readonly threads: ThreadLibrary;
  /** "Keep available offline": every document downloaded to this device. */
  readonly offline: OfflineLibrary;
  private readonly stopQueueCache: () => void;
  /** My queue: asks waiting on the person of this device, and asks they made. */
  readonly queue: Queue;
  online = $state(true);
  private readonly offOnline: () => void;
  private readonly storage: Storage;
  private readonly stopRegistration: () => void;
  /** This device joined in this page load: the relay has just written its member entry. */
  private joinedHere = false;

  constructor(win: Window) {
    this.serverUrl = relayUrl(win.location);
    this.connectivity = browserConnectivity(win);
    this.online = this.connectivity.online;
    this.storage = win.localStorage;
    this.offOnline = this.connectivity.subscribe((online) => {
      this.online = online;
      if (online) void this.pushPendingProfile();
    });
    this.identity = new IdentityState(win.localStorage);
    this.access = new AccessState({
      storage: win.localStorage,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      events: win
    });
    this.workspace = new WorkspaceState({
      workspaceId: DEFAULT_WORKSPACE_ID,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry,
      gate: this.access,
      canEdit: () => this.access.canEdit
    });
    this.threads = new ThreadLibrary({
      workspace: this.workspace,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry,
      gate: this.access
    });
    this.offline = new OfflineLibrary({
      workspace: this.workspace,
      threads: this.threads,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      storage: win.localStorage,
      gate: this.access,
      events: win
    });
    this.deviceChannel = listenForRemoval(() => this.onRemovedElsewhere(win));
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
    // Editors keep their member entry current themselves; for viewers and
    // commenters the relay writes it (at redeem, and on PUT /api/profile).
    this.stopRegistration = $effect.root(() => {
      $effect(() => {
        const identity = this.identity.current;
        if (!identity || !this.access.canEdit) return;
        untrack(() => this.workspace.register(identity, { waitForRelay: this.joinedHere }));
      });
    });
    this.outbox = new Outbox({
      workspaceId: DEFAULT_WORKSPACE_ID,
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      registry: this.registry,
      storage: win.localStorage,
      events: win,
      gate: this.access
    });
    if (this.online) void this.pushPendingProfile();
  }

  /**
   * Joins the workspace with an invite (docs/access.md, POST /api/redeem):
   * keeps the credential, saves the profile under the person id the relay
   * gives, and connects every session with it. Throws JoinError with plain
   * words when the relay refuses or cannot be reached.
   */
  async join(invite: string, profile: Profile): Promise<Identity> {
    if (!this.connectivity.online) throw new JoinError(OFFLINE_JOIN_MESSAGE, true);
    const body = { invite, ...savedProfile(profile), personId: this.identity.proposedId() };
    let answer;
    try {
      // Signed in already (a new invite for another role): the relay keeps this person.
      answer = await this.access.request('POST', '/api/redeem', body);
    } catch (error) {
      if (error instanceof ApiUnreachable) throw new JoinError(OFFLINE_JOIN_MESSAGE, true);
      throw error;
    }
    if (answer.status < 200 || answer.status >= 300) {
      // 400 (the form), 429 and 5xx may pass with the same invite; 401 and 410 never.
      const retryable = answer.status !== 401 && answer.status !== 410;
      throw new JoinError(redeemErrorMessage(answer.status, answer.body), retryable);
    }
    const access = readRedeemed(answer.body);
    if (!access) {
      throw new JoinError('The relay answered, but not with a sign-in this app can use.');
    }
    // The relay wrote the member entry from this profile already.
    this.storage.removeItem(PROFILE_PENDING_KEY);
    this.joinedHere = true;
    this.access.adopt(access);
    return this.identity.adopt(access.personId, profile);
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
    const { importIntoDoc, parseMarkdownFile } = await import('../editor/markdown.js');
    const parsed = parseMarkdownFile(new Uint8Array(await file.arrayBuffer()));
    const author = this.author;
    const now = Date.now();
    // A dry run on a scratch copy: a refused file leaves nothing behind.
    importIntoDoc(new Y.Doc(), parsed, author.userId, now);
    const id = newDocumentId();
    const doc = new Y.Doc();
    const session = new DocSession(docRoom(this.workspace.id, id), doc, {
      serverUrl: this.serverUrl,
      connectivity: this.connectivity,
      gate: this.access
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

  /**
   * Saves the profile on this device and in the workspace member list:
   * editors write the list themselves, anyone else asks the relay to
   * (PUT /api/profile), now or once online.
   */
  saveProfile(profile: Profile): void {
    const identity = this.identity.save(profile);
    if (this.access.canEdit) {
      this.workspace.register(identity, { waitForRelay: this.joinedHere });
      return;
    }
    if (!this.access.stored) return;
    this.storage.setItem(PROFILE_PENDING_KEY, String(identity.updatedAt));
    if (!this.connectivity.online) {
      this.toasts.show({
        message: 'Saved on this device; your profile updates for others when you are online.'
      });
      return;
    }
    void this.pushPendingProfile(true);
  }

  private pushingProfile = false;

  /** Sends a profile saved here to the relay (viewers and commenters); kept for later on failure. */
  private async pushPendingProfile(tell = false): Promise<void> {
    const identity = this.identity.current;
    if (this.pushingProfile || !identity || !this.access.stored || this.access.canEdit) return;
    if (this.storage.getItem(PROFILE_PENDING_KEY) === null) return;
    this.pushingProfile = true;
    try {
      const answer = await this.access.request('PUT', '/api/profile', {
        name: identity.name,
        color: identity.color,
        timeZone: identity.timeZone,
        workStart: identity.workStart,
        workEnd: identity.workEnd,
        workDays: identity.workDays
      });
      if (answer.status >= 200 && answer.status < 300) {
        // A newer save made meanwhile stays pending.
        if (this.storage.getItem(PROFILE_PENDING_KEY) === String(identity.updatedAt)) {
          this.storage.removeItem(PROFILE_PENDING_KEY);
        }
        return;
      }
      if (answer.status === 401 || answer.status === 403) {
        void this.access.check();
        return;
      }
      this.toasts.show({
        tone: 'error',
        message: `Your profile was saved on this device, but the relay did not take it (status ${answer.status}); it is sent again next time you are online.`
      });
    } catch (error) {
      if (!(error instanceof ApiUnreachable)) throw error;
      if (tell) {
        this.toasts.show({
          message: 'Saved on this device; your profile updates for others when you are online.'
        });
      }
    } finally {
      this.pushingProfile = false;
    }
  }

  private readonly deviceChannel: BroadcastChannel | null;

  /**
   * What the relay has not confirmed, by document title, for the warning
   * before the local copy is removed: documents with text edits, documents
   * with comments, and whether the list itself has changes.
   */
  unsyncedWork(): { documents: string[]; comments: string[]; list: boolean } {
    const title = (id: string) => this.workspace.entry(id)?.title || 'Untitled';
    return {
      documents: this.outbox.unsyncedIds().map(title),
      comments: this.threads.unsyncedIds().map(title),
      list: this.workspace.session.state.pendingEdits > 0
    };
  }

  /**
   * Removes this workspace's copy from the device: stops every session here,
   * tells the other tabs to stop theirs, deletes the databases and the
   * device's records of them (the sign-in and the profile stay). Returns the
   * databases another tab still held open after a wait; they go once it closes.
   * The page must be reloaded afterwards.
   */
  async removeLocalCopy(): Promise<string[]> {
    const names = await workspaceDatabases(this.workspace.id);
    this.offline.forget();
    this.deviceChannel?.postMessage({ type: 'removed', workspaceId: this.workspace.id });
    this.destroy();
    clearLocalRecords(this.storage);
    return deleteDatabases(names);
  }

  private removedElsewhere = false;

  private onRemovedElsewhere(win: Window): void {
    if (this.removedElsewhere) return;
    this.removedElsewhere = true;
    // Let go of every database so the other tab can delete them.
    this.destroy();
    this.toasts.show(
      {
        tone: 'error',
        message:
          'This workspace’s copy on this device was removed in another tab. Reload to continue.',
        action: { label: 'Reload', run: () => win.location.reload() }
      },
      24 * 60 * 60_000
    );
  }

  /** Edits not yet on the relay, on every session open here (documents, comments, list). */
  get pendingEdits(): number {
    return this.registry.combined.pendingEdits;
  }

  /** The same, as a person counts them: bursts of typing (see DocSession). */
  get pendingChanges(): number {
    const combined = this.registry.combined;
    return combined.pendingEdits > 0 ? Math.max(1, combined.pendingChanges) : 0;
  }

  /**
   * Downloads a Markdown file of each document that holds edits the relay
   * has not confirmed (read from this device's copy), and of the comments of
   * each document whose threads do. Returns how many files.
   */
  async exportUnsynced(): Promise<number> {
    let count = await this.exportUnsyncedDocuments();
    // Comments wait in their own rooms: each document's threads as one file.
    for (const id of this.threads.unsyncedIds()) {
      const room = this.threads.room(id);
      const title = this.workspace.entry(id)?.title ?? '';
      const markdown = threadsMarkdown(title, readThreads(room.doc), (person) =>
        this.workspace.nameOf(person)
      );
      downloadText(markdownFileName(`comments ${title}`, null), markdown);
      count++;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return count;
  }

  private async exportUnsyncedDocuments(): Promise<number> {
    const ids = this.outbox.unsyncedIds();
    if (ids.length === 0) return 0;
    const { exportMarkdown } = await import('../editor/markdown.js');
    const entries = this.workspace.entries.filter((e) => e.kind === 'adr');
    const numbers = adrNumbers(entries);
    let count = 0;
    for (const id of ids) {
      const doc = new Y.Doc();
      const persistence = new IndexeddbPersistence(
        `driftwrite:${docRoom(this.workspace.id, id)}`,
        doc
      );
      try {
        await persistence.whenSynced;
        const meta = readMeta(doc);
        const adrNumber = readLifecycle(doc).adrNumber ?? numbers.get(id) ?? null;
        const markdown = exportMarkdown(doc, { adrNumber, people: this.workspace.peopleById });
        const title = meta.title || this.workspace.entry(id)?.title || '';
        downloadText(markdownFileName(title, meta.kind === 'adr' ? adrNumber : null), markdown);
        count++;
        // Browsers may drop downloads started in the same instant.
        await new Promise((resolve) => setTimeout(resolve, 250));
      } finally {
        await persistence.destroy();
        doc.destroy();
      }
    }
    return count;
  }
  /** The person written into "last edited by"; empty until the user picks one. */
  get author() {
    const identity = this.identity.current;
    return { userId: identity?.userId ?? '', name: identity?.name ?? '' };
  }

  private destroyed = false;

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.deviceChannel?.close();
    this.offline.destroy();
    this.offOnline();
    this.stopRegistration();
    this.access.destroy();
    this.outbox.destroy();
    this.threads.destroy();
    this.stopQueueCache();
    this.workspace.destroy();
  }
}

/** Calls back when another tab removed the workspace's local copy. */
function listenForRemoval(onRemoved: () => void): BroadcastChannel | null {
  if (typeof BroadcastChannel === 'undefined') return null;
  const channel = new BroadcastChannel(DEVICE_CHANNEL);
  channel.onmessage = (event: MessageEvent<{ type?: string }>) => {
    if (event.data?.type === 'removed') onRemoved();
  };
  return channel;
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

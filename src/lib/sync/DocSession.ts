/**
 * A document session: one Y.Doc kept on this device (y-indexeddb) and synced
 * through the relay (y-websocket), with a status that says where the user's
 * edits are. No Svelte here; src/lib/state turns the events into runes.
 *
 * The session does not own the Y.Doc: whoever created the doc destroys it,
 * after destroying the session.
 *
 * Confirmed edits: every local transaction bumps `localSeq`. After the relay's
 * first sync answer, and after each local edit while connected, the session
 * sends a confirm message with the current `localSeq`; the relay echoes it
 * once everything sent before is stored. Both numbers are kept in IndexedDB
 * beside the document, so the count survives a reload while offline. What the
 * person is shown is `pendingChanges`: edits less than CHANGE_GAP_MS apart are
 * one change (one sentence typed is one change, not 45 keystrokes).
 *
 * Each session (each tab, each page load) keeps its own record, so two tabs
 * never overwrite each other's count. Records left by earlier sessions are
 * counted until this session's first confirm after a full sync: that sync
 * sent everything this device holds, theirs included, so they are then
 * removed.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as idb from 'lib0/indexeddb';
import { ObservableV2 } from 'lib0/observable';
import { Awareness } from 'y-protocols/awareness';
import * as authProtocol from 'y-protocols/auth';
import { WebsocketProvider } from 'y-websocket';
import { IndexeddbPersistence, storeState } from 'y-indexeddb';
import { commitEveryWrite, writeCustom } from './durableStore.js';
import { shouldCompactOnOpen } from './compactPolicy.js';
import { CLOSE, MESSAGE } from '../model/protocol.js';
import { INITIAL_SYNC_STATE, type SyncState } from '../model/status.js';
import type { Connectivity } from './connectivity.js';

/**
 * How long reading the device copy may take before the session carries on
 * without it (blocked or broken IndexedDB). A 50,000-word document loads in
 * well under a second (npm run bench), so this only fires on real trouble;
 * a late load still merges.
 */
export const LOCAL_LOAD_TIMEOUT_MS = 20_000;
/** Prefix of the per-session counter records (JSON) in y-indexeddb's 'custom' store. */
export const COUNTER_PREFIX = 'pending:';
/**
 * Local edits closer together than this are one change for the person: a
 * burst of typing is one, as undo groups it. The status counts changes, not
 * the transactions behind them (one per keystroke).
 */
export const CHANGE_GAP_MS = 1000;
/**
 * The origin of writes the app makes on its own as a consequence of the
 * person's (the list's "last edited", a title copied between the list and
 * the document, a new document's meta): synced and confirmed like any edit,
 * but not counted as changes of their own.
 */
export const BACKGROUND_WRITE = Symbol('background write');

interface CounterRecord {
  seq: number;
  confirmed: number;
  /** Unconfirmed changes (groups of edits) when written; older records have none. */
  changes?: number;
}

/** Unconfirmed work an earlier session left: edits (transactions) and the changes they make up. */
interface Inherited {
  edits: number;
  changes: number;
}

export interface DocSessionOptions {
  /** Relay base URL, e.g. ws://localhost:3000/sync. */
  serverUrl: string;
  /** Keep the document in IndexedDB (default true). */
  persist?: boolean;
  /** Open the relay connection right away (default true). */
  connect?: boolean;
  WebSocketPolyfill?: typeof WebSocket;
  awareness?: Awareness;
  /** Browser online/offline events; the session disconnects while offline. */
  connectivity?: Connectivity;
  /** Coalesces confirm requests while typing fast. */
  confirmDelayMs?: number;
  /** Prefix of IndexedDB database names, so tests and apps do not collide. */
  databasePrefix?: string;
  /** Query parameters of the relay URL, e.g. `{ token: credential }` (docs/access.md). */
  params?: Record<string, string>;
  /**
   * Who may connect: the app's access state. Its params are added to
   * `params`; while it is closed the session keeps to this device.
   */
  gate?: SessionGate;
}

/**
 * The access side of every session: the credential to send, whether the
 * relay may be asked at all, and a hook to follow the session (to stop or
 * resume it, or to ask why a connection was refused).
 */
export interface SessionGate {
  readonly params: Record<string, string> | undefined;
  readonly open: boolean;
  /** Called once per session; the returned function is called when it is destroyed. */
  attach(session: DocSession): () => void;
}

/** A socket closed: `opened` false means the relay refused it before it opened. */
export interface SocketClose {
  code: number;
  reason: string;
  opened: boolean;
}

type Events = {
  status: (state: SyncState) => void;
  /** The relay said a write of ours was outside our role (y-protocols auth). */
  'read-only': (reason: string) => void;
  /** The socket closed while the network was up (not closed by us). */
  'socket-close': (close: SocketClose) => void;
};

export class DocSession extends ObservableV2<Events> {
  readonly room: string;
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly provider: WebsocketProvider;
  readonly persistence: IndexeddbPersistence | null;
  state: SyncState;
  /** Resolves once the copy on this device has been read. */
  readonly whenLoaded: Promise<void>;
  /**
   * Set when the relay dropped a write of ours as outside our role ("permission
   * denied"): the reason it gave. The edits stay on this device.
   */
  readOnly: string | null = null;

  private localSeq = 0;
  private confirmedSeq = 0;
  private readonly counterKey = COUNTER_PREFIX + randomKey();
  /** Unconfirmed edits recorded by earlier sessions, by record key. */
  private inherited = new Map<string, Inherited>();
  /** The last `localSeq` of each change (burst of edits) not yet fully confirmed. */
  private changeEnds: number[] = [];
  private lastLocalEditAt = -Infinity;
  /** The confirm request that, once echoed, covers the inherited records. */
  private inheritedMarker: number | null = null;
  /** The stored counters have been read; before that, writing ours would overwrite them. */
  private countersLoaded = false;
  private confirmTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly confirmDelayMs: number;
  private readonly connectivity: Connectivity | null;
  private readonly offConnectivity: () => void;
  /** Whether the owner wants the relay connection (the network may still be down). */
  private wantConnected: boolean;
  /** Whether access allows connecting (the gate); see setGate. */
  private gateOpen: boolean;
  private readonly detachGate: () => void;
  private destroyed = false;

  constructor(room: string, doc: Y.Doc, options: DocSessionOptions) {
    super();
    this.room = room;
    this.doc = doc;
    this.confirmDelayMs = options.confirmDelayMs ?? 250;
    this.connectivity = options.connectivity ?? null;
    this.awareness = options.awareness ?? new Awareness(doc);
    const network = this.connectivity?.online ?? true;
    this.wantConnected = options.connect ?? true;
    this.gateOpen = options.gate?.open ?? true;
    this.state = { ...INITIAL_SYNC_STATE, network, localLoaded: options.persist === false };

    this.persistence =
      options.persist === false
        ? null
        : new IndexeddbPersistence(`${options.databasePrefix ?? 'driftwrite'}:${room}`, doc);
    // Each write committed at once, so closing the tab right after typing keeps it.
    if (this.persistence) {
      commitEveryWrite(this.persistence, doc, (reason) => this.setState({ storageError: reason }));
    }

    this.provider = new WebsocketProvider(options.serverUrl, room, doc, {
      connect: false,
      awareness: this.awareness,
      WebSocketPolyfill: options.WebSocketPolyfill,
      // The session's own tabs share IndexedDB; BroadcastChannel between tabs
      // is kept because it makes two tabs on one device live without a relay.
      disableBc: false,
      maxBackoffTime: 5000,
      shouldReconnect: (event) => !isFinalClose(event.code),
      params: { ...options.params, ...options.gate?.params }
    });
    // Tabs of this device share edits over BroadcastChannel even when the
    // session starts offline and never opens a socket.
    this.provider.connectBc();
    this.provider.messageHandlers[MESSAGE.confirm] = (_encoder, decoder) => {
      this.onConfirmed(decoding.readVarUint(decoder));
    };
    // The relay drops a write outside our role and says so once per
    // connection; the published client only logs it.
    this.provider.messageHandlers[MESSAGE.auth] = (_encoder, decoder) => {
      authProtocol.readAuthMessage(decoder, doc, (_doc, reason) => this.onDenied(reason));
    };
    this.provider.on('connection-close', this.onConnectionClose);
    this.provider.on('status', this.onProviderStatus);
    this.provider.on('sync', this.onProviderSync);
    this.provider.on('closed', this.onProviderClosed);
    // Registered after the provider's own update handler, so an edit is on the
    // wire before the confirm request that covers it.
    doc.on('update', this.onDocUpdate);

    this.whenLoaded = this.persistence ? this.loadLocal(this.persistence) : Promise.resolve();

    this.offConnectivity = this.connectivity
      ? this.connectivity.subscribe((online) => this.onNetworkChange(online))
      : () => {};
    // Connect once the local copy is read, so the first sync asks the relay
    // only for what this device lacks instead of the whole document.
    // The network may come back while the copy is still loading; the change
    // handler leaves connecting to this.
    void this.whenLoaded.then(() => {
      if (
        !this.destroyed &&
        this.wantConnected &&
        this.gateOpen &&
        (this.connectivity?.online ?? true)
      ) {
        this.provider.connect();
      }
    });
    this.detachGate = options.gate?.attach(this) ?? (() => {});
  }

  /** Starts (or resumes) syncing with the relay, also after a refusal. */
  connect(): void {
    if (this.destroyed) return;
    this.wantConnected = true;
    this.setState({ refused: null });
    if (this.gateOpen) this.provider.connect();
  }

  /** The relay URL's query parameters from now on (a new credential); reconnects if open. */
  setParams(params: Record<string, string>): void {
    if (this.destroyed) return;
    const before = JSON.stringify(this.provider.params);
    this.provider.params = { ...params };
    if (before === JSON.stringify(this.provider.params)) return;
    // A socket opened with the old credential is replaced.
    if (this.provider.ws) {
      this.closeSocket();
      if (this.wantConnected && this.gateOpen && this.state.localLoaded) {
        if (this.connectivity?.online ?? true) this.provider.connect();
      }
    }
  }

  /**
   * Access opens or closes the way to the relay: closed (revoked, not
   * joined), the session keeps working on this device and stops
   * reconnecting; opened again, it resumes if its owner still wants it.
   */
  setGate(open: boolean): void {
    if (this.destroyed || open === this.gateOpen) return;
    this.gateOpen = open;
    if (!open) {
      this.closeSocket();
      return;
    }
    this.readOnly = null;
    if (this.wantConnected && this.state.localLoaded && (this.connectivity?.online ?? true)) {
      this.setState({ refused: null });
      this.provider.connect();
    }
  }

  /** Stops syncing; edits keep being stored on this device. */
  disconnect(): void {
    this.wantConnected = false;
    this.closeSocket();
  }

  /** Resolves when the relay has confirmed every local edit made so far. */
  whenConfirmed(): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.state.pendingEdits === 0 && this.state.synced) {
          this.off('status', check);
          resolve();
        }
      };
      this.on('status', check);
      check();
    });
  }

  override destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.confirmTimer) clearTimeout(this.confirmTimer);
    this.offConnectivity();
    this.detachGate();
    this.doc.off('update', this.onDocUpdate);
    this.provider.off('status', this.onProviderStatus);
    this.provider.off('sync', this.onProviderSync);
    this.provider.off('closed', this.onProviderClosed);
    this.provider.off('connection-close', this.onConnectionClose);
    this.provider.destroy();
    void this.persistence?.destroy();
    super.destroy();
  }

  /**
   * Reads the device copy. y-indexeddb never reports failure (a blocked or
   * broken database just never syncs), so a failed open or a time-out is
   * turned into a status the user can see, and syncing goes on without it.
   */
  private async loadLocal(persistence: IndexeddbPersistence): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const opened = (persistence as unknown as { _db: Promise<IDBDatabase> })._db;
      await Promise.race([
        persistence.whenSynced,
        opened.then(() => new Promise<never>(() => {})),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error('it did not answer in time')),
            LOCAL_LOAD_TIMEOUT_MS
          );
        })
      ]);
      clearTimeout(timer);
      await this.onLocalLoaded();
    } catch (error) {
      clearTimeout(timer);
      if (this.destroyed) return;
      const reason = error instanceof Error ? error.message : String(error);
      this.setState({ localLoaded: true, storageError: reason || 'unknown error' });
      // A store that was only slow may still answer: then it is used after all.
      void persistence.whenSynced.then(async () => {
        if (this.destroyed || this.countersLoaded) return;
        this.setState({ storageError: null });
        await this.onLocalLoaded();
      });
    }
  }

  private async onLocalLoaded(): Promise<void> {
    const persistence = this.persistence;
    if (!persistence || this.destroyed) return;
    const records = await readCounterRecords(persistence);
    if (this.destroyed) return;
    for (const [key, record] of records) {
      const pending = record.seq - record.confirmed;
      if (key !== this.counterKey && pending > 0) {
        // A record from before changes were counted stands for one change.
        const changes = Math.min(pending, record.changes ?? 1);
        this.inherited.set(key, { edits: pending, changes });
      } else if (key !== this.counterKey) {
        void writeCustom(persistence, key, undefined).catch(() => {});
      }
    }
    this.countersLoaded = true;
    // Edits made while the records were loading are already counted.
    if (this.localSeq > 0) this.saveCounters();
    // y-indexeddb only trims its log at 500 entries; rewriting it here, once
    // the changes outweigh the state (compactPolicy.ts), keeps a document
    // reopened often small without rewriting it whole on every few opens.
    const sizes = await storedUpdateSizes(persistence);
    if (this.destroyed) return;
    if (shouldCompactOnOpen(sizes)) await storeState(persistence, true);
    if (this.destroyed) return;
    this.setState({ localLoaded: true });
    this.updatePending();
    if (this.state.synced) this.requestConfirm(true);
  }

  private readonly onDocUpdate = (_update: Uint8Array, origin: unknown) => {
    if (origin === this.provider || origin === this.persistence) return;
    this.localSeq++;
    if (origin !== BACKGROUND_WRITE) {
      const now = Date.now();
      if (this.changeEnds.length > 0 && now - this.lastLocalEditAt <= CHANGE_GAP_MS) {
        this.changeEnds[this.changeEnds.length - 1] = this.localSeq;
      } else {
        this.changeEnds.push(this.localSeq);
      }
      this.lastLocalEditAt = now;
    }
    if (this.countersLoaded) this.saveCounters();
    this.updatePending();
    if (this.state.synced) this.requestConfirm(false);
  };

  private readonly onProviderStatus = ({ status }: { status: SyncState['connection'] }) => {
    // A request in flight on a dropped socket is never answered; ask anew.
    if (status !== 'connected') this.inheritedMarker = null;
    this.setState({ connection: status, ...(status === 'connected' ? {} : { synced: false }) });
  };

  private readonly onProviderSync = (synced: boolean) => {
    this.setState({ synced, refused: null });
    if (synced) this.requestConfirm(true);
  };

  private readonly onProviderClosed = (event: { code: number; reason: string }) => {
    this.setState({ refused: { code: event.code, reason: event.reason } });
  };

  /**
   * A socket closed by the other side (`event` is null when we closed it).
   * One that never opened was refused at the upgrade (browsers show that as
   * 1006 and hide the HTTP status); the access state asks the relay why.
   */
  private readonly onConnectionClose = (event: CloseEvent | null) => {
    if (!event || this.destroyed) return;
    const opened = this.state.connection === 'connected';
    if (!(this.connectivity?.online ?? true)) return;
    this.emit('socket-close', [{ code: event.code, reason: event.reason, opened }]);
  };

  private onDenied(reason: string): void {
    if (this.destroyed) return;
    const first = this.readOnly === null;
    this.readOnly = reason || 'permission denied';
    if (first) this.emit('read-only', [this.readOnly]);
  }

  private onNetworkChange(online: boolean): void {
    if (this.destroyed) return;
    this.setState({ network: online });
    // Browsers keep a dead socket open for a long time after the network goes;
    // closing it ourselves makes the status truthful at once.
    if (!online) this.closeSocket();
    // Before the device copy is read, whenLoaded connects (when online).
    else if (this.wantConnected && this.gateOpen && !this.state.refused && this.state.localLoaded) {
      this.provider.connect();
    }
  }

  private closeSocket(): void {
    this.provider.disconnect();
    // disconnect() also leaves the tabs' BroadcastChannel; two tabs of this
    // device must keep sharing edits while offline.
    this.provider.connectBc();
    // The provider reports 'disconnected' only for a socket that had opened;
    // one still connecting is dropped without an event.
    this.setState({ connection: 'disconnected', synced: false });
  }

  private requestConfirm(immediate: boolean): void {
    if (this.localSeq <= this.confirmedSeq && this.inherited.size === 0) return;
    if (this.confirmTimer) {
      if (!immediate) return;
      clearTimeout(this.confirmTimer);
    }
    this.confirmTimer = setTimeout(
      () => {
        this.confirmTimer = null;
        const ws = this.provider.ws;
        // Before the first sync answer, edits made offline have not been sent
        // yet (they go in the sync reply): a confirm then would cover nothing.
        if (!ws || !this.state.synced || ws.readyState !== ws.OPEN) return;
        // Only a request sent after a full sync of the loaded copy covers
        // what earlier sessions left unconfirmed.
        if (
          this.inherited.size > 0 &&
          this.inheritedMarker === null &&
          this.state.synced &&
          this.state.localLoaded
        ) {
          this.inheritedMarker = this.localSeq;
        }
        const encoder = encoding.createEncoder();
        encoding.writeVarUint(encoder, MESSAGE.confirm);
        encoding.writeVarUint(encoder, this.localSeq);
        ws.send(encoding.toUint8Array(encoder));
      },
      immediate ? 0 : this.confirmDelayMs
    );
  }

  private onConfirmed(seq: number): void {
    if (this.inheritedMarker !== null && seq >= this.inheritedMarker) {
      const persistence = this.persistence;
      if (persistence) {
        for (const key of this.inherited.keys()) {
          void writeCustom(persistence, key, undefined).catch(() => {});
        }
      }
      this.inherited.clear();
      this.inheritedMarker = null;
    }
    if (seq > this.confirmedSeq) {
      this.confirmedSeq = Math.min(seq, this.localSeq);
      this.changeEnds = this.changeEnds.filter((end) => end > this.confirmedSeq);
      if (this.countersLoaded) this.saveCounters();
    }
    this.updatePending();
  }

  /** Writes this session's record; a fully confirmed one is removed. */
  private saveCounters(): void {
    const persistence = this.persistence;
    if (!persistence) return;
    const record: CounterRecord = {
      seq: this.localSeq,
      confirmed: this.confirmedSeq,
      changes: this.changeEnds.length
    };
    const write = writeCustom(
      persistence,
      this.counterKey,
      record.seq > record.confirmed ? JSON.stringify(record) : undefined
    );
    // A failed write only makes a later reload's count less exact.
    void write.catch(() => {});
  }

  private updatePending(): void {
    let edits = 0;
    let changes = 0;
    for (const pending of this.inherited.values()) {
      edits += pending.edits;
      changes += pending.changes;
    }
    this.setState({
      pendingEdits: edits + Math.max(0, this.localSeq - this.confirmedSeq),
      pendingChanges: changes + this.changeEnds.length
    });
  }

  private setState(patch: Partial<SyncState>): void {
    if (this.destroyed) return;
    const next = { ...this.state, ...patch };
    const changed = (Object.keys(patch) as (keyof SyncState)[]).some(
      (key) => next[key] !== this.state[key]
    );
    if (!changed) return;
    this.state = next;
    this.emit('status', [next]);
  }
}

/**
 * Closes after which reconnecting would only repeat the failure: the relay
 * refused our data (malformed, too large, not allowed), as opposed to a
 * network drop or a relay restart.
 */
export function isFinalClose(code: number): boolean {
  return (
    code === CLOSE.unsupportedData ||
    code === CLOSE.invalidPayload ||
    code === CLOSE.messageTooBig ||
    (code >= 4400 && code < 4500)
  );
}

function randomKey(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(9));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Every session's counter record in y-indexeddb's 'custom' store. */
async function readCounterRecords(
  persistence: IndexeddbPersistence
): Promise<Map<string, CounterRecord>> {
  const [custom] = idb.transact(persistence.db as IDBDatabase, ['custom'], 'readonly');
  const entries = (await idb.getAllKeysValues(custom)) as { k: unknown; v: unknown }[];
  const records = new Map<string, CounterRecord>();
  for (const { k, v } of entries) {
    if (typeof k !== 'string' || !k.startsWith(COUNTER_PREFIX)) continue;
    try {
      const record = JSON.parse(String(v)) as Partial<CounterRecord> | null;
      if (typeof record?.seq === 'number' && typeof record.confirmed === 'number') {
        const changes = typeof record.changes === 'number' ? record.changes : undefined;
        records.set(k, { seq: record.seq, confirmed: record.confirmed, changes });
      }
    } catch {
      // An unreadable record only makes the count less exact; it is skipped.
    }
  }
  return records;
}

/** The size of each entry in y-indexeddb's update log ('updates' is its store name). */
async function storedUpdateSizes(persistence: IndexeddbPersistence): Promise<number[]> {
  const [updates] = idb.transact(persistence.db as IDBDatabase, ['updates'], 'readonly');
  const values = (await idb.getAll(updates)) as unknown[];
  return values.map((value) => (value instanceof Uint8Array ? value.byteLength : 0));
}

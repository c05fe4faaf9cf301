/**
 * The relay core: rooms of Yjs documents, the y-websocket protocol, storage.
 * It knows no transport: `connect` takes anything that can send bytes and
 * close, so the ws server, tests and benchmarks drive it the same way.
 *
 * Invariants
 * - A connection's messages are handled strictly in order (one promise chain
 *   per connection), and none before its room has loaded: a first sync
 *   answer always contains the stored state.
 * - An update is stored before it is forwarded to anyone.
 * - Bad input closes only the connection that sent it; the room and the store
 *   are untouched. So does passing a limit (limits.ts, docs/limits.md).
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as authProtocol from 'y-protocols/auth';
import { CLOSE, MESSAGE } from '../../src/lib/model/protocol.js';
import { isValidRoomName } from '../../src/lib/model/rooms.js';
import { applySnapshot, type Store } from '../store/Store.js';
import { GroupCommit } from '../store/groupCommit.js';
import { consoleLogger, type Logger } from './logger.js';
import { addressKey, resolveLimits, TokenBucket, type RelayLimits } from './limits.js';
import {
  decodeAwarenessEntries,
  encodeAwarenessEntries,
  reviewAwarenessUpdate,
  type AwarenessEntry
} from './awarenessGuard.js';

/** Anything that can carry binary messages to one client. */
export interface Transport {
  send(data: Uint8Array): void;
  close(code: number, reason: string): void;
  /** Stops reading from the client (backpressure while its inbox is full). */
  pause?(): void;
  resume?(): void;
  /** Bytes sent but not yet taken by the client's network. */
  bufferedAmount?(): number;
}

/** What the relay knows about who is connecting, for access decisions. */
export interface ConnectionInfo {
  room: string;
  /** Request URL including the query string (where an invite token will travel). */
  url?: string;
  headers?: Record<string, string | string[] | undefined>;
  remoteAddress?: string;
  /** Who the connection acts as, decided at admission (absent when access is open). */
  principal?: { personId: string; role: string; kind: string; credentialId: string };
}

export interface Refusal {
  code: number;
  reason: string;
}

/**
 * An incoming update, decoded once by the relay: hooks read its structs
 * instead of decoding it again.
 */
export interface IncomingUpdate {
  /** The update as received (Yjs update encoding V1, the wire format). */
  data: Uint8Array;
  structs: ReturnType<typeof Y.decodeUpdate>['structs'];
  /** Its delete set. */
  ds: ReturnType<typeof Y.decodeUpdate>['ds'];
  /** The room's document before the update: read it, never change it. */
  doc(): Y.Doc;
}

/**
 * What happens to an incoming update: kept; dropped (read-only); the
 * connection closed; or, when it cannot be judged because it builds on
 * content the room lacks, not applied and the client asked for everything
 * the room is missing in one answer.
 */
export type UpdateDecision =
  | { action: 'accept' }
  | { action: 'drop'; reason: string }
  | { action: 'refuse'; reason: string }
  | { action: 'resync'; reason: string };

/**
 * Where access control plugs in; everything is allowed without hooks.
 * Admission itself happens at the websocket upgrade (attachRelay), before a
 * room is loaded; these see the decision it left in `info.principal`.
 */
export interface AccessHooks {
  /** Called once per connection before any of its messages is handled. */
  admit?(info: ConnectionInfo): Refusal | null | Promise<Refusal | null>;
  /** Called for every incoming update that decodes, before it is applied. */
  decideUpdate?(info: ConnectionInfo, room: string, update: IncomingUpdate): UpdateDecision;
}

export interface RelayOptions {
  store: Store;
  hooks?: AccessHooks;
  logger?: Logger;
  /** How long a room nobody is connected to stays in memory. */
  idleUnloadMs?: number;
  /** Log entries after which a room's log is compacted into a snapshot. */
  compactAfterUpdates?: number;
  /** Per-connection limits (rates, inbox, send buffer, awareness); see limits.ts. */
  limits?: Partial<RelayLimits>;
  /**
   * How long a loaded room must go without a change before its document is
   * kept encoded (0: never). Ten seconds: each pause longer than that costs
   * one encode and, at the next edit, one instantiation (a few ms for a
   * 2,000-word document); with 2 s, rooms edited about once a second paid
   * that often enough to cost 0.2x the reference's CPU per update in bench
   * part E (500 rooms x 2), while memory only matters for rooms idle much
   * longer: an idle room costs about a tenth (docs/limits.md).
   */
  encodeAfterQuietMs?: number;
}

export interface RelayConnection {
  /** Feed one incoming frame: bytes for binary, a string for a text frame. */
  receive(data: Uint8Array | string): void;
  /** The transport closed (by either side). */
  closed(): void;
}

export interface RelayStats {
  loadedRooms: number;
  connections: number;
  /** Loaded rooms whose document is kept encoded (no Y.Doc). */
  encodedRooms: number;
}

export interface InboxStats {
  /** Connections whose socket is not being read because their inbox is full. */
  pausedConnections: number;
  /** Messages received and not yet handled, over all connections. */
  queuedMessages: number;
}

/**
 * A room's document lives in one of two forms. Live: a Y.Doc, needed to apply
 * updates. Encoded: its whole state as one V2 update (a few times smaller
 * than the Y.Doc's heap), from which sync answers are computed without
 * instantiating it (Y.diffUpdateV2 against the client's state vector). A
 * room loads encoded when its store holds only a snapshot, turns live when
 * something touches `doc`, and goes back to encoded after a quiet period
 * (Relay.hibernateQuietRooms).
 */
/** The longest a room's quiet period grows to (Room.quietMs). */
const QUIET_MS_MAX = 60_000;
/** Encoding quiet rooms yields to the event loop after this much work. */
const ENCODE_SLICE_MS = 5;

class Room {
  private live: Y.Doc | null = new Y.Doc({ gc: true });
  /** The whole state, V2, while not live. */
  private encodedState: Uint8Array | null = null;
  /** The state vector of `encodedState`, computed once. */
  private encodedStateVector: Uint8Array | null = null;
  /** Its delete set, computed when first needed (most updates delete nothing). */
  private encodedDeleteSet: ReturnType<typeof Y.createDeleteSetFromStructStore> | null = null;
  /** Last time the document was changed or made live (ms since the epoch). */
  lastTouchedAt = Date.now();
  /** When it was last encoded (0: never). */
  private encodedAt = 0;
  /**
   * How long this room must be quiet before it is encoded. It starts at the
   * relay's setting and doubles (up to QUIET_MS_MAX) each time the room is
   * made live again soon after being encoded, so a room edited every few
   * seconds stops paying an encode and an instantiation per pause.
   */
  quietMs: number;
  /** Awareness needs a document only for a client id: a tiny one of its own. */
  readonly awareness = new awarenessProtocol.Awareness(new Y.Doc());
  readonly connections = new Set<Connection>();
  ready: Promise<void> = Promise.resolve();
  /** `ready` has resolved: messages can be handled without waiting for it. */
  loaded = false;
  /** Log ids appended since the last snapshot; the highest one bounds compaction. */
  logEntries = 0;
  lastLogId = 0;
  unloadTimer: ReturnType<typeof setTimeout> | null = null;
  /** Message chains of this room's connections not yet settled; unloading waits for them. */
  readonly inflight = new Set<Promise<void>>();
  /** Serialises compaction and unloading with each other. */
  maintenance: Promise<void> = Promise.resolve();
  /** A compaction is waiting in `maintenance` and has not started yet. */
  compactionQueued = false;
  /**
   * Settles once every append made in this room so far has settled, in the
   * order they were made (a store may finish batches out of order). A confirm
   * waits for it: what a client sent may be stored by another connection's
   * append (a second tab, a reconnected socket resending the same edit).
   */
  writes: Promise<void> = Promise.resolve();
  destroyed = false;
  /** The connection that announced each awareness client id; only it may change that presence. */
  readonly awarenessOwners = new Map<number, Connection>();

  constructor(
    readonly name: string,
    private readonly baseQuietMs: number
  ) {
    this.quietMs = baseQuietMs;
    // The relay's awareness has no state of its own: it only relays clients'.
    this.awareness.setLocalState(null);
  }

  /** The live document, instantiated from the encoded state if needed. */
  get doc(): Y.Doc {
    if (this.live) return this.live;
    // A discarded room's memory may disagree with the store: nothing may
    // read it, and above all no empty document may stand in for it.
    if (this.destroyed) throw new Error(`room ${this.name} was discarded`);
    const doc = new Y.Doc({ gc: true });
    if (this.encodedState) Y.applyUpdateV2(doc, this.encodedState);
    this.live = doc;
    this.encodedState = null;
    this.encodedStateVector = null;
    this.encodedDeleteSet = null;
    const now = Date.now();
    if (this.encodedAt > 0 && now - this.encodedAt < 4 * this.quietMs) {
      this.quietMs = Math.min(this.quietMs * 2, QUIET_MS_MAX);
    } else if (this.encodedAt > 0) {
      // Stayed encoded a good while: back to the relay's setting.
      this.quietMs = this.baseQuietMs;
    }
    this.lastTouchedAt = now;
    return doc;
  }

  /**
   * Whether an update holds anything an encoded room lacks: a struct past its
   * state vector or a deletion it does not have. Clients answer the relay's
   * sync step 1 with their whole delete set, so most such answers add
   * nothing and need no live document. False positives only cost an
   * instantiation.
   */
  encodedLacks(update: ReturnType<typeof Y.decodeUpdate>): boolean {
    const state = this.encodedState;
    const stateVector = this.encodedStateVector;
    if (this.live || !state || !stateVector) return true;
    if (update.structs.length > 0) {
      const known = Y.decodeStateVector(stateVector);
      for (const struct of update.structs) {
        if (struct.id.clock + struct.length > (known.get(struct.id.client) ?? 0)) return true;
      }
    }
    if (update.ds.clients.size === 0) return false;
    this.encodedDeleteSet ??= Y.decodeUpdateV2(state).ds;
    for (const [client, ranges] of update.ds.clients) {
      const have = this.encodedDeleteSet.clients.get(client);
      if (!have) return true;
      for (const range of ranges) {
        if (!covers(have, range.clock, range.len)) return true;
      }
    }
    return false;
  }

  /** The encoded state while not live, else null. */
  get encoded(): { state: Uint8Array; stateVector: Uint8Array } | null {
    if (this.live || !this.encodedState || !this.encodedStateVector) return null;
    return { state: this.encodedState, stateVector: this.encodedStateVector };
  }

  /**
   * Keeps the document as `state` (its whole state, V2) and drops the live
   * one. Without a live document or a stored state vector, reading the state
   * vector parses every struct, so a state that cannot be read throws here,
   * before anything is changed; a stored one is trusted, and damaged bytes
   * show when the first client asks (its connection closes; nothing is
   * overwritten, since only a live document is ever written back).
   */
  encode(state: Uint8Array, knownStateVector?: Uint8Array): void {
    // From the live document (cheap) or given; else read from the bytes.
    const stateVector =
      knownStateVector ??
      (this.live ? Y.encodeStateVector(this.live) : Y.encodeStateVectorFromUpdateV2(state));
    const deleteSet = this.live ? Y.createDeleteSetFromStructStore(this.live.store) : null;
    this.live?.destroy();
    this.live = null;
    this.encodedState = state;
    this.encodedStateVector = stateVector;
    this.encodedDeleteSet = deleteSet;
    this.encodedAt = Date.now();
  }

  /** Frees the document and the awareness, in whichever form. */
  destroyDocuments(): void {
    this.live?.destroy();
    this.live = null;
    this.encodedState = null;
    this.encodedStateVector = null;
    this.encodedDeleteSet = null;
    const awarenessDoc = this.awareness.doc;
    this.awareness.destroy();
    awarenessDoc.destroy();
  }
}

class Connection {
  chain: Promise<void>;
  /** Awareness client ids this connection has announced, removed when it leaves. */
  readonly awarenessIds = new Set<number>();
  /** The transport is open; replies are only sent while it is. */
  open = true;
  /**
   * The relay refused this connection: nothing more it sent is handled. A
   * connection that merely closed still has its already received updates
   * stored, so a client that sends and leaves at once loses nothing.
   */
  refused = false;
  /**
   * An update of this connection was dropped (outside its role). Its confirm
   * requests go unanswered from then on: confirmed means stored.
   */
  dropped = false;
  /**
   * An update of this connection was set aside because it builds on content
   * the room lacks, and the client was asked for everything missing: settled
   * by its answer (sync step 2). Confirms wait for it.
   */
  resync: { answered: Promise<void>; settle(): void } | null = null;
  /** Messages received and not yet handled (the inbox). */
  queued = 0;
  /** Links of `chain` not yet settled: while any is, messages wait their turn. */
  pending = 0;
  /** Reading from the transport is paused until the inbox drains. */
  paused = false;
  /** The client stopped reading: nothing more is sent while it is being closed. */
  slow = false;
  /**
   * The client asked for the room's state (sync step 1) and was sent it: only
   * from then on are updates forwarded to it. Every update applied before is
   * in that answer; forwarded as well, it would reach the client before the
   * state it builds on, and Yjs parks such updates and merges the parked set
   * again on every arrival (a client joining a room mid-burst took seconds).
   */
  caughtUp = false;
  readonly messageRate: TokenBucket;
  readonly byteRate: TokenBucket;

  constructor(
    readonly transport: Transport,
    readonly info: ConnectionInfo,
    readonly room: Room,
    private readonly limits: RelayLimits,
    private readonly onSlowReader: (connection: Connection, backlog: number) => void
  ) {
    this.chain = Promise.resolve();
    this.messageRate = new TokenBucket(limits.messagesPerSecond, limits.messageBurst);
    this.byteRate = new TokenBucket(limits.bytesPerSecond, limits.byteBurst);
  }

  send(data: Uint8Array): void {
    if (!this.open || this.slow) return;
    // Checked before sending, so one large message (a whole document) always
    // goes out; a client that leaves it unread is closed on the next one.
    const cap = this.limits.sendBufferMaxBytes;
    const backlog = cap > 0 ? (this.transport.bufferedAmount?.() ?? 0) : 0;
    if (backlog > cap) {
      this.slow = true;
      // Closed outside whatever loop is sending (a broadcast to the room).
      queueMicrotask(() => this.onSlowReader(this, backlog));
      return;
    }
    try {
      this.transport.send(data);
    } catch {
      // A send on a dying socket fails; its close event cleans up.
    }
  }
}

export class Relay {
  private readonly rooms = new Map<string, Room>();
  private readonly store: Store;
  /** Appends arriving together share one durable transaction. */
  readonly writes: GroupCommit;
  private readonly hooks: AccessHooks;
  private readonly logger: Logger;
  private readonly idleUnloadMs: number;
  private readonly compactAfterUpdates: number;
  private readonly limits: RelayLimits;
  private readonly encodeAfterQuietMs: number;
  private readonly quietSweep: ReturnType<typeof setInterval> | null = null;
  private encodingQuietRooms = false;
  private closing = false;

  constructor(options: RelayOptions) {
    this.store = options.store;
    this.writes = new GroupCommit(options.store);
    this.hooks = options.hooks ?? {};
    this.logger = options.logger ?? consoleLogger;
    this.idleUnloadMs = options.idleUnloadMs ?? 30_000;
    this.compactAfterUpdates = options.compactAfterUpdates ?? 500;
    this.limits = resolveLimits(options.limits);
    this.encodeAfterQuietMs = options.encodeAfterQuietMs ?? 10_000;
    if (this.encodeAfterQuietMs > 0) {
      // One sweep for all rooms rather than a timer reset on every update.
      this.quietSweep = setInterval(
        () => this.encodeQuietRooms(),
        Math.max(100, this.encodeAfterQuietMs / 2)
      );
      this.quietSweep.unref?.();
    }
  }

  stats(): RelayStats {
    let connections = 0;
    let encodedRooms = 0;
    for (const room of this.rooms.values()) {
      connections += room.connections.size;
      if (room.encoded) encodedRooms++;
    }
    return { loadedRooms: this.rooms.size, connections, encodedRooms };
  }

  /** Backpressure right now, for tests and diagnostics. */
  inboxStats(): InboxStats {
    let pausedConnections = 0;
    let queuedMessages = 0;
    for (const room of this.rooms.values()) {
      for (const connection of room.connections) {
        if (connection.paused) pausedConnections++;
        queuedMessages += connection.queued;
      }
    }
    return { pausedConnections, queuedMessages };
  }

  isLoaded(room: string): boolean {
    return this.rooms.has(room);
  }

  /** Rooms in memory, including those waiting to unload. */
  loadedRoomCount(): number {
    return this.rooms.size;
  }

  /** Starts serving one client in `info.room`. */
  connect(transport: Transport, info: ConnectionInfo): RelayConnection {
    if (this.closing) {
      transport.close(CLOSE.goingAway, 'the relay is shutting down');
      return { receive() {}, closed() {} };
    }
    if (!isValidRoomName(info.room)) {
      transport.close(CLOSE.invalidPayload, 'invalid room name');
      return { receive() {}, closed() {} };
    }
    const room = this.getRoom(info.room);
    // The connection keeps what it needs after admission, not the request's
    // URL (it carries the credential) or headers (cookies).
    const kept: ConnectionInfo = { ...info };
    delete kept.url;
    delete kept.headers;
    const connection = new Connection(transport, kept, room, this.limits, (slow, backlog) =>
      this.refuse(
        slow,
        CLOSE.tryAgainLater,
        `the client is not reading: ${backlog} bytes are waiting to be sent`
      )
    );
    room.connections.add(connection);
    if (room.unloadTimer) {
      clearTimeout(room.unloadTimer);
      room.unloadTimer = null;
    }

    const admitted = (async () => {
      const refusal = await this.hooks.admit?.(info);
      if (refusal) return this.refuse(connection, refusal.code, refusal.reason);
      await room.ready;
      if (!connection.open) return;
      // Like the reference server: start with sync step 1 and current awareness.
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE.sync);
      writeStateVector(encoder, room);
      connection.send(encoding.toUint8Array(encoder));
      const states = room.awareness.getStates();
      if (states.size > 0) {
        connection.send(awarenessMessage(room.awareness, [...states.keys()]));
      }
    })().catch((error) => this.fail(connection, error));
    this.enqueue(connection, admitted);

    return {
      receive: (data) => {
        if (!connection.open || connection.refused) return;
        if (!this.admitMessage(connection, data)) return;
        // Nothing of this connection is waiting and its room has loaded: the
        // message is handled at once, without a promise chain per message.
        if (connection.pending === 0 && room.loaded && !room.destroyed) {
          let waiting: void | Promise<void> = undefined;
          try {
            waiting = this.dispatch(connection, data);
          } catch (error) {
            this.fail(connection, error);
          }
          if (!waiting) return this.dequeued(connection);
          const rest = waiting
            .catch((error) => this.fail(connection, error))
            .finally(() => this.dequeued(connection));
          return this.enqueue(connection, rest);
        }
        const next = connection.chain
          .then(() => {
            if (connection.refused) return;
            return this.handleMessage(connection, data);
          })
          .catch((error) => this.fail(connection, error))
          .finally(() => this.dequeued(connection));
        this.enqueue(connection, next);
      },
      closed: () => this.disconnect(connection)
    };
  }

  /**
   * Rate limits and the inbox, checked as a message arrives: false when the
   * connection was closed for it. Above the high-water mark the transport
   * stops reading (the client's own socket buffers fill and it slows down);
   * a transport that cannot pause is closed at the hard cap instead.
   */
  private admitMessage(connection: Connection, data: Uint8Array | string): boolean {
    const limits = this.limits;
    if (!connection.messageRate.take(1)) {
      this.refuse(
        connection,
        CLOSE.tryAgainLater,
        `more than ${limits.messagesPerSecond} messages per second ` +
          `(after a burst of ${limits.messageBurst})`
      );
      return false;
    }
    const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
    if (!connection.byteRate.take(size)) {
      this.refuse(
        connection,
        CLOSE.tryAgainLater,
        `more than ${limits.bytesPerSecond} bytes per second (after a burst of ${limits.byteBurst})`
      );
      return false;
    }
    connection.queued++;
    const transport = connection.transport;
    if (transport.pause && transport.resume) {
      if (!connection.paused && connection.queued >= limits.inboxPauseMessages) {
        connection.paused = true;
        transport.pause();
        this.logger.debug('paused reading: inbox full', {
          room: connection.room.name,
          queued: connection.queued,
          remoteAddress: connection.info.remoteAddress
        });
      }
    } else if (limits.inboxMaxMessages > 0 && connection.queued > limits.inboxMaxMessages) {
      connection.queued--;
      this.refuse(
        connection,
        CLOSE.tryAgainLater,
        `more than ${limits.inboxMaxMessages} messages waiting to be handled`
      );
      return false;
    }
    return true;
  }

  private dequeued(connection: Connection): void {
    connection.queued--;
    if (connection.paused && connection.queued <= this.limits.inboxResumeMessages) {
      connection.paused = false;
      if (connection.open) connection.transport.resume?.();
    }
  }

  private enqueue(connection: Connection, chain: Promise<void>): void {
    const inflight = connection.room.inflight;
    connection.chain = chain;
    connection.pending++;
    inflight.add(chain);
    void chain.finally(() => {
      inflight.delete(chain);
      connection.pending--;
    });
  }

  /** Flushes every room to the store and closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.quietSweep) clearInterval(this.quietSweep);
    const rooms = [...this.rooms.values()];
    for (const room of rooms) {
      for (const connection of room.connections) {
        connection.transport.close(CLOSE.goingAway, 'the relay is shutting down');
        this.disconnect(connection, false);
      }
    }
    await Promise.all(rooms.map((room) => this.unload(room, true)));
  }

  private getRoom(name: string): Room {
    const existing = this.rooms.get(name);
    if (existing && !existing.destroyed) return existing;
    const room = new Room(name, this.encodeAfterQuietMs);
    this.rooms.set(name, room);
    room.ready = this.load(room).then(
      () => {
        room.loaded = true;
      },
      (error: unknown) => {
        // A room that failed to load is dropped, so the next connection tries
        // again instead of meeting the same rejected promise forever.
        this.discard(room, 'the relay could not load this document');
        throw error;
      }
    );
    room.awareness.on('update', this.onAwarenessUpdate(room));
    return room;
  }

  /**
   * Drops a room from memory without writing it, and closes its clients.
   * Used when memory and store may disagree (a failed append or load): the
   * clients still hold everything unconfirmed and resend it to a room
   * reloaded from the store, so the store ends up with it after all.
   */
  private discard(room: Room, reason: string): void {
    if (room.destroyed) return;
    room.destroyed = true;
    if (room.unloadTimer) clearTimeout(room.unloadTimer);
    room.unloadTimer = null;
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    for (const connection of [...room.connections]) {
      this.refuse(connection, CLOSE.internalError, reason);
    }
    room.destroyDocuments();
    this.logger.warn('room discarded', { room: room.name, reason });
  }

  private async load(room: Room): Promise<void> {
    const started = performance.now();
    const stored = await this.store.load(room.name);
    if (stored.snapshot && stored.updates.length === 0) {
      // Nothing to merge: serve the snapshot as it is until someone writes.
      try {
        if (stored.snapshotFormat === 2) room.encode(stored.snapshot, stored.snapshotStateVector);
        else room.encode(Y.convertUpdateFormatV1ToV2(stored.snapshot));
      } catch (error) {
        // A snapshot we cannot read is never overwritten automatically:
        // refuse to serve the room rather than replace it with less.
        throw new Error(
          `stored snapshot of room ${room.name} is unreadable: ${(error as Error).message}`
        );
      }
      this.logger.debug('room loaded', {
        room: room.name,
        encoded: true,
        ms: Math.round(performance.now() - started)
      });
      return;
    }
    const corrupt: number[] = [];
    Y.transact(
      room.doc,
      () => {
        if (stored.snapshot) {
          try {
            applySnapshot(room.doc, stored);
          } catch (error) {
            // A snapshot we cannot read is never overwritten automatically:
            // refuse to serve the room rather than replace it with less.
            throw new Error(
              `stored snapshot of room ${room.name} is unreadable: ${(error as Error).message}`
            );
          }
        }
        for (const update of stored.updates) {
          try {
            Y.applyUpdate(room.doc, update.data);
          } catch {
            corrupt.push(update.id);
          }
        }
      },
      this
    );
    if (corrupt.length > 0) {
      await this.store.quarantine(room.name, corrupt, 'could not be applied when loading');
      this.logger.warn('quarantined unreadable stored updates', { room: room.name, ids: corrupt });
    }
    const valid = stored.updates.filter((u) => !corrupt.includes(u.id));
    room.logEntries = valid.length;
    room.lastLogId = stored.updates.reduce((max, u) => Math.max(max, u.id), 0);
    this.logger.debug('room loaded', {
      room: room.name,
      logEntries: room.logEntries,
      ms: Math.round(performance.now() - started)
    });
    if (room.logEntries >= this.compactAfterUpdates) await this.compact(room);
  }

  /** A message that waited its turn: after the room has loaded. */
  private async handleMessage(connection: Connection, data: Uint8Array | string): Promise<void> {
    await connection.room.ready;
    if (connection.refused) return;
    return this.dispatch(connection, data);
  }

  /**
   * Decodes one message and handles it; returns a promise only for what must
   * wait (a confirm waits for the connection's appends).
   */
  private dispatch(connection: Connection, data: Uint8Array | string): void | Promise<void> {
    const room = connection.room;
    // Refused in turn, so the binary frames sent before it are still handled.
    if (typeof data === 'string') {
      return this.refuse(
        connection,
        CLOSE.unsupportedData,
        'text frames are not supported: send binary y-websocket messages'
      );
    }
    let messageType: number;
    const decoder = decoding.createDecoder(data);
    try {
      messageType = decoding.readVarUint(decoder);
    } catch {
      return this.refuse(connection, CLOSE.invalidPayload, 'malformed message: no message type');
    }
    switch (messageType) {
      case MESSAGE.sync:
        return this.handleSync(connection, decoder);
      case MESSAGE.awareness:
        return this.handleAwareness(connection, decoder);
      case MESSAGE.queryAwareness: {
        const states = room.awareness.getStates();
        connection.send(awarenessMessage(room.awareness, [...states.keys()]));
        return;
      }
      case MESSAGE.auth:
        // Reserved by y-protocols; access control uses the admission hook instead.
        return;
      case MESSAGE.confirm: {
        if (connection.dropped) return;
        let seq: number;
        try {
          seq = decoding.readVarUint(decoder);
        } catch {
          return this.refuse(connection, CLOSE.invalidPayload, 'malformed confirm message');
        }
        // Everything this connection sent earlier has been handled (messages
        // are handled in order); its appends may still be in the group commit.
        // An update set aside until the client resends it whole is covered
        // only once that answer is stored.
        const resync = connection.resync?.answered;
        const answer = () => {
          if (connection.dropped) return;
          // A failed append discards the room and refuses its connections.
          if (connection.refused || !connection.open) return;
          const encoder = encoding.createEncoder();
          encoding.writeVarUint(encoder, MESSAGE.confirm);
          encoding.writeVarUint(encoder, seq);
          connection.send(encoding.toUint8Array(encoder));
        };
        // Waiting for the client's answer must not hold up its messages: the
        // answer itself is one of them.
        if (resync) {
          void resync.then(() => room.writes).then(answer);
          return;
        }
        return room.writes.then(answer);
      }
      default:
        return this.refuse(connection, CLOSE.invalidPayload, `unknown message type ${messageType}`);
    }
  }

  /** An awareness update: validated whole (awarenessGuard.ts) before any of it is applied. */
  private handleAwareness(connection: Connection, decoder: decoding.Decoder): void {
    const room = connection.room;
    let entries: AwarenessEntry[];
    try {
      // applyAwarenessUpdate keeps the entries it read before failing, without
      // an event; those would outlive this connection, so read them all first.
      entries = decodeAwarenessEntries(decoding.readVarUint8Array(decoder));
    } catch {
      return this.refuse(connection, CLOSE.invalidPayload, 'malformed awareness message');
    }
    // Presence from a client already gone would never be removed.
    if (!connection.open) return;
    const review = reviewAwarenessUpdate(entries, {
      awareness: room.awareness,
      owners: room.awarenessOwners,
      self: connection,
      ownedBySelf: connection.awarenessIds.size,
      sameClient: (other) => sameClient(connection.info, other.info),
      maxStateBytes: this.limits.awarenessMaxBytes,
      maxClients: this.limits.awarenessMaxClients
    });
    if (!review.ok) return this.refuse(connection, CLOSE.policyViolation, review.reason);
    if (review.apply.length > 0) {
      awarenessProtocol.applyAwarenessUpdate(
        room.awareness,
        encodeAwarenessEntries(review.apply),
        connection
      );
    }
    for (const id of review.claimed) {
      room.awarenessOwners.set(id, connection);
      connection.awarenessIds.add(id);
    }
    for (const id of review.released) {
      room.awarenessOwners.delete(id);
      connection.awarenessIds.delete(id);
    }
  }

  private handleSync(connection: Connection, decoder: decoding.Decoder): void {
    const room = connection.room;
    let syncType: number;
    let payload: Uint8Array;
    try {
      syncType = decoding.readVarUint(decoder);
      payload = decoding.readVarUint8Array(decoder);
    } catch {
      return this.refuse(connection, CLOSE.invalidPayload, 'malformed sync message');
    }
    if (syncType === syncProtocol.messageYjsSyncStep1) {
      let stateVector: Map<number, number>;
      try {
        stateVector = Y.decodeStateVector(payload);
      } catch {
        return this.refuse(connection, CLOSE.invalidPayload, 'malformed state vector');
      }
      void stateVector;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE.sync);
      writeMissing(encoder, room, payload);
      connection.send(encoding.toUint8Array(encoder));
      connection.caughtUp = true;
      return;
    }
    if (
      syncType !== syncProtocol.messageYjsSyncStep2 &&
      syncType !== syncProtocol.messageYjsUpdate
    ) {
      return this.refuse(connection, CLOSE.invalidPayload, `unknown sync message type ${syncType}`);
    }
    const waiting = syncType === syncProtocol.messageYjsSyncStep2 ? connection.resync : null;
    this.applyIncomingUpdate(connection, payload, waiting !== null);
    // The answer to askForMissing: applied whole now, or dropped.
    if (waiting) {
      waiting.settle();
      if (connection.resync === waiting) connection.resync = null;
    }
  }

  /**
   * Applies an update to the room at once, in the connection's order, and
   * stores it in the group commit of this turn; it is forwarded only once
   * stored. The next message of the connection does not wait for the store,
   * so a burst from one client shares one transaction instead of taking one
   * turn of the event loop per update.
   */
  private applyIncomingUpdate(connection: Connection, update: Uint8Array, answer = false): void {
    const room = connection.room;
    let decoded: ReturnType<typeof Y.decodeUpdate>;
    try {
      // Decoding first rejects garbage before it can touch the room's document.
      decoded = Y.decodeUpdate(update);
    } catch {
      return this.refuse(connection, CLOSE.invalidPayload, 'update could not be decoded');
    }
    // Yjs never writes a struct of length 0. One is kept among the parked
    // structs, where it breaks the encoding of every later sync answer: new
    // clients would receive a document they cannot read (found by fuzz.test.ts).
    if (decoded.structs.some((struct) => struct.length === 0)) {
      return this.refuse(connection, CLOSE.invalidPayload, 'update contains an empty struct');
    }
    // What an encoded room already holds needs no live document, no decision
    // and no storing: the usual answer to the relay's own sync step 1.
    if (room.encoded && !room.encodedLacks(decoded)) return;
    // Decided before the update is applied, so the room's state vector read
    // on demand is what the room knew before it.
    const decision = this.hooks.decideUpdate?.(connection.info, room.name, {
      data: update,
      structs: decoded.structs,
      ds: decoded.ds,
      doc: () => room.doc
    });
    if (decision?.action === 'refuse') {
      return this.refuse(connection, CLOSE.forbidden, decision.reason);
    }
    if (decision?.action === 'drop') return this.dropUpdate(connection, update, decision.reason);
    if (decision?.action === 'resync') {
      return this.askForMissing(connection, update, decision.reason, answer);
    }

    // What actually changed: an update the room already has yields nothing to
    // store or forward (a reconnecting client resends much of what we hold).
    // Read from the transaction, not from an 'update' listener, so Yjs does
    // not encode the change again: what is stored and forwarded is the
    // client's own update.
    let applied = null as Y.Transaction | null;
    const observe = (transaction: Y.Transaction) => {
      if (transaction.origin === connection) applied = transaction;
    };
    const store = room.doc.store;
    const parkedBefore = [store.pendingStructs, store.pendingDs];
    room.doc.on('afterTransaction', observe);
    try {
      Y.applyUpdate(room.doc, update, connection);
    } catch {
      room.doc.off('afterTransaction', observe);
      this.refuse(connection, CLOSE.invalidPayload, 'update could not be applied');
      // Yjs can fail halfway, keeping what it integrated before (found by
      // fuzz.test.ts). Memory then holds what was never stored: reload the
      // room from the store, as after a failed append. A transaction that did
      // not even finish counts as half applied.
      const halfApplied =
        applied === null ||
        changedBy(applied) ||
        store.pendingStructs !== parkedBefore[0] ||
        store.pendingDs !== parkedBefore[1];
      if (halfApplied) this.discard(room, 'an update was half applied; reconnect to resync');
      return;
    } finally {
      room.doc.off('afterTransaction', observe);
    }
    // Yjs parks what depends on content the room has not seen yet (another
    // tab's edit that only travelled over BroadcastChannel, say) and applies
    // nothing of it. It must still be stored before a confirm says so, and
    // forwarded, since the others may hold what it depends on.
    const parked =
      (store.pendingStructs !== null && store.pendingStructs !== parkedBefore[0]) ||
      (store.pendingDs !== null && store.pendingDs !== parkedBefore[1]);
    if (!parked && applied !== null && !changedBy(applied)) return;
    room.lastTouchedAt = Date.now();
    // A failed append is logged and discards the room (its connections are
    // refused, so a waiting confirm sees that and stays unanswered).
    const written = this.storeAndForward(room, update, connection).catch(() => {});
    room.writes = room.writes.then(() => written);
    room.inflight.add(written);
    void written.finally(() => room.inflight.delete(written));
  }

  /**
   * Stores a change already applied to the room, then forwards it to every
   * connection but `from`. Appends resolve in the order they were made, so
   * forwards keep the order in which updates were applied. A failed append
   * discards the room: its clients resend what was not confirmed.
   */
  private async storeAndForward(
    room: Room,
    change: Uint8Array,
    from: Connection | null
  ): Promise<void> {
    try {
      const id = await this.writes.append(room.name, change);
      room.lastLogId = Math.max(room.lastLogId, id);
      room.logEntries++;
    } catch (error) {
      this.logger.error('store append failed', { room: room.name, error: String(error) });
      // The update is in memory but not stored: a confirm must never cover
      // it. Dropping the room makes every client resend it to a fresh one.
      this.discard(room, 'the relay could not store an update; reconnect to resend it');
      throw error;
    }
    if (room.destroyed) return;
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    syncProtocol.writeUpdate(encoder, change);
    const message = encoding.toUint8Array(encoder);
    for (const other of room.connections) {
      if (other !== from && other.caughtUp) other.send(message);
    }
    if (room.logEntries >= this.compactAfterUpdates && !room.compactionQueued) {
      // The log holds everything; a failed compaction is retried next time.
      await this.compact(room).catch((error: unknown) =>
        this.logger.error('compaction failed', { room: room.name, error: String(error) })
      );
    }
  }

  /**
   * A write outside the connection's role: neither stored nor forwarded. The
   * connection stays open and keeps receiving; the first time it sends
   * something new, it is told with the y-protocols auth message "permission
   * denied" (the published y-websocket client logs it; our app shows it).
   */
  private dropUpdate(connection: Connection, update: Uint8Array, reason: string): void {
    if (!hasNewContent(connection.room.doc, update)) return;
    if (connection.dropped) return;
    connection.dropped = true;
    this.logger.info('dropped a write outside the role', {
      room: connection.room.name,
      person: connection.info.principal?.personId,
      reason
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.auth);
    authProtocol.writePermissionDenied(encoder, reason);
    connection.send(encoding.toUint8Array(encoder));
  }

  /**
   * An update that builds on content the room lacks cannot be checked, and
   * Yjs would park it and integrate it later unchecked. It is not applied;
   * the client is sent the room's state vector (sync step 1), which every
   * y-websocket client answers with everything the room lacks, in one update
   * that can be checked whole. Its confirms wait for that answer. Updates
   * sent before the client read the request are in its answer too, and are
   * set aside the same way. An answer that still cannot be judged (the
   * client itself lacks what its edits build on) is dropped like a write
   * outside the role: its confirms stay unanswered.
   */
  private askForMissing(
    connection: Connection,
    update: Uint8Array,
    reason: string,
    answer: boolean
  ): void {
    if (answer) return this.dropUpdate(connection, update, `unresolvable: ${reason}`);
    if (connection.resync) return;
    let settle = () => {};
    const answered = new Promise<void>((resolve) => (settle = resolve));
    connection.resync = { answered, settle };
    this.logger.debug('asked a client for what an update builds on', {
      room: connection.room.name,
      reason
    });
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE.sync);
    writeStateVector(encoder, connection.room);
    connection.send(encoding.toUint8Array(encoder));
  }

  /**
   * Changes a room on the relay's own behalf (the member list written when an
   * invite is redeemed): loaded if needed, stored, then forwarded like any
   * update. The room unloads again when nobody is connected.
   */
  async change(roomName: string, mutate: (doc: Y.Doc) => void): Promise<void> {
    if (this.closing) throw new Error('the relay is shutting down');
    const room = this.getRoom(roomName);
    const pin = (async () => {
      await room.ready;
      const updates: Uint8Array[] = [];
      const capture = (u: Uint8Array, origin: unknown) => {
        if (origin === this) updates.push(u);
      };
      room.doc.on('update', capture);
      try {
        Y.transact(room.doc, () => mutate(room.doc), this);
      } finally {
        room.doc.off('update', capture);
      }
      if (updates.length === 0) return;
      room.lastTouchedAt = Date.now();
      const change = updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
      const written = this.storeAndForward(room, change, null);
      room.writes = room.writes.then(() => written.catch(() => {}));
      await written;
    })();
    room.inflight.add(pin);
    try {
      await pin;
    } finally {
      room.inflight.delete(pin);
      if (room.connections.size === 0 && !room.unloadTimer && !room.destroyed && !this.closing) {
        room.unloadTimer = setTimeout(() => {
          room.unloadTimer = null;
          if (!room.destroyed && room.connections.size === 0) void this.unload(room, false);
        }, this.idleUnloadMs);
        room.unloadTimer.unref?.();
      }
    }
  }

  /** Reads a room (loading it if needed) without changing it. */
  async read<T>(roomName: string, read: (doc: Y.Doc) => T): Promise<T> {
    let result!: T;
    await this.change(roomName, (doc) => {
      result = read(doc);
    });
    return result;
  }

  /** Closes every connection whose admission matches, e.g. a removed person's devices. */
  closeWhere(match: (info: ConnectionInfo) => boolean, code: number, reason: string): number {
    let closed = 0;
    for (const room of this.rooms.values()) {
      for (const connection of [...room.connections]) {
        if (match(connection.info)) {
          this.refuse(connection, code, reason);
          closed++;
        }
      }
    }
    return closed;
  }

  private onAwarenessUpdate(room: Room) {
    // Who owns which client id is kept by handleAwareness, not here.
    return ({
      added,
      updated,
      removed
    }: {
      added: number[];
      updated: number[];
      removed: number[];
    }) => {
      const changed = [...added, ...updated, ...removed];
      if (changed.length === 0) return;
      const message = awarenessMessage(room.awareness, changed);
      for (const connection of room.connections) connection.send(message);
    };
  }

  private async compact(room: Room): Promise<void> {
    const run = async () => {
      room.compactionQueued = false;
      // A discarded room is never written back: the store keeps what it had.
      if (room.logEntries === 0 || room.destroyed) return;
      // Everything appended so far is in the document: the snapshot covers
      // those entries; appends landing meanwhile stay in the log and count on.
      const throughId = room.lastLogId;
      const entries = room.logEntries;
      // An encoded room (quiet since its last appends) is written as it is.
      const encoded = room.encoded;
      // V2: about half the bytes of V1 for text-heavy documents.
      const snapshot = encoded ? encoded.state : Y.encodeStateAsUpdateV2(room.doc);
      // Stored beside it, so a cold start serves the snapshot without parsing it.
      const stateVector = encoded ? encoded.stateVector : Y.encodeStateVector(room.doc);
      await this.store.compact(room.name, snapshot, throughId, 2, stateVector);
      room.logEntries -= entries;
      this.logger.debug('room compacted', { room: room.name, bytes: snapshot.byteLength });
    };
    // Asked for many times while one waits (each append of a batch past the
    // threshold asks), it runs once.
    room.compactionQueued = true;
    room.maintenance = room.maintenance.then(run, run);
    await room.maintenance;
  }

  /**
   * Rooms that went without a change for their quiet period are kept
   * encoded. Memory only: the store already holds every update (in its log),
   * and the encoded bytes become the snapshot at the next compaction or
   * unload. The work is sliced so that many rooms going quiet together do
   * not hold up the messages of busy ones.
   */
  encodeQuietRooms(now = Date.now()): void {
    if (this.encodingQuietRooms || this.closing) return;
    const due = [...this.rooms.values()].filter((room) => this.isQuiet(room, now));
    if (due.length === 0) return;
    this.encodingQuietRooms = true;
    const slice = () => {
      const started = performance.now();
      while (due.length > 0 && performance.now() - started < ENCODE_SLICE_MS) {
        const room = due.pop()!;
        if (this.isQuiet(room, Date.now())) this.encodeRoom(room);
      }
      if (due.length > 0 && !this.closing) setImmediate(slice);
      else this.encodingQuietRooms = false;
    };
    slice();
  }

  private isQuiet(room: Room, now: number): boolean {
    return (
      !room.encoded &&
      !room.destroyed &&
      room.inflight.size === 0 &&
      !room.compactionQueued &&
      now - room.lastTouchedAt >= room.quietMs
    );
  }

  private encodeRoom(room: Room): void {
    try {
      const state = Y.encodeStateAsUpdateV2(room.doc);
      room.encode(state, Y.encodeStateVector(room.doc));
      this.logger.debug('room encoded', { room: room.name, bytes: state.byteLength });
    } catch (error) {
      this.logger.error('encoding a quiet room failed', {
        room: room.name,
        error: String(error)
      });
    }
  }

  private disconnect(connection: Connection, scheduleUnload = true): void {
    if (!connection.open) return;
    connection.open = false;
    connection.resync?.settle();
    if (connection.paused) {
      // A socket paused for a full inbox cannot read the client's half of
      // the close handshake: its close (and a relay's shutdown waiting for
      // it) would take the websocket's 30 s timeout. What it reads now is
      // ignored; what it had queued is still handled and stored.
      connection.paused = false;
      connection.transport.resume?.();
    }
    const room = connection.room;
    room.connections.delete(connection);
    if (connection.awarenessIds.size > 0) {
      for (const id of connection.awarenessIds) {
        if (room.awarenessOwners.get(id) === connection) room.awarenessOwners.delete(id);
      }
      awarenessProtocol.removeAwarenessStates(room.awareness, [...connection.awarenessIds], null);
    }
    if (scheduleUnload && room.connections.size === 0 && !this.closing) {
      if (room.unloadTimer) clearTimeout(room.unloadTimer);
      room.unloadTimer = setTimeout(() => {
        room.unloadTimer = null;
        if (!room.destroyed) void this.unload(room, false);
      }, this.idleUnloadMs);
      room.unloadTimer.unref?.();
    }
  }

  /** Flushes a room to the store and frees its memory. */
  private async unload(room: Room, force: boolean): Promise<void> {
    if (room.destroyed) return;
    if (room.unloadTimer) clearTimeout(room.unloadTimer);
    room.unloadTimer = null;
    try {
      await room.ready;
      // Messages received before the last client left are stored first; a
      // client that came and went during the flush is waited for too, so
      // nothing is still being handled when the room is destroyed below.
      do {
        while (room.inflight.size > 0) await Promise.allSettled([...room.inflight]);
        await this.compact(room);
      } while (room.inflight.size > 0 && !room.destroyed);
    } catch (error) {
      this.logger.error('flushing room failed', { room: room.name, error: String(error) });
      if (room.inflight.size > 0) return; // try again when the room is idle next
    }
    if (room.destroyed) return;
    if (!force && room.connections.size > 0) return; // someone came back meanwhile
    room.destroyed = true;
    if (room.unloadTimer) clearTimeout(room.unloadTimer);
    room.unloadTimer = null;
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    room.destroyDocuments();
    this.logger.debug('room unloaded', { room: room.name });
  }

  private refuse(connection: Connection, code: number, reason: string): void {
    connection.refused = true;
    if (!connection.open) return;
    this.logger.warn('closing connection', {
      room: connection.room.name,
      code,
      reason,
      remoteAddress: connection.info.remoteAddress
    });
    connection.transport.close(code, reason);
    this.disconnect(connection);
  }

  private fail(connection: Connection, error: unknown): void {
    this.logger.error('connection failed', {
      room: connection.room.name,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error)
    });
    this.refuse(connection, CLOSE.internalError, 'the relay could not load this document');
  }
}

/** Whether applying an update would add structs or deletions the document lacks. */
function hasNewContent(doc: Y.Doc, update: Uint8Array): boolean {
  const { structs, ds } = Y.decodeUpdate(update);
  const known = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const struct of structs) {
    if (struct.id.clock + struct.length > (known.get(struct.id.client) ?? 0)) return true;
  }
  if (ds.clients.size === 0) return false;
  const have = Y.createDeleteSetFromStructStore(doc.store);
  for (const [client, ranges] of ds.clients) {
    for (const range of ranges) {
      // A crafted range can be astronomically long: beyond a bound, call it new.
      if (range.len > 10_000) return true;
      for (let clock = range.clock; clock < range.clock + range.len; clock++) {
        if (!Y.isDeleted(have, new Y.ID(client, clock))) return true;
      }
    }
  }
  return false;
}

/** Sync step 1 from the relay: its state vector, from either form of the document. */
function writeStateVector(encoder: encoding.Encoder, room: Room): void {
  const encoded = room.encoded;
  if (!encoded) return syncProtocol.writeSyncStep1(encoder, room.doc);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, encoded.stateVector);
}

/**
 * Sync step 2: what a client with `stateVector` lacks, in the wire's V1
 * encoding. An encoded room answers from its bytes without becoming live.
 */
function writeMissing(encoder: encoding.Encoder, room: Room, stateVector: Uint8Array): void {
  const encoded = room.encoded;
  if (!encoded) return syncProtocol.writeSyncStep2(encoder, room.doc, stateVector);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
  // One pass from the V2 state to a V1 diff (the encoder is a typed
  // parameter of diffUpdateV2): half the work of diffing, then converting.
  encoding.writeVarUint8Array(
    encoder,
    Y.diffUpdateV2(encoded.state, stateVector, Y.UpdateDecoderV2, Y.UpdateEncoderV1)
  );
}

/**
 * Whether `ranges` (a delete set's sorted, merged ranges of one client)
 * cover [clock, clock + len).
 */
function covers(ranges: { clock: number; len: number }[], clock: number, len: number): boolean {
  let low = 0;
  let high = ranges.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const range = ranges[mid];
    if (range.clock > clock) high = mid - 1;
    else if (range.clock + range.len <= clock) low = mid + 1;
    else return clock + len <= range.clock + range.len;
  }
  return false;
}

/** Whether a transaction added content or deleted any (its delete set holds only new deletions). */
function changedBy(transaction: Y.Transaction): boolean {
  if (transaction.deleteSet.clients.size > 0) return true;
  if (transaction.afterState.size !== transaction.beforeState.size) return true;
  for (const [client, clock] of transaction.afterState) {
    if (transaction.beforeState.get(client) !== clock) return true;
  }
  return false;
}

function awarenessMessage(awareness: awarenessProtocol.Awareness, clients: number[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.awareness);
  encoding.writeVarUint8Array(encoder, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(encoder);
}

/**
 * Whether two connections are the same client, for awareness forwarded
 * between them (awarenessGuard.ts): the same person once admission names one,
 * otherwise the same remote address.
 */
function sameClient(a: ConnectionInfo, b: ConnectionInfo): boolean {
  if (a.principal || b.principal) {
    return a.principal !== undefined && a.principal.personId === b.principal?.personId;
  }
  return addressKey(a.remoteAddress) === addressKey(b.remoteAddress);
}

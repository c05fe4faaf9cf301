/**
 * A deterministic in-process network of Y.Docs, after yjs tests/testHelper.js:
 * every peer's updates go into per-link queues, and a seeded PRNG decides
 * which queued message is delivered next and which peers drop off the network
 * for a while. Nothing runs unless the test calls `deliverRandom`/`flush`, so a
 * seed replays exactly the same history.
 *
 * A peer holds one Y.Doc per room (the app keeps the workspace index and each
 * document in separate relay rooms). Going offline cuts every room at once, as
 * losing the network does. Messages are framed exactly as on the relay wire
 * (`MESSAGE.sync` + a y-protocols sync message), and a reconnecting peer does
 * the y-websocket handshake (sync step 1 both ways, each answered by step 2)
 * with every online peer, so the test exercises the same recovery path.
 *
 * The topology is a full mesh rather than a star through a relay: a relay is
 * one more replica that forwards, and a mesh gives more interleavings for the
 * same number of messages.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as prng from 'lib0/prng';
import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE } from '../../src/lib/model/protocol.js';

export type Prng = prng.PRNG;

/** What happens to a peer's own updates while it is offline. */
export type OfflineMode =
  /** Lost, as y-websocket does; the reconnect handshake must recover them. */
  | 'drop'
  /** Queued and sent after reconnecting, like an outbox; the handshake also runs. */
  | 'hold';

export interface NetworkOptions {
  peers: number;
  rooms: readonly string[];
  /** Yjs garbage collection of deleted content; both settings must converge. */
  gc?: boolean;
}

interface Envelope {
  room: string;
  data: Uint8Array;
}

export interface NetworkStats {
  delivered: number;
  /** Messages lost to a disconnect (in flight, or sent while offline in 'drop' mode). */
  dropped: number;
  reconnects: number;
}

export class TestPeer {
  online = true;
  offlineMode: OfflineMode = 'drop';
  /** Updates held while offline in 'hold' mode, in the order they were made. */
  readonly outbox: Envelope[] = [];
  readonly docs = new Map<string, Y.Doc>();

  constructor(readonly id: number) {}

  doc(room: string): Y.Doc {
    const doc = this.docs.get(room);
    if (!doc) throw new Error(`Peer ${this.id} has no room ${room}`);
    return doc;
  }
}

export class TestNetwork {
  readonly peers: TestPeer[] = [];
  readonly rooms: readonly string[];
  readonly stats: NetworkStats = { delivered: 0, dropped: 0, reconnects: 0 };
  /** Errors y-protocols reported while applying a message; a test asserts none. */
  readonly errors: unknown[] = [];
  /**
   * queues[to][from]: first in, first out per link, because a WebSocket
   * delivers in order; only the interleaving across links is random.
   */
  private readonly queues: Envelope[][][];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly gen: Prng,
    options: NetworkOptions
  ) {
    this.rooms = options.rooms;
    const clientIds = new Set<number>();
    for (let id = 0; id < options.peers; id++) {
      const peer = new TestPeer(id);
      for (const room of options.rooms) {
        const doc = new Y.Doc({ gc: options.gc ?? true });
        // Yjs breaks ties between concurrent edits by clientID, so a seed must
        // fix them; drawing them (rather than 0..n) varies who wins per seed.
        let clientId: number;
        do clientId = prng.uint32(gen, 1, 0x7fffffff);
        while (clientIds.has(clientId));
        clientIds.add(clientId);
        doc.clientID = clientId;
        const onUpdate = (update: Uint8Array, origin: unknown): void => {
          // Updates this network applied are not re-sent: in a full mesh the
          // author already sent them to everyone (y-websocket's `origin !== this`).
          if (origin === this) return;
          this.send(peer, room, encodeUpdate(update));
        };
        doc.on('update', onUpdate);
        this.cleanups.push(() => doc.off('update', onUpdate));
        peer.docs.set(room, doc);
      }
      this.peers.push(peer);
    }
    this.queues = this.peers.map(() => this.peers.map(() => []));
  }

  get onlinePeers(): TestPeer[] {
    return this.peers.filter((peer) => peer.online);
  }

  pendingMessages(): number {
    let count = 0;
    for (const row of this.queues) for (const queue of row) count += queue.length;
    return count;
  }

  /** Cuts a peer off; whatever is in flight to or from it is lost, as with a closed socket. */
  disconnect(peer: TestPeer, mode: OfflineMode): void {
    if (!peer.online) return;
    peer.online = false;
    peer.offlineMode = mode;
    for (const other of this.peers) {
      this.stats.dropped += this.queues[peer.id][other.id].length;
      this.stats.dropped += this.queues[other.id][peer.id].length;
      this.queues[peer.id][other.id] = [];
      this.queues[other.id][peer.id] = [];
    }
  }

  /** Brings a peer back: it sends its outbox, then handshakes with every online peer. */
  reconnect(peer: TestPeer): void {
    if (peer.online) return;
    peer.online = true;
    this.stats.reconnects++;
    const others = this.peers.filter((other) => other !== peer && other.online);
    for (const envelope of peer.outbox.splice(0)) {
      for (const other of others) this.enqueue(peer, other, envelope);
    }
    for (const other of others) {
      for (const room of this.rooms) {
        this.enqueue(peer, other, { room, data: encodeStep1(peer.doc(room)) });
        this.enqueue(other, peer, { room, data: encodeStep1(other.doc(room)) });
      }
    }
  }

  /** Delivers one message on a randomly chosen non-empty link; false when none is queued. */
  deliverRandom(): boolean {
    const links: [number, number][] = [];
    this.queues.forEach((row, to) =>
      row.forEach((queue, from) => {
        if (queue.length > 0) links.push([to, from]);
      })
    );
    if (links.length === 0) return false;
    const [to, from] = prng.oneOf(this.gen, links);
    const envelope = this.queues[to][from].shift();
    if (envelope) this.receive(this.peers[to], this.peers[from], envelope);
    return true;
  }

  /**
   * Reconnects everyone and delivers until no message is left. The bound only
   * turns a livelock (a reply loop) into a failure instead of a hung test.
   */
  flush(maxMessages = 1_000_000): void {
    for (const peer of this.peers) this.reconnect(peer);
    let delivered = 0;
    while (this.deliverRandom()) {
      if (++delivered > maxMessages) {
        throw new Error(`Network did not go quiet after ${maxMessages} messages`);
      }
    }
  }

  destroy(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    for (const peer of this.peers) for (const doc of peer.docs.values()) doc.destroy();
  }

  private send(peer: TestPeer, room: string, data: Uint8Array): void {
    if (!peer.online) {
      if (peer.offlineMode === 'hold') peer.outbox.push({ room, data });
      else this.stats.dropped++;
      return;
    }
    for (const other of this.peers) {
      if (other !== peer && other.online) this.enqueue(peer, other, { room, data });
    }
  }

  private enqueue(from: TestPeer, to: TestPeer, envelope: Envelope): void {
    this.queues[to.id][from.id].push(envelope);
  }

  private receive(to: TestPeer, from: TestPeer, envelope: Envelope): void {
    this.stats.delivered++;
    const decoder = decoding.createDecoder(envelope.data);
    const type = decoding.readVarUint(decoder);
    if (type !== MESSAGE.sync) throw new Error(`Unexpected message type ${type}`);
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MESSAGE.sync);
    syncProtocol.readSyncMessage(decoder, reply, to.doc(envelope.room), this, (error) =>
      this.errors.push(error)
    );
    // Only a step 1 writes an answer (its step 2) after the type byte.
    if (encoding.length(reply) > 1) {
      this.enqueue(to, from, { room: envelope.room, data: encoding.toUint8Array(reply) });
    }
  }
}

function encodeUpdate(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.sync);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

function encodeStep1(doc: Y.Doc): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE.sync);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** Fills `bytes` from the seeded PRNG, for code that takes an injectable random source. */
export function seededBytes(gen: Prng): (bytes: Uint8Array) => Uint8Array {
  return (bytes) => {
    for (let i = 0; i < bytes.length; i++) bytes[i] = prng.uint32(gen, 0, 255);
    return bytes;
  };
}

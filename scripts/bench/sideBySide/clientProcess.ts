/**
 * A client process of part E (forked by clients.ts): holds many published
 * clients of one relay and runs the workload it is told to over IPC. The
 * y-websocket 3.x WebsocketProvider speaks to ours and to the y-websocket
 * server, the Hocuspocus 3.x provider to Hocuspocus (its framing names the
 * document in every message); both over `ws`, one socket per client.
 *
 * Every timestamp is wallNow(), comparable across the processes.
 */
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { bodyText, getCorpus, takeParagraphs, writeDocument } from '../content.js';
import { applyPatch } from '../traces.js';
import { wallNow } from './clock.js';
import type { Target } from './relays.js';
import { fingerprint, loadTrace, traceText } from './trace.js';

interface Conn {
  doc: Y.Doc;
  room: string;
  /** What the connection is for, so one kind can be closed alone. */
  tag: string;
  /** Resolves with the time of the first sync (sync step 2 received). */
  synced: Promise<number>;
  destroy(): void;
}

let target: Target | null = null;
const everyone = new Set<Conn>();

// Every y-websocket provider adds a process 'exit' listener in Node.
process.setMaxListeners(0);

/**
 * A client of `room`. Without awareness, the client never sends a presence
 * state (the y-websocket client sends none while its local state is null;
 * the Hocuspocus provider is given no Awareness).
 */
function open(room: string, tag: string, doc = new Y.Doc(), awareness = true): Conn {
  if (!target) throw new Error('no target set');
  let resolveSynced: (at: number) => void = () => {};
  const synced = new Promise<number>((resolve) => (resolveSynced = resolve));
  let destroy: () => void;
  if (target.kind === 'ws') {
    const provider = new WebsocketProvider(target.url, room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true,
      params: target.token ? { token: target.token } : {},
      connect: false
    });
    if (!awareness) provider.awareness.setLocalState(null);
    provider.connect();
    const onSync = (state: boolean) => {
      if (!state) return;
      provider.off('sync', onSync);
      resolveSynced(wallNow());
    };
    provider.on('sync', onSync);
    destroy = () => provider.destroy();
  } else {
    const provider = new HocuspocusProvider({
      url: target.url,
      name: room,
      document: doc,
      WebSocketPolyfill: WebSocket,
      ...(awareness ? {} : { awareness: null })
    } as ConstructorParameters<typeof HocuspocusProvider>[0]);
    provider.on('synced', ({ state }: { state: boolean }) => {
      if (state) resolveSynced(wallNow());
    });
    destroy = () => provider.destroy();
  }
  const conn: Conn = {
    doc,
    room,
    tag,
    synced,
    destroy() {
      everyone.delete(conn);
      destroy();
      doc.destroy();
    }
  };
  everyone.add(conn);
  return conn;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    })
  ]);
}

async function inBatches<T>(
  items: T[],
  limit: number,
  job: (item: T, index: number) => Promise<void>
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await job(items[index], index);
      }
    })
  );
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

// ─── fan-out: every client appends "<sender>|<seq>|<sent at>\n" to a Y.Text ───

interface FanoutClient {
  id: string;
  conn: Conn;
  text: Y.Text;
}
let fanout: FanoutClient[] = [];
let latencies: number[] = [];
let received = 0;

async function fanoutConnect(args: {
  clients: { room: string; id: string }[];
  concurrency: number;
  timeoutMs: number;
  awareness: boolean;
}) {
  let failed = 0;
  await inBatches(args.clients, args.concurrency, async ({ room, id }) => {
    const conn = open(room, 'fanout', new Y.Doc(), args.awareness);
    const text = conn.doc.getText('fanout');
    text.observe((event) => {
      if (event.transaction.local) return;
      const at = wallNow();
      for (const op of event.delta) {
        if (typeof op.insert !== 'string') continue;
        for (const line of op.insert.split('\n')) {
          if (!line) continue;
          const [sender, , sentAt] = line.split('|');
          if (sender === id) continue;
          latencies.push(at - Number(sentAt));
          received++;
        }
      }
    });
    fanout.push({ id, conn, text });
    try {
      await withTimeout(conn.synced, args.timeoutMs, `sync of ${room}`);
    } catch {
      failed++;
    }
  });
  return { connected: fanout.length - failed, failed };
}

/** Each client sends `perClient` updates every `intervalMs`, phases spread evenly. */
async function fanoutRun(args: { startAt: number; intervalMs: number; perClient: number }) {
  let sent = 0;
  const count = fanout.length;
  await Promise.all(
    fanout.map(
      (client, index) =>
        new Promise<void>((resolve) => {
          let seq = 0;
          const phase = ((index * 0.618034) % 1) * args.intervalMs;
          const sendNext = () => {
            client.text.insert(client.text.length, `${client.id}|${seq}|${wallNow().toFixed(3)}\n`);
            sent++;
            seq++;
            if (seq >= args.perClient) return resolve();
            schedule();
          };
          const schedule = () => {
            const due = args.startAt + phase + seq * args.intervalMs;
            setTimeout(sendNext, Math.max(0, due - wallNow()));
          };
          if (count === 0 || args.perClient === 0) return resolve();
          schedule();
        })
    )
  );
  return { sent };
}

// ─── documents: write, read back, keep idle ───

async function writeDocs(args: {
  rooms: string[];
  words: number;
  offset: number;
  concurrency: number;
  timeoutMs: number;
}) {
  const corpus = getCorpus();
  const chars: number[] = [];
  const v1: number[] = [];
  const v2: number[] = [];
  let failed = 0;
  await inBatches(args.rooms, args.concurrency, async (room, i) => {
    const conn = open(room, 'writer');
    try {
      await withTimeout(conn.synced, args.timeoutMs, `sync of ${room}`);
    } catch {
      failed++;
      return;
    }
    const paragraphs = takeParagraphs(
      ((args.offset + i) * 37) % corpus.paragraphs.length,
      args.words
    );
    writeDocument(conn.doc, `Bench document ${args.offset + i}`, paragraphs);
    chars[i] = bodyText(conn.doc).length;
    v1[i] = Y.encodeStateAsUpdate(conn.doc).byteLength;
    v2[i] = Y.encodeStateAsUpdateV2(conn.doc).byteLength;
  });
  return { chars, v1, v2, failed };
}

/** Connects one reader per room and waits until it holds the written body. */
async function readDocs(args: {
  rooms: string[];
  chars: number[];
  concurrency: number;
  timeoutMs: number;
}) {
  let ok = 0;
  let failed = 0;
  const syncMs: number[] = [];
  await inBatches(args.rooms, args.concurrency, async (room, i) => {
    const started = wallNow();
    const conn = open(room, 'reader');
    const has = () => bodyText(conn.doc).length === args.chars[i];
    try {
      await withTimeout(
        new Promise<void>((resolve) => {
          const check = () => {
            if (!has()) return;
            conn.doc.off('update', check);
            resolve();
          };
          conn.doc.on('update', check);
          check();
        }),
        args.timeoutMs,
        `content of ${room}`
      );
      syncMs.push(wallNow() - started);
      ok++;
    } catch {
      failed++;
    }
  });
  return { ok, failed, syncMs };
}

function closeAll(args: { tag?: string } = {}) {
  for (const conn of [...everyone]) if (!args.tag || conn.tag === args.tag) conn.destroy();
  if (args.tag) return { open: everyone.size };
  fanout = [];
  latencies = [];
  received = 0;
  traceConn = null;
  return { open: everyone.size };
}

/** Connect, sync, leave: `count` times over `rooms`, `concurrency` at once. */
async function cycles(args: {
  rooms: string[];
  count: number;
  concurrency: number;
  timeoutMs: number;
}) {
  const times: number[] = [];
  let failed = 0;
  const indexes = Array.from({ length: args.count }, (_, i) => i);
  await inBatches(indexes, args.concurrency, async (i) => {
    const room = args.rooms[i % args.rooms.length];
    const started = wallNow();
    const conn = open(room, 'cycle');
    try {
      const at = await withTimeout(conn.synced, args.timeoutMs, `sync of ${room}`);
      times.push(at - started);
    } catch {
      failed++;
    }
    conn.destroy();
  });
  return { ok: times.length, failed, times: Float64Array.from(times) };
}

// ─── the editing trace: one sender, receivers and joiners ───

let traceConn: Conn | null = null;
let lastUpdateAt = 0;

function stateOf(doc: Y.Doc, clientID: number): number {
  return Y.getState(doc.store, clientID);
}

async function traceConnect(args: { room: string; timeoutMs: number }) {
  traceConn = open(args.room, 'receiver');
  traceConn.doc.on('update', () => (lastUpdateAt = wallNow()));
  await withTimeout(traceConn.synced, args.timeoutMs, `sync of ${args.room}`);
  return {};
}

/** Resolves when `doc` holds the sender's state up to `clock`, with the time it got there. */
function whenReached(doc: Y.Doc, clientID: number, clock: number, reachedBefore: () => number) {
  return new Promise<number>((resolve) => {
    if (stateOf(doc, clientID) >= clock) return resolve(reachedBefore());
    const check = () => {
      if (stateOf(doc, clientID) < clock) return;
      doc.off('update', check);
      resolve(wallNow());
    };
    doc.on('update', check);
  });
}

async function traceAwait(args: {
  clientID: number;
  clock: number;
  fingerprint: string;
  timeoutMs: number;
}) {
  const conn = traceConn;
  if (!conn) throw new Error('traceConnect first');
  const reachedAt = await withTimeout(
    whenReached(conn.doc, args.clientID, args.clock, () => lastUpdateAt),
    args.timeoutMs,
    'the receiver to hold the whole trace'
  );
  return { reachedAt, ok: fingerprint(traceText(conn.doc).toString()) === args.fingerprint };
}

/**
 * Types `count` edits of the trace into a fresh document, `batch` edits per
 * transaction (one update each), letting the socket write every `yieldEvery`
 * edits. Tells the parent (event "progress") once `notifyAt` edits are sent.
 */
async function traceSend(args: {
  room: string;
  count: number;
  batch: number;
  yieldEvery: number;
  notifyAt: number;
  timeoutMs: number;
}) {
  const { patches, source } = loadTrace();
  const edits = patches.slice(0, args.count);
  const conn = open(args.room, 'sender');
  await withTimeout(conn.synced, args.timeoutMs, `sync of ${args.room}`);
  const doc = conn.doc;
  let text: Y.XmlText | null = null;
  let firstSendAt = 0;
  // Taken right after each transaction (whose update the provider has just
  // handed to the socket), before any yield lets a reply in.
  let lastSendAt = 0;
  let notified = false;
  let sinceYield = 0;
  const started = wallNow();
  for (let i = 0; i < edits.length; i += args.batch) {
    if (i === 0) firstSendAt = wallNow();
    doc.transact(() => {
      text ??= traceText(doc);
      for (let j = i; j < Math.min(i + args.batch, edits.length); j++)
        applyPatch(text, edits[j], false);
    });
    lastSendAt = wallNow();
    sinceYield += args.batch;
    const sent = Math.min(i + args.batch, edits.length);
    if (!notified && sent >= args.notifyAt) {
      notified = true;
      process.send?.({ event: 'progress', data: { sent } });
    }
    if (sinceYield >= args.yieldEvery) {
      sinceYield = 0;
      await tick();
    }
  }
  const final = text ? (text as Y.XmlText).toString() : '';
  return {
    source,
    edits: edits.length,
    updates: Math.ceil(edits.length / args.batch),
    firstSendAt,
    lastSendAt,
    typingMs: lastSendAt - started,
    clientID: doc.clientID,
    clock: stateOf(doc, doc.clientID),
    fingerprint: fingerprint(final),
    chars: final.length,
    v1Bytes: Y.encodeStateAsUpdate(doc).byteLength,
    v2Bytes: Y.encodeStateAsUpdateV2(doc).byteLength
  };
}

/** A client that connects now: when it is synced, and when it holds the sender's state. */
async function join(args: {
  room: string;
  clientID: number;
  clock: number;
  fingerprint: string;
  timeoutMs: number;
}) {
  const connectAt = wallNow();
  const conn = open(args.room, 'joiner');
  const reached = whenReached(conn.doc, args.clientID, args.clock, () => wallNow());
  const syncedAt = await withTimeout(conn.synced, args.timeoutMs, `sync of ${args.room}`);
  const reachedAt = await withTimeout(reached, args.timeoutMs, 'the joiner to hold the trace');
  const ok = args.fingerprint
    ? fingerprint(traceText(conn.doc).toString()) === args.fingerprint
    : true;
  return { connectAt, syncedAt, reachedAt, ok };
}

// ─── IPC ───

const commands: Record<string, (args: never) => unknown> = {
  target: (args: Target) => {
    target = args;
    return {};
  },
  fanoutConnect,
  fanoutRun,
  fanoutStatus: () => ({ received }),
  fanoutReport: () => ({ received, latencies: Float64Array.from(latencies) }),
  writeDocs,
  readDocs,
  closeAll,
  cycles,
  traceConnect,
  traceAwait,
  traceSend,
  join,
  memory: () => process.memoryUsage()
};

process.on('message', (message: { id: number; cmd: string; args: unknown }) => {
  const run = commands[message.cmd];
  Promise.resolve()
    .then(() => {
      if (!run) throw new Error(`unknown command ${message.cmd}`);
      return run(message.args as never);
    })
    .then(
      (result) => process.send?.({ id: message.id, ok: true, result }),
      (error: unknown) =>
        process.send?.({
          id: message.id,
          ok: false,
          error: error instanceof Error ? error.message : String(error)
        })
    );
});

process.send?.({ event: 'ready' });

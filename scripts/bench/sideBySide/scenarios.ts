/**
 * The scenarios of part E. Each run starts one relay in a fresh process (so
 * its peak RSS is this scenario's), forks the client processes, measures,
 * and stops everything. A run returns plain numbers; summarize() turns the
 * runs of all rounds into one figure per key.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sleep } from '../util.js';
import { ClientProcess, stopAll } from './clients.js';
import { wallNow } from './clock.js';
import {
  cpuMsOf,
  runQueueWaitMs,
  startRelay,
  type RelayKind,
  type RunningRelay
} from './relays.js';
import { loadTrace } from './trace.js';

/** One run's measurements: scalars (median over rounds), counts (summed), samples (pooled). */
export interface RunResult {
  scalars: Record<string, number | null>;
  counts: Record<string, number>;
  samples: Record<string, number[]>;
}

export interface Sizes {
  scale: number;
  rounds: number;
  windowMs: number;
  clientProcs: number;
  idleDocs: number;
  idleWords: number;
  cycles: number;
  cycleRooms: number;
  cycleConcurrency: number;
  traceEdits: number;
  traceBatch: number;
  burstEdits: number;
  startSamples: number;
  drainMs: number;
  /** Whether fan-out clients publish a presence (awareness) state. */
  fanoutAwareness: boolean;
}

export interface Scenario {
  id: string;
  title(sizes: Sizes): string;
  /** What the run does, for the report. */
  describe(sizes: Sizes): string;
  run(kind: RelayKind, sizes: Sizes, round: number): Promise<RunResult>;
}

const empty = (): RunResult => ({ scalars: {}, counts: {}, samples: {} });

/** Median of a few VmRSS readings, `gapMs` apart. */
async function steadyRss(relay: RunningRelay, readings = 5, gapMs = 100): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < readings; i++) {
    values.push(relay.rssBytes());
    if (i < readings - 1) await sleep(gapMs);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(intervalMs);
  }
  return condition();
}

/** Splits `items` over `parts` lists, round robin. */
function deal<T>(items: T[], parts: number): T[][] {
  const out: T[][] = Array.from({ length: parts }, () => []);
  items.forEach((item, i) => out[i % parts].push(item));
  return out;
}

function roomName(scenario: string, round: number, index: number): string {
  return `main.doc.e-${scenario}-${round}-${index}`;
}

// ─── fan-out ───

function fanout(
  id: string,
  rooms: (s: Sizes) => number,
  perRoom: (s: Sizes) => number,
  rate: number
): Scenario {
  return {
    id,
    title: (s) => `fan-out: ${rooms(s)} room(s) × ${perRoom(s)} clients`,
    describe: (s) =>
      `${rooms(s)} room(s) × ${perRoom(s)} clients over ${s.clientProcs} client processes ` +
      `(a room's clients in different processes); together ${rate} updates/s for ` +
      `${(s.windowMs / 1000).toFixed(0)} s, each a line "<sender>|<seq>|<sent at>" appended ` +
      `to a Y.Text; latency = observed in another client − sent at.`,
    async run(kind, s, round) {
      const result = empty();
      const roomCount = rooms(s);
      const k = perRoom(s);
      const clients = roomCount * k;
      const relay = await startRelay(kind);
      const procs = await ClientProcess.startMany(s.clientProcs, `fanout-${kind}-`, relay.target);
      try {
        const lists: { room: string; id: string }[][] = procs.map(() => []);
        for (let r = 0; r < roomCount; r++) {
          for (let j = 0; j < k; j++) {
            lists[(r + j) % procs.length].push({ room: roomName(id, round, r), id: `c${r}-${j}` });
          }
        }
        const connectStarted = wallNow();
        const connected = await Promise.all(
          procs.map((p, i) =>
            p.call<{ connected: number; failed: number }>('fanoutConnect', {
              clients: lists[i],
              concurrency: 50,
              timeoutMs: 30_000,
              awareness: s.fanoutAwareness
            })
          )
        );
        result.scalars.connectAllMs = wallNow() - connectStarted;
        result.counts.connectFailed = connected.reduce((sum, c) => sum + c.failed, 0);
        // Let the connect-time awareness traffic pass before the window.
        await sleep(1000);
        const intervalMs = (clients * 1000) / rate;
        const perClient = Math.max(1, Math.round(s.windowMs / intervalMs));
        const clientCpu = () => procs.reduce((sum, p) => sum + cpuMsOf(p.pid), 0);
        const clientCpu0 = clientCpu();
        const clientWait = () => procs.reduce((sum, p) => sum + runQueueWaitMs(p.pid), 0);
        const clientWait0 = clientWait();
        const wait0 = relay.waitMs();
        const windowStart = wallNow();
        const cpu0 = relay.cpuMs();
        const startAt = wallNow() + 300;
        const sent = await Promise.all(
          procs.map((p) =>
            p.call<{ sent: number }>('fanoutRun', { startAt, intervalMs, perClient })
          )
        );
        const totalSent = sent.reduce((sum, x) => sum + x.sent, 0);
        const expected = totalSent * (k - 1);
        const lastSent = wallNow();
        let delivered = 0;
        await waitUntil(async () => {
          const status = await Promise.all(
            procs.map((p) => p.call<{ received: number }>('fanoutStatus'))
          );
          delivered = status.reduce((sum, x) => sum + x.received, 0);
          return delivered >= expected;
        }, s.drainMs);
        const cpuMs = relay.cpuMs() - cpu0;
        const windowMs = wallNow() - windowStart;
        // Shares of one core: a client process near 100% means the latencies are the clients'.
        result.scalars.relayBusy = cpuMs / windowMs;
        result.scalars.clientBusy = (clientCpu() - clientCpu0) / windowMs / procs.length;
        result.scalars.relayWaiting = (relay.waitMs() - wait0) / windowMs;
        result.scalars.clientWaiting = (clientWait() - clientWait0) / windowMs / procs.length;
        result.scalars.drainMs = wallNow() - lastSent;
        const reports = await Promise.all(
          procs.map((p) => p.call<{ received: number; latencies: Float64Array }>('fanoutReport'))
        );
        delivered = reports.reduce((sum, x) => sum + x.received, 0);
        result.counts.delivered = delivered;
        result.counts.expected = expected;
        result.counts.sent = totalSent;
        result.counts.cpuMs = cpuMs;
        result.samples.latency = reports.flatMap((r) => Array.from(r.latencies));
        result.scalars.cpuUsPerDelivery = delivered ? (cpuMs * 1000) / delivered : null;
        result.scalars.cpuUsPerSent = totalSent ? (cpuMs * 1000) / totalSent : null;
        result.scalars.peakRss = relay.peakRssBytes();
      } finally {
        await stopAll(procs);
        await relay.stop();
        rmSync(relay.dataDir, { recursive: true, force: true });
      }
      return result;
    }
  };
}

// ─── idle loaded documents ───

const idle: Scenario = {
  id: 'idle',
  title: (s) => `${s.idleDocs} idle loaded documents`,
  describe: (s) =>
    `${s.idleDocs} documents of ${s.idleWords} words (tiptap shape) written by one client each, ` +
    `read back by a second client each (in another process), writers then leave; the readers ` +
    `stay connected and idle. RSS per document = (VmRSS then − VmRSS before any client) / documents, ` +
    `so it includes one idle connection per document.`,
  async run(kind, s, round) {
    const result = empty();
    const relay = await startRelay(kind);
    const procs = await ClientProcess.startMany(s.clientProcs, `idle-${kind}-`, relay.target);
    try {
      await sleep(1000);
      const rss0 = await steadyRss(relay);
      const rooms = Array.from({ length: s.idleDocs }, (_, i) => roomName('idle', round, i));
      const dealt = deal(rooms, procs.length);
      const written = await Promise.all(
        procs.map((p, i) =>
          p.call<{ chars: number[]; v1: number[]; v2: number[]; failed: number }>('writeDocs', {
            rooms: dealt[i],
            words: s.idleWords,
            offset: i * 100_000,
            concurrency: 25,
            timeoutMs: 30_000
          })
        )
      );
      // Each process reads what the next one wrote.
      const read = await Promise.all(
        procs.map((p, i) => {
          const from = (i + 1) % procs.length;
          return p.call<{ ok: number; failed: number; syncMs: number[] }>('readDocs', {
            rooms: dealt[from],
            chars: written[from].chars,
            concurrency: 25,
            timeoutMs: 30_000
          });
        })
      );
      await Promise.all(procs.map((p) => p.call('closeAll', { tag: 'writer' })));
      await sleep(3000);
      const rss1 = await steadyRss(relay);
      const v1 = written.flatMap((w) => w.v1.filter((x) => x !== undefined && x !== null));
      const v2 = written.flatMap((w) => w.v2.filter((x) => x !== undefined && x !== null));
      const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
      result.counts.delivered = read.reduce((sum, r) => sum + r.ok, 0);
      result.counts.expected = s.idleDocs;
      result.samples.readMs = read.flatMap((r) => r.syncMs);
      result.scalars.rssBefore = rss0;
      result.scalars.rssLoaded = rss1;
      result.scalars.rssPerDoc = (rss1 - rss0) / s.idleDocs;
      result.scalars.v1PerDoc = mean(v1);
      result.scalars.v2PerDoc = mean(v2);
      result.scalars.perDocOverV2 = (rss1 - rss0) / s.idleDocs / mean(v2);
      result.scalars.peakRss = relay.peakRssBytes();
    } finally {
      await stopAll(procs);
      await relay.stop();
      rmSync(relay.dataDir, { recursive: true, force: true });
    }
    return result;
  }
};

// ─── connect / disconnect cycles ───

const cycles: Scenario = {
  id: 'cycles',
  title: (s) => `${s.cycles} connect / disconnect cycles`,
  describe: (s) =>
    `${s.cycles} cycles (connect, wait until synced, leave) over ${s.cycleRooms} stored ` +
    `200-word documents, ${s.cycleConcurrency} at a time in each of ${s.clientProcs} processes.`,
  async run(kind, s, round) {
    const result = empty();
    const relay = await startRelay(kind);
    const procs = await ClientProcess.startMany(s.clientProcs, `cycles-${kind}-`, relay.target);
    try {
      const rooms = Array.from({ length: s.cycleRooms }, (_, i) => roomName('cycles', round, i));
      const dealt = deal(rooms, procs.length);
      const written = await Promise.all(
        procs.map((p, i) =>
          p.call<{ chars: number[] }>('writeDocs', {
            rooms: dealt[i],
            words: 200,
            offset: i * 100_000,
            concurrency: 25,
            timeoutMs: 30_000
          })
        )
      );
      await Promise.all(
        procs.map((p, i) => {
          const from = (i + 1) % procs.length;
          return p.call('readDocs', {
            rooms: dealt[from],
            chars: written[from].chars,
            concurrency: 25,
            timeoutMs: 30_000
          });
        })
      );
      await Promise.all(procs.map((p) => p.call('closeAll')));
      await sleep(2500);
      const rss0 = await steadyRss(relay);
      const cpu0 = relay.cpuMs();
      const started = wallNow();
      const each = deal(
        Array.from({ length: s.cycles }, (_, i) => i),
        procs.length
      ).map((list) => list.length);
      const done = await Promise.all(
        procs.map((p, i) =>
          p.call<{ ok: number; failed: number; times: Float64Array }>('cycles', {
            rooms,
            count: each[i],
            concurrency: s.cycleConcurrency,
            timeoutMs: 15_000
          })
        )
      );
      const elapsed = wallNow() - started;
      const cpuMs = relay.cpuMs() - cpu0;
      await sleep(2500);
      const rss1 = await steadyRss(relay);
      const ok = done.reduce((sum, d) => sum + d.ok, 0);
      result.counts.delivered = ok;
      result.counts.expected = s.cycles;
      result.samples.cycleMs = done.flatMap((d) => Array.from(d.times));
      result.scalars.cyclesPerSecond = (ok * 1000) / elapsed;
      result.scalars.cpuMsPerCycle = ok ? cpuMs / ok : null;
      result.scalars.rssBefore = rss0;
      result.scalars.rssAfter = rss1;
      result.scalars.rssGrowth = rss1 - rss0;
      result.scalars.peakRss = relay.peakRssBytes();
    } finally {
      await stopAll(procs);
      await relay.stop();
      rmSync(relay.dataDir, { recursive: true, force: true });
    }
    return result;
  }
};

// ─── the trace in batches, then a cold start from the store ───

interface SendResult {
  source: string;
  edits: number;
  updates: number;
  firstSendAt: number;
  lastSendAt: number;
  typingMs: number;
  clientID: number;
  clock: number;
  fingerprint: string;
  chars: number;
  v1Bytes: number;
  v2Bytes: number;
}

interface JoinResult {
  connectAt: number;
  syncedAt: number;
  reachedAt: number;
  ok: boolean;
}

/** Blob bytes stored for `room` (tables with a room/name column are filtered by it). */
export function storedBytes(file: string, room: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    let total = 0;
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const { name } of tables) {
      const columns = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[];
      const key = columns.find((c) => ['room', 'name', 'doc', 'document'].includes(c.name));
      for (const column of columns) {
        const sql =
          `SELECT COALESCE(SUM(LENGTH("${column.name}")), 0) AS bytes FROM "${name}" ` +
          `WHERE typeof("${column.name}") = 'blob'` +
          (key ? ` AND "${key.name}" = ?` : '');
        const row = (key ? db.prepare(sql).get(room) : db.prepare(sql).get()) as { bytes: number };
        total += row.bytes;
      }
    }
    return total;
  } finally {
    db.close();
  }
}

/** The relay's database file(s): the main file plus any -wal / -shm left. */
function databaseFiles(dataDir: string): { main: string | null; bytes: number } {
  const names = readdirSync(dataDir).filter((n) => /\.sqlite(-wal|-shm|-journal)?$/.test(n));
  const main = names.find((n) => n.endsWith('.sqlite'));
  return {
    main: main ? join(dataDir, main) : null,
    bytes: names.reduce((sum, n) => sum + statSync(join(dataDir, n)).size, 0)
  };
}

const trace: Scenario = {
  id: 'trace',
  title: () => 'editing trace in batches; cold start from the store',
  describe: (s) =>
    `One client types the first ${s.traceEdits.toLocaleString('en-US')} edits of ${loadTrace().source} ` +
    `into body > paragraph > text, ${s.traceBatch} edits per transaction (one update each), ` +
    `while a second client (another process) receives. Both leave; after 3 s (Hocuspocus ` +
    `stores 2 s after the last change) the relay is stopped with SIGTERM and its store measured. ` +
    `Then it is started again on the same directory: spawn → answers HTTP, and a client ` +
    `(already running) connects as soon as it answers: connect → synced, spawn → it holds the whole text.`,
  async run(kind, s, round) {
    const result = empty();
    const room = roomName('trace', round, 0);
    let relay = await startRelay(kind);
    const [sender, receiver, cold] = await Promise.all([
      ClientProcess.start(`trace-send-${kind}`, relay.target),
      ClientProcess.start(`trace-recv-${kind}`, relay.target),
      ClientProcess.start(`trace-cold-${kind}`, relay.target)
    ]);
    const dataDir = relay.dataDir;
    try {
      await receiver.call('traceConnect', { room, timeoutMs: 30_000 });
      const cpu0 = relay.cpuMs();
      const sent = await sender.call<SendResult>('traceSend', {
        room,
        count: s.traceEdits,
        batch: s.traceBatch,
        yieldEvery: s.traceBatch * 10,
        notifyAt: Number.MAX_SAFE_INTEGER,
        timeoutMs: 30_000
      });
      const got = await receiver.call<{ reachedAt: number; ok: boolean }>('traceAwait', {
        clientID: sent.clientID,
        clock: sent.clock,
        fingerprint: sent.fingerprint,
        timeoutMs: 120_000
      });
      result.counts.cpuMs = relay.cpuMs() - cpu0;
      result.scalars.peakRss = relay.peakRssBytes();
      result.scalars.edits = sent.edits;
      result.scalars.updates = sent.updates;
      result.scalars.typingMs = sent.typingMs;
      result.scalars.firstToReceiverMs = got.reachedAt - sent.firstSendAt;
      result.scalars.lastToReceiverMs = got.reachedAt - sent.lastSendAt;
      result.scalars.chars = sent.chars;
      result.scalars.v1Bytes = sent.v1Bytes;
      result.scalars.v2Bytes = sent.v2Bytes;
      result.counts.delivered = got.ok ? 1 : 0;
      result.counts.expected = 1;
      await Promise.all([sender.call('closeAll'), receiver.call('closeAll')]);
      await sleep(3000);
      await relay.stop();
      if (!relay.info.durable) return result;

      const files = databaseFiles(dataDir);
      result.scalars.fileBytes = files.bytes;
      result.scalars.fileOverV2 = files.bytes / sent.v2Bytes;
      if (files.main) {
        const stored = storedBytes(files.main, room);
        result.scalars.storedBytes = stored;
        result.scalars.storedOverV2 = stored / sent.v2Bytes;
      }

      relay = await startRelay(kind, dataDir);
      await cold.call('target', relay.target);
      const joined = await cold.call<JoinResult>('join', {
        room,
        clientID: sent.clientID,
        clock: sent.clock,
        fingerprint: sent.fingerprint,
        timeoutMs: 60_000
      });
      result.scalars.coldSpawnToHttpMs = relay.answeredAt - relay.spawnedAt;
      result.scalars.coldConnectToSyncedMs = joined.syncedAt - joined.connectAt;
      result.scalars.coldConnectToTextMs = joined.reachedAt - joined.connectAt;
      result.scalars.coldSpawnToTextMs = joined.reachedAt - relay.spawnedAt;
      result.counts.delivered += joined.ok ? 1 : 0;
      result.counts.expected += 1;
    } finally {
      await stopAll([sender, receiver, cold]);
      await relay.stop();
      if (existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
    }
    return result;
  }
};

// ─── single-edit burst with a client joining mid-burst ───

const burst: Scenario = {
  id: 'burst',
  title: (s) => `${s.burstEdits} single-edit updates, a client joining mid-burst`,
  describe: (s) =>
    `One client sends the first ${s.burstEdits.toLocaleString('en-US')} edits of the trace as ` +
    `${s.burstEdits.toLocaleString('en-US')} updates (one transaction each, as fast as it can, ` +
    `yielding every 100) while a receiver is connected. A client in a third process connects ` +
    `when half are sent (connect → synced); a fresh client in a fourth connects right after ` +
    `the last send (last send → it holds the whole text).`,
  async run(kind, s, round) {
    const result = empty();
    const room = roomName('burst', round, 0);
    const relay = await startRelay(kind);
    const procs = await Promise.all(
      ['send', 'recv', 'mid', 'fresh'].map((n) =>
        ClientProcess.start(`burst-${n}-${kind}`, relay.target)
      )
    );
    const [sender, receiver, mid, fresh] = procs;
    try {
      await receiver.call('traceConnect', { room, timeoutMs: 30_000 });
      let midJoin: Promise<JoinResult> | null = null;
      sender.on('progress', () => {
        midJoin = mid.call<JoinResult>('join', {
          room,
          clientID: 0,
          clock: 0,
          fingerprint: '',
          timeoutMs: 120_000
        });
      });
      const cpu0 = relay.cpuMs();
      const wait0 = relay.waitMs();
      const burstStart = wallNow();
      const sent = await sender.call<SendResult>('traceSend', {
        room,
        count: s.burstEdits,
        batch: 1,
        yieldEvery: 100,
        notifyAt: Math.floor(s.burstEdits / 2),
        timeoutMs: 30_000
      });
      const target = {
        room,
        clientID: sent.clientID,
        clock: sent.clock,
        fingerprint: sent.fingerprint,
        timeoutMs: 120_000
      };
      const [freshJoin, got] = await Promise.all([
        fresh.call<JoinResult>('join', target),
        receiver.call<{ reachedAt: number; ok: boolean }>('traceAwait', target)
      ]);
      const joinedMid = midJoin ? await (midJoin as Promise<JoinResult>) : null;
      result.counts.cpuMs = relay.cpuMs() - cpu0;
      result.scalars.relayWaiting = (relay.waitMs() - wait0) / (wallNow() - burstStart);
      result.scalars.cpuUsPerUpdate = (result.counts.cpuMs * 1000) / sent.updates;
      result.scalars.peakRss = relay.peakRssBytes();
      result.scalars.typingMs = sent.typingMs;
      result.scalars.lastToReceiverMs = got.reachedAt - sent.lastSendAt;
      result.scalars.lastToFreshMs = freshJoin.reachedAt - sent.lastSendAt;
      result.scalars.freshConnectToSyncedMs = freshJoin.syncedAt - freshJoin.connectAt;
      result.scalars.midConnectToSyncedMs = joinedMid
        ? joinedMid.syncedAt - joinedMid.connectAt
        : null;
      result.counts.delivered = (got.ok ? 1 : 0) + (freshJoin.ok ? 1 : 0) + (joinedMid ? 1 : 0);
      result.counts.expected = 3;
    } finally {
      await stopAll(procs);
      await relay.stop();
      rmSync(relay.dataDir, { recursive: true, force: true });
    }
    return result;
  }
};

// ─── start ───

const start: Scenario = {
  id: 'start',
  title: () => 'start on an empty store; idle RSS',
  describe: (s) =>
    `${s.startSamples} starts per round on a fresh data directory: spawn → first HTTP answer ` +
    `(polled every 2 ms), then VmRSS 2 s later with no client.`,
  async run(kind, s) {
    const result = empty();
    result.samples.spawnToHttpMs = [];
    result.samples.idleRss = [];
    for (let i = 0; i < s.startSamples; i++) {
      const relay = await startRelay(kind);
      try {
        result.samples.spawnToHttpMs.push(relay.answeredAt - relay.spawnedAt);
        await sleep(2000);
        result.samples.idleRss.push(await steadyRss(relay));
      } finally {
        await relay.stop();
        rmSync(relay.dataDir, { recursive: true, force: true });
      }
    }
    return result;
  }
};

/**
 * Updates per second, all clients of a scenario together (BENCH_E_RATES
 * overrides the three). Low enough at 1 × 200 that the client processes,
 * which apply every copy, stay far from busy on a 2-core machine: at 50/s
 * they were the bottleneck and the latencies were theirs.
 */
const DEFAULT_RATES = [10, 400, 500];

export function scenarios(rates = DEFAULT_RATES): Scenario[] {
  const f1 = fanout(
    'fanout1',
    () => 1,
    (s) => Math.max(4, Math.round(200 * s.scale)),
    rates[0]
  );
  const f100 = fanout(
    'fanout100',
    (s) => Math.max(2, Math.round(100 * s.scale)),
    () => 4,
    rates[1]
  );
  const f500 = fanout(
    'fanout500',
    (s) => Math.max(2, Math.round(500 * s.scale)),
    () => 2,
    rates[2]
  );
  return [f1, f100, f500, idle, cycles, trace, burst, start];
}

/**
 * B. Convergence after offline editing through the real relay, and the
 * single-document cost of the full automerge-paper trace for comparison with
 * the published Yjs figures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { applySnapshot } from '../../server/store/Store.js';
import { startServer, type RunningServer } from '../../server/createServer.js';
import { silentLogger } from '../../server/relay/logger.js';
import { docRoom } from '../../src/lib/model/rooms.js';
import { getBody, initMeta } from '../../src/lib/model/schema.js';
import { connectClient, whenStored, whenSynced, wsUrlOf } from './client.js';
import { applyPatch, flatPatches, friendsTrace, paperTrace, type Patch } from './traces.js';
import {
  envInt,
  fmtBytes,
  fmtInt,
  fmtMs,
  median,
  progress,
  settledHeap,
  waitFor,
  type Row
} from './util.js';

const PART = 'B convergence';
const PART_TRACE = 'B full trace';

/** The one paragraph's text both replicas edit: tiptap shape, not a bare Y.Text. */
function sharedText(doc: Y.Doc): Y.XmlText | null {
  const paragraph = getBody(doc).get(0);
  if (!(paragraph instanceof Y.XmlElement)) return null;
  const text = paragraph.get(0);
  return text instanceof Y.XmlText ? text : null;
}

function sameVector(a: Y.Doc, b: Y.Doc): boolean {
  const va = Y.encodeStateVector(a);
  const vb = Y.encodeStateVector(b);
  return va.length === vb.length && va.every((byte, i) => byte === vb[i]);
}

/** The document as the relay has it stored: snapshot plus log, decoded. */
async function storedText(server: RunningServer, room: string): Promise<string | null> {
  const stored = await server.store.load(room);
  const doc = new Y.Doc();
  applySnapshot(doc, stored);
  for (const update of stored.updates) Y.applyUpdate(doc, update.data);
  const text = sharedText(doc)?.toString() ?? null;
  doc.destroy();
  return text;
}

interface RoundResult {
  applyAMs: number;
  applyBMs: number;
  offlineBytesA: number;
  offlineBytesB: number;
  syncedMs: number;
  convergedMs: number;
  storedMs: number;
  finalChars: number;
  encodedBytes: number;
}

async function round(
  server: RunningServer,
  room: string,
  editsA: Patch[],
  editsB: Patch[]
): Promise<RoundResult> {
  const wsUrl = wsUrlOf(server.url);
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  const a = connectClient(wsUrl, room, docA);
  const b = connectClient(wsUrl, room, docB);
  try {
    // A creates the document online; B receives it before both go offline.
    docA.transact(() => {
      initMeta(docA, {
        title: 'Convergence',
        kind: 'note',
        createdAt: Date.now(),
        createdBy: 'A'
      });
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText()]);
      getBody(docA).insert(0, [paragraph]);
    });
    await whenStored(a);
    await whenSynced(b);
    await waitFor(() => sharedText(docB) !== null, 'B to receive the paragraph');

    a.disconnect();
    b.disconnect();
    await waitFor(() => server.relay.stats().connections === 0, 'both clients to leave', {
      intervalMs: 2
    });
    const relayVectorA = Y.encodeStateVector(docA);
    const relayVectorB = Y.encodeStateVector(docB);

    const textA = sharedText(docA)!;
    const textB = sharedText(docB)!;
    let started = performance.now();
    for (const patch of editsA) applyPatch(textA, patch, true);
    const applyAMs = performance.now() - started;
    started = performance.now();
    for (const patch of editsB) applyPatch(textB, patch, true);
    const applyBMs = performance.now() - started;
    // What each side has to send the relay when it comes back.
    const offlineBytesA = Y.encodeStateAsUpdate(docA, relayVectorA).byteLength;
    const offlineBytesB = Y.encodeStateAsUpdate(docB, relayVectorB).byteLength;

    const reconnected = performance.now();
    a.connect();
    b.connect();
    await Promise.all([whenSynced(a), whenSynced(b)]);
    const syncedMs = performance.now() - reconnected;
    await waitFor(
      () => sameVector(docA, docB) && textA.toString() === textB.toString(),
      'A and B to converge',
      { timeoutMs: 60_000 }
    );
    const convergedMs = performance.now() - reconnected;
    const expected = textA.toString();
    // The relay stores before it forwards, so this should already hold.
    let storedNow = false;
    const deadline = Date.now() + 30_000;
    while (!storedNow) {
      storedNow = (await storedText(server, room)) === expected;
      if (!storedNow && Date.now() > deadline) throw new Error('relay did not store the merge');
      if (!storedNow) await new Promise((r) => setTimeout(r, 1));
    }
    const storedMs = performance.now() - reconnected;
    const updateA = Y.encodeStateAsUpdate(docA);
    const updateB = Y.encodeStateAsUpdate(docB);
    if (updateA.length !== updateB.length || !updateA.every((byte, i) => byte === updateB[i])) {
      // Same state must encode the same; say so rather than fail the bench.
      progress('B: note: replicas have equal text but differently encoded state');
    }
    return {
      applyAMs,
      applyBMs,
      offlineBytesA,
      offlineBytesB,
      syncedMs,
      convergedMs,
      storedMs,
      finalChars: expected.length,
      encodedBytes: updateA.byteLength
    };
  } finally {
    a.destroy();
    b.destroy();
    docA.destroy();
    docB.destroy();
  }
}

export async function runPartB(): Promise<Row[]> {
  const rows: Row[] = [];
  const paper = paperTrace();
  if (!('data' in paper)) {
    return [
      {
        part: PART,
        measure: 'skipped',
        value: '—',
        note: `no trace: ${paper.missing}`
      }
    ];
  }
  const editsPerSide = envInt('BENCH_OFFLINE_EDITS', 5000);
  const rounds = envInt('BENCH_ROUNDS', 5);
  const paperPatches = flatPatches(paper.data.txns);
  const editsA = paperPatches.slice(0, editsPerSide);
  const friends = friendsTrace();
  // B types something else: the two-person trace if present, otherwise a
  // different region of the paper (positions clamped to what B has).
  const editsB =
    'data' in friends
      ? flatPatches(friends.data.txns).slice(0, editsPerSide)
      : paperPatches.slice(100_000, 100_000 + editsPerSide);
  const sourceB = 'data' in friends ? 'friendsforever' : 'automerge-paper from edit 100,000';

  const dataDir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-b-'));
  const server = await startServer({
    // Sync mechanics only; admission is measured side by side (part E).
    insecureOpenAccess: true,
    port: 0,
    dataDir,
    logger: silentLogger,
    idleUnloadMs: 60_000
  });
  const results: RoundResult[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      progress(`B: offline round ${i + 1}/${rounds} (${editsPerSide} edits per side)`);
      results.push(await round(server, docRoom('main', `bench-b-${i}`), editsA, editsB));
    }
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const med = (pick: (r: RoundResult) => number) => median(results.map(pick));
  const spread = (pick: (r: RoundResult) => number) =>
    `runs: ${results.map((r) => fmtMs(pick(r))).join(', ')}`;
  rows.push(
    {
      part: PART,
      measure: 'offline edits A / B',
      value: `${fmtInt(editsA.length)} / ${fmtInt(editsB.length)}`,
      note: `A: automerge-paper from edit 0; B: ${sourceB}; median of ${rounds}`
    },
    {
      part: PART,
      measure: 'apply offline edits A / B',
      value: `${fmtMs(med((r) => r.applyAMs))} / ${fmtMs(med((r) => r.applyBMs))}`,
      note: 'one transaction per patch, into body > paragraph > text'
    },
    {
      part: PART,
      measure: 'bytes to send on reconnect A / B',
      value: `${fmtBytes(med((r) => r.offlineBytesA))} / ${fmtBytes(med((r) => r.offlineBytesB))}`
    },
    {
      part: PART,
      measure: 'reconnect → both providers synced',
      value: fmtMs(med((r) => r.syncedMs)),
      note: spread((r) => r.syncedMs)
    },
    {
      part: PART,
      measure: 'reconnect → replicas equal',
      value: fmtMs(med((r) => r.convergedMs)),
      note: spread((r) => r.convergedMs)
    },
    {
      part: PART,
      measure: 'reconnect → equal and stored by relay',
      value: fmtMs(med((r) => r.storedMs)),
      note: spread((r) => r.storedMs)
    },
    {
      part: PART,
      measure: 'merged document',
      value: `${fmtInt(med((r) => r.finalChars))} chars`,
      note: `encoded ${fmtBytes(med((r) => r.encodedBytes))}`
    }
  );

  progress(`B: applying the full automerge-paper trace (${fmtInt(paperPatches.length)} edits)`);
  rows.push(...(await fullTrace(paperPatches, paper.data.endContent)));
  return rows;
}

/** Like dmonad/crdt-benchmarks B4: every edit applied one by one to a Y.Text. */
async function fullTrace(patches: Patch[], endContent: string): Promise<Row[]> {
  const before = await settledHeap();
  const doc = new Y.Doc();
  const text = doc.getText('text');
  const started = performance.now();
  for (const patch of patches) applyPatch(text, patch, false);
  const applyMs = performance.now() - started;
  const correct = text.toString() === endContent;
  const held = await settledHeap();

  let t = performance.now();
  const v1 = Y.encodeStateAsUpdate(doc);
  const encodeV1Ms = performance.now() - t;
  t = performance.now();
  const v2 = Y.encodeStateAsUpdateV2(doc);
  const encodeV2Ms = performance.now() - t;
  t = performance.now();
  const fromV1 = new Y.Doc();
  Y.applyUpdate(fromV1, v1);
  const parseV1Ms = performance.now() - t;
  t = performance.now();
  const fromV2 = new Y.Doc();
  Y.applyUpdateV2(fromV2, v2);
  const parseV2Ms = performance.now() - t;
  const parsedOk =
    fromV1.getText('text').toString() === endContent &&
    fromV2.getText('text').toString() === endContent;
  fromV1.destroy();
  fromV2.destroy();
  const heldBytes = held.heapUsed - before.heapUsed;
  doc.destroy();

  return [
    {
      part: PART_TRACE,
      measure: 'apply all edits to one Y.Doc',
      value: fmtMs(applyMs),
      note: `${fmtInt(patches.length)} edits; ${correct ? 'text matches endContent' : 'TEXT MISMATCH'}; published 3.6–5.7 s`
    },
    {
      part: PART_TRACE,
      measure: 'encoded size V1 / V2',
      value: `${fmtBytes(v1.byteLength)} / ${fmtBytes(v2.byteLength)}`,
      note: `${fmtInt(v1.byteLength)} / ${fmtInt(v2.byteLength)} bytes; published ~311 KB / ~160 KB`
    },
    {
      part: PART_TRACE,
      measure: 'encode V1 / V2',
      value: `${fmtMs(encodeV1Ms)} / ${fmtMs(encodeV2Ms)}`
    },
    {
      part: PART_TRACE,
      measure: 'parse V1 / V2 into a new doc',
      value: `${fmtMs(parseV1Ms)} / ${fmtMs(parseV2Ms)}`,
      note: `${parsedOk ? 'round-trips' : 'ROUND-TRIP MISMATCH'}; published 40–160 ms`
    },
    {
      part: PART_TRACE,
      measure: 'heap held by the document',
      value: fmtBytes(heldBytes),
      note: 'after gc, doc alive; published ~3 MB'
    }
  ];
}

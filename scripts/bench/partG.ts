/**
 * G. What the ownership check costs (issue 14). For every update a writable
 * connection sends, the relay resolves each inserted item, overwritten entry
 * and deletion to its place and checks it against the room kind's write
 * policy (server/auth/updateWrites.ts, src/lib/model/writePolicy.ts).
 *
 * 1. That decision alone, per update, in this process: keystrokes (every
 *    tenth a deletion) into a 50,000-word document, and replies, reactions
 *    and edits in a comments room of 500 threads; beside it what applying
 *    the same update costs the relay anyway (Y.applyUpdate).
 * 2. A typing burst into the 50,000-word document through a real relay with
 *    access on (an editor's credential; every update checked), against the
 *    same burst through a relay with no checks at all (open access): time
 *    from the first keystroke to the relay's confirm that all are stored, and
 *    the process's CPU over it (relay and the one client share the process).
 *
 * Environment: BENCH_G_WORDS (50000), BENCH_G_KEYSTROKES (2000),
 * BENCH_G_THREADS (500), BENCH_G_ROUNDS (3, the burst's rounds per setting).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { startServer } from '../../server/createServer.js';
import { silentLogger } from '../../server/relay/logger.js';
import { writesOf } from '../../server/auth/updateWrites.js';
import { checkWrite, roomPolicy } from '../../src/lib/model/writePolicy.js';
import {
  addReply,
  createDocumentThread,
  editComment,
  getThreadsMap,
  toggleReaction
} from '../../src/lib/model/comments.js';
import { getBody } from '../../src/lib/model/schema.js';
import { docRoom } from '../../src/lib/model/rooms.js';
import { connectClient, whenStored, whenSynced, wsUrlOf } from './client.js';
import { countWords, takeParagraphs, writeDocument } from './content.js';
import { benchAccess, envInt, fmtMs, median, progress, type Row } from './util.js';
import { seededRandom } from '../../tests/support/random.js';

const PART = 'G ownership check';
const WRITER = 'bench';

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const fmtUs = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

/** Times the relay's decision and its apply for each update `next` makes on the client. */
function measureDecisions(
  client: Y.Doc,
  relay: Y.Doc,
  type: 'doc' | 'comments',
  count: number,
  next: (i: number) => void
): { decide: number[]; apply: number[]; refused: number } {
  const policy = roomPolicy(type)!;
  const decide: number[] = [];
  const apply: number[] = [];
  let refused = 0;
  let update: Uint8Array | null = null;
  const capture = (u: Uint8Array) => (update = u);
  client.on('update', capture);
  try {
    for (let i = 0; i < count; i++) {
      update = null;
      next(i);
      if (!update) continue;
      // The relay decodes every update whatever it decides; not counted.
      const decoded = Y.decodeUpdate(update);
      const started = performance.now();
      const result = writesOf(relay, decoded, policy);
      if (!result.ok || result.writes.some((w) => checkWrite(policy, WRITER, w) !== null)) {
        refused++;
      }
      decide.push(performance.now() - started);
      const applied = performance.now();
      Y.applyUpdate(relay, update);
      apply.push(performance.now() - applied);
    }
  } finally {
    client.off('update', capture);
  }
  return { decide, apply, refused };
}

function bigDocument(words: number): { doc: Y.Doc; words: number } {
  const doc = new Y.Doc();
  const paragraphs = takeParagraphs(0, words);
  writeDocument(doc, 'Ownership bench', paragraphs);
  return { doc, words: countWords(paragraphs) };
}

/** One keystroke: a character typed (or, every tenth, deleted) at a random place. */
function keystroke(doc: Y.Doc, random: () => number, i: number): void {
  const paragraphs = getBody(doc).toArray() as Y.XmlElement[];
  const paragraph = paragraphs[Math.floor(random() * paragraphs.length)];
  const text = paragraph.get(0) as Y.XmlText;
  const at = Math.floor(random() * text.length);
  if (i % 10 === 9 && text.length > 1) text.delete(at, 1);
  else text.insert(at, 'x');
}

export async function runPartG(): Promise<Row[]> {
  const words = envInt('BENCH_G_WORDS', 50_000);
  const keystrokes = envInt('BENCH_G_KEYSTROKES', 2000);
  const threads = envInt('BENCH_G_THREADS', 500);
  const rounds = Math.max(1, envInt('BENCH_G_ROUNDS', 3));
  const rows: Row[] = [];

  // 1. The decision alone.
  progress(`G: ${keystrokes} keystrokes into a ${words}-word document, decided in process`);
  const big = bigDocument(words);
  const relayDoc = new Y.Doc();
  Y.applyUpdate(relayDoc, Y.encodeStateAsUpdate(big.doc));
  const random = seededRandom(14);
  const typing = measureDecisions(big.doc, relayDoc, 'doc', keystrokes, (i) =>
    keystroke(big.doc, random, i)
  );
  rows.push(
    {
      part: PART,
      measure: `decision per keystroke, ${big.words.toLocaleString('en')}-word document (p50 / p99)`,
      value: `${fmtUs(median(typing.decide))} / ${fmtUs(percentile(typing.decide, 99))}`,
      note: `${typing.decide.length} updates (every tenth a deletion), ${typing.refused} refused; applying each costs ${fmtUs(median(typing.apply))} p50`
    },
    {
      part: PART,
      measure: 'decision / apply per keystroke (medians)',
      value: `${(median(typing.decide) / median(typing.apply)).toFixed(2)}×`,
      note: 'what the check adds to what the relay spends on the update anyway'
    }
  );

  progress(`G: replies, reactions and edits in a comments room of ${threads} threads`);
  const comments = new Y.Doc();
  for (let t = 0; t < threads; t++) {
    createDocumentThread(comments, {
      threadId: `t${t}`,
      commentId: `t${t}-c0`,
      purpose: 'review',
      title: `Thread ${t}`,
      author: WRITER,
      text: `Opening comment ${t}`,
      now: t + 1
    });
    for (let r = 1; r < 4; r++) {
      addReply(comments, `t${t}`, {
        commentId: `t${t}-c${r}`,
        author: WRITER,
        text: `Reply ${r}`,
        now: t + r + 1
      });
    }
  }
  const relayComments = new Y.Doc();
  Y.applyUpdate(relayComments, Y.encodeStateAsUpdate(comments));
  const pick = seededRandom(15);
  const ids = [...getThreadsMap(comments).keys()];
  const reviewing = measureDecisions(comments, relayComments, 'comments', keystrokes, (i) => {
    const thread = ids[Math.floor(pick() * ids.length)];
    if (i % 3 === 0) {
      addReply(comments, thread, {
        commentId: `n${i}`,
        author: WRITER,
        text: 'A reply',
        now: Date.now()
      });
    } else if (i % 3 === 1) {
      toggleReaction(comments, thread, `${thread}-c1`, WRITER, '👍', Date.now());
    } else {
      editComment(comments, thread, `${thread}-c0`, WRITER, `Edited ${i}`, Date.now());
    }
  });
  rows.push({
    part: PART,
    measure: `decision per comment-room update, ${threads} threads (p50 / p99)`,
    value: `${fmtUs(median(reviewing.decide))} / ${fmtUs(percentile(reviewing.decide, 99))}`,
    note: `${reviewing.decide.length} replies, reactions and edits, ${reviewing.refused} refused; applying each costs ${fmtUs(median(reviewing.apply))} p50`
  });

  // 2. A typing burst through a real relay, checked and not.
  const results: Record<'checked' | 'open', { ms: number[]; cpuMs: number[] }> = {
    checked: { ms: [], cpuMs: [] },
    open: { ms: [], cpuMs: [] }
  };
  for (let round = 0; round < rounds; round++) {
    for (const setting of round % 2 === 0
      ? (['checked', 'open'] as const)
      : (['open', 'checked'] as const)) {
      progress(`G: burst of ${keystrokes} keystrokes, ${setting}, round ${round + 1}/${rounds}`);
      const figure = await burst(setting === 'open', words, keystrokes);
      results[setting].ms.push(figure.ms);
      results[setting].cpuMs.push(figure.cpuMs);
    }
  }
  const checkedMs = median(results.checked.ms);
  const openMs = median(results.open.ms);
  const checkedCpu = median(results.checked.cpuMs);
  const openCpu = median(results.open.cpuMs);
  rows.push(
    {
      part: PART,
      measure: `typing burst, ${keystrokes} keystrokes into ${big.words.toLocaleString('en')} words: first key → all stored`,
      value: `${fmtMs(checkedMs)} checked, ${fmtMs(openMs)} open (${(checkedMs / openMs).toFixed(2)}×)`,
      note: `median of ${rounds} rounds each; relay in process, one y-websocket client`
    },
    {
      part: PART,
      measure: 'typing burst: process CPU per keystroke',
      value: `${fmtUs(checkedCpu / keystrokes)} checked, ${fmtUs(openCpu / keystrokes)} open (${(checkedCpu / openCpu).toFixed(2)}×)`,
      note: 'relay and client share the process; the open relay checks nothing at all (not even roles)'
    }
  );
  return rows;
}

/** Seeds the document through a fresh relay, then times a burst of keystrokes into it. */
async function burst(
  open: boolean,
  words: number,
  keystrokes: number
): Promise<{ ms: number; cpuMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-g-'));
  const params: Record<string, string> = open
    ? {}
    : { token: (await benchAccess(dataDir, WRITER)).credential };
  const server = await startServer({
    insecureOpenAccess: open,
    port: 0,
    dataDir,
    logger: silentLogger,
    // The burst's own rate; the peers in part E have no limits either.
    limits: { messagesPerSecond: 0, bytesPerSecond: 0 }
  } as Parameters<typeof startServer>[0]);
  const room = docRoom('main', 'bench-g');
  const doc = new Y.Doc();
  const provider = connectClient(wsUrlOf(server.url), room, doc, true, params);
  try {
    await whenSynced(provider);
    writeDocument(doc, 'Ownership bench', takeParagraphs(0, words));
    await whenStored(provider, 120_000);
    const random = seededRandom(16);
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < keystrokes; i++) keystroke(doc, random, i);
    await whenStored(provider, 120_000);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  } finally {
    provider.destroy();
    doc.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

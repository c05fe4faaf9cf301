/**
 * Comment threads under a seeded network (tests/support/testNetwork.ts): 3–4
 * reviewers each hold the document body and the document's comments room,
 * go offline for stretches, edit the body (including deleting an anchored
 * passage entirely), reply, react, resolve and reopen concurrently. After
 * every flush every device must read the same threads, byte for byte, and
 * every anchor must resolve to the same range and text.
 *
 * A failure names its seed; rerun just that one with
 *   COMMENTS_SEED=<seed> npx vitest run tests/unit/commentsConvergence.test.ts
 * and soak more seeds with COMMENTS_RUNS=<count>.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as prng from 'lib0/prng';
import { getSchema } from '@tiptap/core';
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap';
import { schemaExtensions } from '../../src/lib/editor/schemaExtensions.js';
import {
  anchorFromRange,
  resolveAnchorsHeadless,
  type AnchorRange
} from '../../src/lib/editor/commentAnchors.js';
import {
  addReply,
  buildQueue,
  createThread,
  deleteComment,
  editComment,
  readThread,
  readThreads,
  REACTIONS,
  setResolved,
  threadStatus,
  toggleReaction,
  writeOutcome,
  type Thread
} from '../../src/lib/model/comments.js';
import { getBody } from '../../src/lib/model/schema.js';
import { commentsRoom, docRoom } from '../../src/lib/model/rooms.js';
import { TestNetwork, type Prng, type TestPeer } from '../support/testNetwork.js';
import {
  fuzzSuite,
  runSchedule,
  scheduleTotals,
  seededRun,
  weightedOperations
} from '../support/convergenceFuzz.js';

const schema = getSchema(schemaExtensions());
const DOC_ID = 'reviewedDoc0001';
const DOC_ROOM = docRoom('main', DOC_ID);
const COMMENTS_ROOM = commentsRoom('main', DOC_ID);
const HOUR = 3_600_000;

/** 30 seeds × 150 operations: about two seconds. */
const suite = fuzzSuite({
  name: 'COMMENTS',
  file: 'tests/unit/commentsConvergence.test.ts',
  runs: 30,
  ops: 150
});

// ---------------------------------------------------------------------------
// The body: paragraphs of one unformatted text run each. Words stay in the
// Basic Multilingual Plane so no random cut splits a surrogate pair.

const WORDS = ['alpha', 'beta', 'gamma', 'délta', 'naïve', 'über', 'RFC', '東京', 'ok'];

function randomText(gen: Prng): string {
  const count = prng.int32(gen, 1, 3);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(prng.oneOf(gen, WORDS));
  return words.join(' ');
}

function paragraphJson(text: string) {
  return { type: 'paragraph', content: text ? [{ type: 'text', text }] : [] };
}

function newParagraph(text: string): Y.XmlElement {
  const block = new Y.XmlElement('paragraph');
  block.insert(0, [new Y.XmlText(text)]);
  return block;
}

interface Block {
  index: number;
  run: Y.XmlText;
  /** ProseMirror position of the paragraph's first character. */
  start: number;
}

/** The paragraphs with their text run and ProseMirror start position. */
function blocks(body: Y.XmlFragment): Block[] {
  const result: Block[] = [];
  let pos = 0;
  body.toArray().forEach((node, index) => {
    if (!(node instanceof Y.XmlElement)) return;
    let run = node.toArray().find((n): n is Y.XmlText => n instanceof Y.XmlText);
    if (!run) {
      run = new Y.XmlText();
      node.insert(0, [run]);
    }
    result.push({ index, run, start: pos + 1 });
    pos += run.length + 2;
  });
  return result;
}

function blockOf(body: Y.XmlFragment, range: { from: number; to: number }): Block | null {
  return (
    blocks(body).find(
      (b) => range.from >= b.start && range.to <= b.start + b.run.length && range.to > range.from
    ) ?? null
  );
}

function randomRangeIn(gen: Prng, block: Block): { from: number; to: number } | null {
  const length = block.run.length;
  if (length < 1) return null;
  const a = prng.int32(gen, 0, length);
  const b = prng.int32(gen, 0, length);
  if (a === b) return null;
  return { from: block.start + Math.min(a, b), to: block.start + Math.max(a, b) };
}

// ---------------------------------------------------------------------------
// Operations, each on the acting device's own replicas

interface FuzzContext {
  gen: Prng;
  now: number;
  ids: number;
  peerCount: number;
}

const personOf = (peer: TestPeer) => `person-${peer.id}`;

function nextId(ctx: FuzzContext, prefix: string, peer: TestPeer): string {
  return `${prefix}${peer.id}x${++ctx.ids}`;
}

function anchorOf(thread: Thread) {
  return { threadId: thread.id, anchorStart: thread.anchorStart, anchorEnd: thread.anchorEnd };
}

function threadsOf(peer: TestPeer): Thread[] {
  return readThreads(peer.doc(COMMENTS_ROOM));
}

function anchorRanges(peer: TestPeer): Map<string, { range: AnchorRange; text: string }> {
  return resolveAnchorsHeadless(getBody(peer.doc(DOC_ROOM)), schema, threadsOf(peer).map(anchorOf));
}

function randomAsk(ctx: FuzzContext, peer: TestPeer) {
  if (prng.int32(ctx.gen, 0, 2) !== 0) return null;
  const others = Array.from({ length: ctx.peerCount }, (_, i) => `person-${i}`).filter(
    (p) => p !== personOf(peer)
  );
  const assignees = others.filter(() => prng.bool(ctx.gen));
  if (assignees.length === 0) assignees.push(prng.oneOf(ctx.gen, others));
  return {
    assignees,
    replyBy: ctx.now + prng.int32(ctx.gen, 1, 48) * HOUR,
    preset: '24h' as const,
    askerZone: 'UTC'
  };
}

/** Starts a thread on a random passage of this device's body; null when none. */
function startThread(ctx: FuzzContext, peer: TestPeer): string | null {
  const body = getBody(peer.doc(DOC_ROOM));
  const candidates = blocks(body).filter((b) => b.run.length > 0);
  if (candidates.length === 0) return null;
  const range = randomRangeIn(ctx.gen, prng.oneOf(ctx.gen, candidates));
  return range ? startThreadAt(ctx, peer, range) : null;
}

function startThreadAt(
  ctx: FuzzContext,
  peer: TestPeer,
  range: { from: number; to: number }
): string | null {
  const anchor = anchorFromRange(getBody(peer.doc(DOC_ROOM)), schema, range.from, range.to);
  if (!anchor.quote.trim()) return null;
  const threadId = nextId(ctx, 't', peer);
  createThread(peer.doc(COMMENTS_ROOM), {
    threadId,
    commentId: nextId(ctx, 'c', peer),
    ...anchor,
    author: personOf(peer),
    text: `About "${anchor.quote}"?`,
    ask: randomAsk(ctx, peer),
    now: ctx.now
  });
  return threadId;
}

function deletePassage(peer: TestPeer, threadId: string): boolean {
  const body = getBody(peer.doc(DOC_ROOM));
  const range = anchorRanges(peer).get(threadId)?.range;
  if (!range) return false;
  const block = blockOf(body, range);
  if (!block) return false;
  block.run.delete(range.from - block.start, range.to - range.from);
  return true;
}

function pickThread(ctx: FuzzContext, peer: TestPeer): Thread | null {
  const threads = threadsOf(peer);
  return threads.length === 0 ? null : prng.oneOf(ctx.gen, threads);
}

const randomOperation = weightedOperations<FuzzContext>([
  [
    6,
    function typeText(ctx, peer) {
      const all = blocks(getBody(peer.doc(DOC_ROOM)));
      if (all.length === 0) return;
      const { run } = prng.oneOf(ctx.gen, all);
      run.insert(prng.int32(ctx.gen, 0, run.length), ` ${randomText(ctx.gen)}`);
    }
  ],
  [
    3,
    function deleteText(ctx, peer) {
      const all = blocks(getBody(peer.doc(DOC_ROOM)));
      if (all.length === 0) return;
      const block = prng.oneOf(ctx.gen, all);
      const range = randomRangeIn(ctx.gen, block);
      if (range) block.run.delete(range.from - block.start, Math.min(range.to - range.from, 6));
    }
  ],
  [
    1,
    function insertParagraph(ctx, peer) {
      const body = getBody(peer.doc(DOC_ROOM));
      body.insert(prng.int32(ctx.gen, 0, body.length), [newParagraph(randomText(ctx.gen))]);
    }
  ],
  [
    1,
    function deleteParagraph(ctx, peer) {
      const body = getBody(peer.doc(DOC_ROOM));
      if (body.length > 1) body.delete(prng.int32(ctx.gen, 0, body.length - 1), 1);
    }
  ],
  [
    2,
    function deleteAnchoredPassage(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (thread) deletePassage(peer, thread.id);
    }
  ],
  [
    2,
    function newThread(ctx, peer) {
      startThread(ctx, peer);
    }
  ],
  [
    5,
    function reply(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (!thread) return;
      addReply(peer.doc(COMMENTS_ROOM), thread.id, {
        commentId: nextId(ctx, 'c', peer),
        author: personOf(peer),
        text: randomText(ctx.gen),
        ask: randomAsk(ctx, peer),
        now: ctx.now
      });
    }
  ],
  [
    4,
    function react(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (!thread) return;
      const comment = prng.oneOf(ctx.gen, thread.comments);
      toggleReaction(
        peer.doc(COMMENTS_ROOM),
        thread.id,
        comment.id,
        personOf(peer),
        prng.oneOf(ctx.gen, [...REACTIONS.slice(0, 3)]),
        ctx.now
      );
    }
  ],
  [
    4,
    function resolveOrReopen(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (!thread) return;
      setResolved(peer.doc(COMMENTS_ROOM), thread.id, prng.bool(ctx.gen), personOf(peer), ctx.now);
    }
  ],
  [
    1,
    function outcome(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (!thread) return;
      writeOutcome(peer.doc(COMMENTS_ROOM), thread.id, {
        commentId: nextId(ctx, 'o', peer),
        author: personOf(peer),
        text: `Outcome: ${randomText(ctx.gen)}`,
        now: ctx.now
      });
    }
  ],
  [
    2,
    function editOrDeleteOwn(ctx, peer) {
      const thread = pickThread(ctx, peer);
      if (!thread) return;
      const own = thread.comments.filter(
        (c) => c.author === personOf(peer) && c.deletedAt === null
      );
      if (own.length === 0) return;
      const comment = prng.oneOf(ctx.gen, own);
      const doc = peer.doc(COMMENTS_ROOM);
      if (prng.bool(ctx.gen)) {
        editComment(doc, thread.id, comment.id, personOf(peer), randomText(ctx.gen), ctx.now);
      } else {
        deleteComment(doc, thread.id, comment.id, personOf(peer), ctx.now);
      }
    }
  ]
]);

// ---------------------------------------------------------------------------
// Comparison

/** readThreads as bytes: anchors included, so equal strings mean identical results. */
function threadsBytes(peer: TestPeer): string {
  return JSON.stringify(threadsOf(peer), (_key, value: unknown) =>
    value instanceof Uint8Array ? Array.from(value) : value
  );
}

function anchorsJson(peer: TestPeer) {
  return Object.fromEntries(anchorRanges(peer));
}

function rulesJson(ctx: FuzzContext, peer: TestPeer) {
  const threads = threadsOf(peer);
  return {
    status: threads.map((t) => [t.id, threadStatus(t, ctx.now)]),
    queues: Array.from({ length: ctx.peerCount }, (_, i) =>
      buildQueue([{ documentId: DOC_ID, threads }], `person-${i}`, ctx.now)
    )
  };
}

function assertConverged(ctx: FuzzContext, net: TestNetwork, where: string): void {
  expect(net.pendingMessages(), `${where}: network is quiet`).toBe(0);
  expect(net.errors, `${where}: no update failed to apply`).toEqual([]);
  const [first, ...rest] = net.peers;
  for (const peer of rest) {
    const pair = `${where}: device ${peer.id} vs device ${first.id}`;
    for (const room of net.rooms) {
      expect(
        Y.equalSnapshots(Y.snapshot(first.doc(room)), Y.snapshot(peer.doc(room))),
        `${pair}, ${room} snapshot`
      ).toBe(true);
    }
    expect(getBody(peer.doc(DOC_ROOM)).toString(), `${pair}, body`).toBe(
      getBody(first.doc(DOC_ROOM)).toString()
    );
    const mine = threadsBytes(peer);
    const theirs = threadsBytes(first);
    if (mine !== theirs) {
      expect(JSON.parse(mine), `${pair}, threads`).toEqual(JSON.parse(theirs));
    }
    expect(mine, `${pair}, threads byte for byte`).toBe(theirs);
    expect(anchorsJson(peer), `${pair}, anchors`).toEqual(anchorsJson(first));
    expect(rulesJson(ctx, peer), `${pair}, status and queues`).toEqual(rulesJson(ctx, first));
  }
  // On any device: a detached thread is still listed and still says what it was about.
  for (const peer of net.peers) {
    const anchors = anchorRanges(peer);
    for (const thread of threadsOf(peer)) {
      const resolved = anchors.get(thread.id);
      expect(resolved, `${where}: device ${peer.id} resolves ${thread.id}`).toBeDefined();
      expect(thread.quote, `${where}: ${thread.id} keeps its quote`).not.toBe('');
      if (resolved?.range === null) expect(resolved.text).toBe('');
    }
  }
}

// ---------------------------------------------------------------------------
// One run

interface RunStats {
  net: TestNetwork;
  detached: number;
  threads: number;
  replies: number;
}

function runSeed(seed: number, ops = suite.ops): RunStats {
  return seededRun(suite, seed, { peers: [3, 4], rooms: [DOC_ROOM, COMMENTS_ROOM] }, (run) => {
    const { gen, net, hint } = run;
    const ctx: FuzzContext = {
      gen,
      now: Date.UTC(2026, 5, 9, 9, 0),
      ids: 0,
      peerCount: net.peers.length
    };
    let detached = 0;

    // Device 0 writes the body; a few threads are started on it before anyone goes offline.
    prosemirrorJSONToYXmlFragment(
      schema,
      {
        type: 'doc',
        content: Array.from({ length: 3 }, () =>
          paragraphJson(`${randomText(gen)} ${randomText(gen)} ${randomText(gen)}`)
        )
      },
      getBody(net.peers[0].doc(DOC_ROOM))
    );
    net.flush();
    for (let i = 0; i < 3; i++) startThread(ctx, prng.oneOf(gen, net.peers));
    net.flush();
    assertConverged(ctx, net, `${hint}, start`);

    runSchedule(run, {
      ctx,
      ops,
      nextOperation: randomOperation,
      tick: () => (ctx.now += prng.int32(gen, 0, 1) * 60_000),
      offline: 5,
      online: 5,
      check: (where) => assertConverged(ctx, net, where)
    });

    // A passage deleted entirely, with nobody typing into it, is detached
    // everywhere, and its thread keeps its quote.
    const author = prng.oneOf(gen, net.peers);
    getBody(author.doc(DOC_ROOM)).insert(0, [newParagraph('a passage about to go')]);
    // "passage about": offsets 2..15 of the first paragraph, which starts at position 1.
    const fresh = startThreadAt(ctx, author, { from: 3, to: 16 });
    expect(fresh, `${hint}: the fresh thread was started`).not.toBeNull();
    net.flush();
    const targets = [...anchorRanges(net.peers[0])]
      .filter(([id, { range }]) => range && (id === fresh || prng.bool(gen)))
      .map(([id]) => id);
    const quotes = new Map(
      targets.map((id) => [id, readThread(author.doc(COMMENTS_ROOM), id)?.quote])
    );
    for (const id of targets) {
      const deleter = prng.oneOf(gen, net.peers);
      if (!deletePassage(deleter, id)) continue;
      net.flush();
      detached++;
      for (const peer of net.peers) {
        expect(anchorRanges(peer).get(id), `${hint}: ${id} detached on device ${peer.id}`).toEqual({
          range: null,
          text: ''
        });
        const thread = readThread(peer.doc(COMMENTS_ROOM), id);
        expect(thread?.quote, `${hint}: ${id} keeps its quote on device ${peer.id}`).toBe(
          quotes.get(id)
        );
        expect(thread?.quote).not.toBe('');
      }
    }
    assertConverged(ctx, net, `${hint}, after deleting passages`);

    const threads = threadsOf(net.peers[0]);
    return {
      net,
      detached,
      threads: threads.length,
      replies: threads.reduce((sum, t) => sum + t.comments.length - 1, 0)
    };
  });
}

describe('comment threads converge under a seeded network', () => {
  it.each(suite.seeds)('seed %i: every device reads the same threads and anchors', (seed) => {
    const { net, detached, threads, replies } = runSeed(seed);
    const hint = suite.hint(seed);
    expect(net.stats.delivered, `${hint}: messages delivered`).toBeGreaterThan(0);
    expect(threads, `${hint}: threads were started`).toBeGreaterThan(0);
    expect(replies, `${hint}: replies were written`).toBeGreaterThan(0);
    expect(detached, `${hint}: a passage was deleted entirely`).toBeGreaterThan(0);
    net.destroy();
  });

  it.skipIf(suite.rerunningOneSeed)('the schedule takes devices offline and drops messages', () => {
    const { reconnects, dropped } = scheduleTotals(runSeed);
    expect(reconnects).toBeGreaterThan(3);
    expect(dropped).toBeGreaterThan(3);
  });
});

// ---------------------------------------------------------------------------
// Deterministic cases

describe('concurrent review, case by case', () => {
  const T0 = Date.UTC(2026, 5, 9, 9, 0);

  function reviewers(seed: number) {
    const net = new TestNetwork(prng.create(seed), {
      peers: 3,
      rooms: [DOC_ROOM, COMMENTS_ROOM]
    });
    const [ana] = net.peers;
    const body = getBody(ana.doc(DOC_ROOM));
    prosemirrorJSONToYXmlFragment(
      schema,
      { type: 'doc', content: [paragraphJson('We ship the beta on Friday.')] },
      body
    );
    // "the beta": offsets 8..16 of the paragraph, which starts at position 1.
    const anchor = anchorFromRange(body, schema, 9, 17);
    createThread(ana.doc(COMMENTS_ROOM), {
      threadId: 'thread',
      commentId: 'open',
      ...anchor,
      author: 'person-0',
      text: 'Is this date realistic?',
      ask: {
        assignees: ['person-1', 'person-2'],
        replyBy: T0 + 24 * HOUR,
        preset: '24h',
        askerZone: 'UTC'
      },
      now: T0
    });
    net.flush();
    return net;
  }

  // Several seeds, so both delivery orders and both client-id orders come up.
  it.each([1, 2, 3, 4])(
    'seed %i: two disconnected reviewers reply; both replies, same order everywhere',
    (seed) => {
      const net = reviewers(seed);
      const [, bo, cy] = net.peers;
      net.disconnect(bo, 'drop');
      net.disconnect(cy, 'hold');
      addReply(bo.doc(COMMENTS_ROOM), 'thread', {
        commentId: 'from-bo',
        author: 'person-1',
        text: 'Friday works.',
        now: T0 + HOUR
      });
      addReply(cy.doc(COMMENTS_ROOM), 'thread', {
        commentId: 'from-cy',
        author: 'person-2',
        text: 'Monday is safer.',
        now: T0 + HOUR
      });
      net.flush();
      const orders = net.peers.map((peer) =>
        readThread(peer.doc(COMMENTS_ROOM), 'thread')?.comments.map((c) => c.id)
      );
      expect(orders[0]).toHaveLength(3);
      expect(orders[0]?.[0]).toBe('open');
      expect([...(orders[0] ?? [])].sort()).toEqual(['from-bo', 'from-cy', 'open']);
      for (const order of orders) expect(order).toEqual(orders[0]);
      for (const peer of net.peers) {
        const thread = readThread(peer.doc(COMMENTS_ROOM), 'thread');
        expect(thread && threadStatus(thread, T0 + 2 * HOUR)).toBe('answered');
      }
      net.destroy();
    }
  );

  it.each([1, 2, 3, 4])(
    'seed %i: concurrent resolve and reopen end as one whole value everywhere',
    (seed) => {
      const net = reviewers(seed);
      const [ana, bo, cy] = net.peers;
      setResolved(ana.doc(COMMENTS_ROOM), 'thread', true, 'person-0', T0 + HOUR);
      net.flush();
      net.disconnect(bo, 'drop');
      net.disconnect(cy, 'drop');
      setResolved(bo.doc(COMMENTS_ROOM), 'thread', false, 'person-1', T0 + 2 * HOUR);
      setResolved(cy.doc(COMMENTS_ROOM), 'thread', true, 'person-2', T0 + 3 * HOUR);
      net.flush();
      const resolutions = net.peers.map(
        (peer) => readThread(peer.doc(COMMENTS_ROOM), 'thread')?.resolution
      );
      for (const resolution of resolutions) expect(resolution).toEqual(resolutions[0]);
      expect([
        { resolved: false, at: T0 + 2 * HOUR, by: 'person-1' },
        { resolved: true, at: T0 + 3 * HOUR, by: 'person-2' }
      ]).toContainEqual(resolutions[0]);
      net.destroy();
    }
  );

  it('concurrent reactions from two people both land', () => {
    const net = reviewers(5);
    const [, bo, cy] = net.peers;
    net.disconnect(bo, 'drop');
    net.disconnect(cy, 'drop');
    toggleReaction(bo.doc(COMMENTS_ROOM), 'thread', 'open', 'person-1', '👍', T0);
    toggleReaction(cy.doc(COMMENTS_ROOM), 'thread', 'open', 'person-2', '👍', T0);
    toggleReaction(cy.doc(COMMENTS_ROOM), 'thread', 'open', 'person-2', '👀', T0);
    net.flush();
    for (const peer of net.peers) {
      expect(readThread(peer.doc(COMMENTS_ROOM), 'thread')?.comments[0].reactions).toEqual([
        { emoji: '👍', people: ['person-1', 'person-2'] },
        { emoji: '👀', people: ['person-2'] }
      ]);
    }
    net.destroy();
  });

  it('a passage deleted offline is detached on every device, its quote kept', () => {
    const net = reviewers(6);
    const [ana, bo] = net.peers;
    net.disconnect(bo, 'hold');
    // Bo deletes "the beta " offline while Ana types elsewhere in the paragraph.
    const boRun = (getBody(bo.doc(DOC_ROOM)).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    boRun.delete(8, 9);
    const anaRun = (getBody(ana.doc(DOC_ROOM)).get(0) as Y.XmlElement).get(0) as Y.XmlText;
    anaRun.insert(anaRun.length - 1, ' at noon');
    net.flush();
    for (const peer of net.peers) {
      const body = getBody(peer.doc(DOC_ROOM));
      expect(body.toString()).toContain('We ship on Friday at noon.');
      const thread = readThread(peer.doc(COMMENTS_ROOM), 'thread');
      expect(thread?.quote).toBe('the beta');
      const resolved = resolveAnchorsHeadless(body, schema, thread ? [anchorOf(thread)] : []);
      expect(resolved.get('thread')).toEqual({ range: null, text: '' });
    }
    net.destroy();
  });
});

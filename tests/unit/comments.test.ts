import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addReply,
  buildQueue,
  createDocumentThread,
  CommentError,
  createThread,
  deleteComment,
  editComment,
  exchangeCount,
  getThreadsMap,
  MAX_COMMENT_LENGTH,
  needsEscalation,
  outcomeOf,
  pendingAsks,
  readThread,
  readThreads,
  setResolved,
  settleOpenThreads,
  summarizeThreads,
  threadStatus,
  toggleReaction,
  validateAsk,
  validateText,
  writeOutcome,
  type Ask,
  type NewThread,
  type Thread
} from '../../src/lib/model/comments.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** When the threads are written; the rules are then read at later times. */
const T0 = Date.UTC(2026, 5, 9, 10, 0);

const ANCHOR = { anchorStart: new Uint8Array([1, 2, 3]), anchorEnd: new Uint8Array([4, 5, 6]) };

function newDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 1;
  return doc;
}

function ask(assignees: string[], replyBy: number): Ask {
  return { assignees, replyBy, preset: '24h', askerZone: 'Europe/Berlin' };
}

function start(doc: Y.Doc, overrides: Partial<NewThread> = {}): string {
  const init: NewThread = {
    threadId: 't1',
    commentId: 'c1',
    ...ANCHOR,
    quote: 'the passage',
    author: 'ana',
    text: 'Thoughts?',
    now: T0,
    ...overrides
  };
  createThread(doc, init);
  return init.threadId;
}

let replies = 0;
function reply(doc: Y.Doc, author: string, now = T0 + MINUTE, threadId = 't1', extra?: Ask) {
  const commentId = `r${++replies}`;
  addReply(doc, threadId, { commentId, author, text: `reply from ${author}`, now, ask: extra });
  return commentId;
}

function thread(doc: Y.Doc, id = 't1'): Thread {
  const read = readThread(doc, id);
  if (!read) throw new Error(`no thread ${id}`);
  return read;
}

/** The doc's whole state, to show that a refused call stored nothing. */
function state(doc: Y.Doc): number[] {
  return Array.from(Y.encodeStateAsUpdate(doc));
}

describe('creating threads and replies', () => {
  it('stores the thread with its anchor, quote, first comment and ask', () => {
    const doc = newDoc();
    start(doc, { text: '  Can you decide this?\r\n', ask: ask(['bo', 'bo', 'cy'], T0 + DAY) });
    const t = thread(doc);
    expect(t).toMatchObject({
      id: 't1',
      quote: 'the passage',
      createdAt: T0,
      createdBy: 'ana',
      resolution: null
    });
    expect(t.anchorStart).toEqual(ANCHOR.anchorStart);
    expect(t.anchorEnd).toEqual(ANCHOR.anchorEnd);
    expect(t.comments).toEqual([
      {
        id: 'c1',
        author: 'ana',
        text: 'Can you decide this?',
        createdAt: T0,
        editedAt: null,
        deletedAt: null,
        outcome: false,
        ask: {
          assignees: ['bo', 'cy'],
          replyBy: T0 + DAY,
          preset: '24h',
          askerZone: 'Europe/Berlin'
        },
        reactions: []
      }
    ]);
  });

  it('readThreads lists threads oldest first, ties by id', () => {
    const doc = newDoc();
    start(doc, { threadId: 'tb', now: T0 + 5 });
    start(doc, { threadId: 'tc', now: T0 });
    start(doc, { threadId: 'ta', now: T0 + 5 });
    expect(readThreads(doc).map((t) => t.id)).toEqual(['tc', 'ta', 'tb']);
  });

  it('refuses a second thread with the same id', () => {
    const doc = newDoc();
    start(doc);
    const before = state(doc);
    expect(() => start(doc, { text: 'again' })).toThrow(CommentError);
    expect(state(doc)).toEqual(before);
  });
});

describe('refused input stores nothing', () => {
  const tooLong = 'x'.repeat(MAX_COMMENT_LENGTH + 1);
  const refusals: [string, Partial<NewThread>, RegExp][] = [
    ['empty text', { text: '' }, /empty comment/],
    ['whitespace text', { text: ' \n\t \r\n ' }, /empty comment/],
    ['text over 10,000 characters', { text: tooLong }, /at most 10,000/],
    ['an ask with no person', { ask: ask([], T0 + DAY) }, /at least one person/],
    ['an ask with only empty ids', { ask: ask(['', ''], T0 + DAY) }, /at least one person/],
    ['a reply-by in the past', { ask: ask(['bo'], T0 - MINUTE) }, /already passed/],
    ['a reply-by of right now', { ask: ask(['bo'], T0) }, /already passed/],
    ['a reply-by that is not a time', { ask: ask(['bo'], Number.NaN) }, /Pick a reply-by/],
    ['an empty quote', { quote: '' }, /Select the passage/],
    ['a whitespace quote', { quote: '  \n' }, /Select the passage/]
  ];

  it.each(refusals)('createThread: %s', (_name, change, message) => {
    const doc = newDoc();
    start(doc, { threadId: 'existing' });
    const before = state(doc);
    let updates = 0;
    doc.on('update', () => updates++);
    expect(() => start(doc, change)).toThrow(CommentError);
    expect(() => start(doc, change)).toThrow(message);
    expect(updates).toBe(0);
    expect(state(doc)).toEqual(before);
    expect(readThread(doc, 't1')).toBeNull();
  });

  it.each(refusals.filter(([name]) => !name.includes('quote')))(
    'addReply: %s',
    (_name, change, message) => {
      const doc = newDoc();
      start(doc);
      const before = state(doc);
      expect(() =>
        addReply(doc, 't1', {
          commentId: 'r',
          author: 'bo',
          text: change.text ?? 'ok',
          ask: change.ask,
          now: T0
        })
      ).toThrow(message);
      expect(state(doc)).toEqual(before);
    }
  );

  it('a reply to a thread that is not on this device', () => {
    const doc = newDoc();
    const before = state(doc);
    expect(() => reply(doc, 'bo', T0, 'missing')).toThrow(CommentError);
    expect(state(doc)).toEqual(before);
  });

  it('10,000 characters is allowed, counted in code points', () => {
    expect(validateText('x'.repeat(MAX_COMMENT_LENGTH))).toHaveLength(MAX_COMMENT_LENGTH);
    const emoji = '🙂'.repeat(MAX_COMMENT_LENGTH);
    expect(validateText(emoji)).toBe(emoji);
    expect(() => validateText(emoji + '🙂')).toThrow(/10,001 characters/);
  });

  it('validateAsk drops duplicate and empty ids', () => {
    expect(validateAsk(ask(['bo', '', 'bo', 'cy'], T0 + 1), T0).assignees).toEqual(['bo', 'cy']);
  });
});

describe('thread status', () => {
  it('a thread without asks is open', () => {
    const doc = newDoc();
    start(doc);
    reply(doc, 'bo');
    expect(threadStatus(thread(doc), T0 + 10 * DAY)).toBe('open');
    expect(pendingAsks(thread(doc))).toEqual([]);
  });

  it('answered only when every asked person replied after the ask', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo', 'cy'], T0 + DAY) });
    expect(threadStatus(thread(doc), T0 + HOUR)).toBe('open');
    expect(pendingAsks(thread(doc))).toEqual([
      {
        commentId: 'c1',
        kind: 'answer',
        asker: 'ana',
        waitingOn: ['bo', 'cy'],
        replyBy: T0 + DAY,
        askedAt: T0
      }
    ]);
    reply(doc, 'bo');
    expect(threadStatus(thread(doc), T0 + HOUR)).toBe('open');
    expect(pendingAsks(thread(doc))[0].waitingOn).toEqual(['cy']);
    reply(doc, 'ana');
    expect(threadStatus(thread(doc), T0 + HOUR)).toBe('open');
    reply(doc, 'cy');
    expect(threadStatus(thread(doc), T0 + HOUR)).toBe('answered');
    // Answered stays answered after the reply-by passes.
    expect(threadStatus(thread(doc), T0 + 3 * DAY)).toBe('answered');
  });

  it('a reply written before the ask does not answer it', () => {
    const doc = newDoc();
    start(doc);
    reply(doc, 'bo');
    reply(doc, 'ana', T0 + 2 * MINUTE, 't1', ask(['bo'], T0 + DAY));
    expect(threadStatus(thread(doc), T0 + HOUR)).toBe('open');
    expect(pendingAsks(thread(doc))).toHaveLength(1);
  });

  it('overdue once the reply-by has passed with someone still to answer', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo', 'cy'], T0 + DAY) });
    reply(doc, 'bo');
    expect(threadStatus(thread(doc), T0 + DAY)).toBe('open');
    expect(threadStatus(thread(doc), T0 + DAY + 1)).toBe('overdue');
    reply(doc, 'cy', T0 + 2 * DAY);
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('answered');
  });

  it('a deleted reply does not count as an answer', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo'], T0 + DAY) });
    const answer = reply(doc, 'bo');
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('answered');
    deleteComment(doc, 't1', answer, 'bo', T0 + HOUR);
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('overdue');
    expect(pendingAsks(thread(doc))[0].waitingOn).toEqual(['bo']);
  });

  it('a deleted ask asks nothing', () => {
    const doc = newDoc();
    start(doc);
    const asked = reply(doc, 'ana', T0, 't1', ask(['bo'], T0 + DAY));
    deleteComment(doc, 't1', asked, 'ana', T0 + HOUR);
    expect(pendingAsks(thread(doc))).toEqual([]);
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('open');
  });

  it('resolving settles the asks; reopening brings them back', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo'], T0 + DAY) });
    setResolved(doc, 't1', true, 'ana', T0 + HOUR);
    expect(thread(doc).resolution).toEqual({ resolved: true, at: T0 + HOUR, by: 'ana' });
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('resolved');
    expect(pendingAsks(thread(doc))).toEqual([]);
    setResolved(doc, 't1', false, 'bo', T0 + 2 * HOUR);
    expect(thread(doc).resolution).toEqual({ resolved: false, at: T0 + 2 * HOUR, by: 'bo' });
    expect(threadStatus(thread(doc), T0 + 2 * DAY)).toBe('overdue');
  });
});

describe('escalation', () => {
  function conversation(authors: string[]): Y.Doc {
    const doc = newDoc();
    start(doc, { author: authors[0] });
    authors.slice(1).forEach((author, i) => reply(doc, author, T0 + (i + 1) * MINUTE));
    return doc;
  }

  it('exactly three exchanges: keep typing', () => {
    const doc = conversation(['ana', 'bo', 'ana', 'bo']);
    expect(exchangeCount(thread(doc))).toBe(3);
    expect(needsEscalation(thread(doc))).toBe(false);
  });

  it('four exchanges: suggest a call', () => {
    const doc = conversation(['ana', 'bo', 'ana', 'bo', 'ana']);
    expect(exchangeCount(thread(doc))).toBe(4);
    expect(needsEscalation(thread(doc))).toBe(true);
  });

  it('a resolved thread never needs escalation', () => {
    const doc = conversation(['ana', 'bo', 'ana', 'bo', 'ana', 'bo']);
    expect(needsEscalation(thread(doc))).toBe(true);
    setResolved(doc, 't1', true, 'bo', T0 + HOUR);
    expect(needsEscalation(thread(doc))).toBe(false);
  });

  it('only changes of hands count: follow-ups and deleted comments do not', () => {
    const doc = conversation(['ana', 'ana', 'bo', 'bo', 'bo', 'ana']);
    expect(exchangeCount(thread(doc))).toBe(2);
    const extra = reply(doc, 'cy');
    expect(exchangeCount(thread(doc))).toBe(3);
    deleteComment(doc, 't1', extra, 'cy', T0 + HOUR);
    expect(exchangeCount(thread(doc))).toBe(2);
  });
});

describe('writing the outcome', () => {
  it('adds the outcome, resolves the thread, and outcomeOf returns it', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo'], T0 + DAY) });
    reply(doc, 'bo');
    expect(outcomeOf(thread(doc))).toBeNull();
    writeOutcome(doc, 't1', {
      commentId: 'out',
      author: 'bo',
      text: 'Decided on the call: option B.',
      now: T0 + HOUR
    });
    const t = thread(doc);
    expect(t.resolution).toEqual({ resolved: true, at: T0 + HOUR, by: 'bo' });
    expect(threadStatus(t, T0 + 2 * DAY)).toBe('resolved');
    expect(outcomeOf(t)).toMatchObject({
      id: 'out',
      outcome: true,
      text: 'Decided on the call: option B.'
    });
    // The outcome does not count as another exchange.
    expect(exchangeCount(t)).toBe(1);
  });

  it('the latest outcome that is not deleted is the one shown', () => {
    const doc = newDoc();
    start(doc);
    writeOutcome(doc, 't1', { commentId: 'o1', author: 'ana', text: 'First', now: T0 + 1 });
    writeOutcome(doc, 't1', { commentId: 'o2', author: 'bo', text: 'Second', now: T0 + 2 });
    expect(outcomeOf(thread(doc))?.id).toBe('o2');
    deleteComment(doc, 't1', 'o2', 'bo', T0 + 3);
    expect(outcomeOf(thread(doc))?.id).toBe('o1');
  });

  it('an empty outcome is refused and stores nothing', () => {
    const doc = newDoc();
    start(doc);
    const before = state(doc);
    expect(() =>
      writeOutcome(doc, 't1', { commentId: 'o', author: 'ana', text: '  ', now: T0 })
    ).toThrow(CommentError);
    expect(state(doc)).toEqual(before);
    expect(thread(doc).resolution).toBeNull();
  });
});

describe('settling reviews when a decision is recorded', () => {
  function review(doc: Y.Doc, id: string, author: string, now: number) {
    createDocumentThread(doc, {
      threadId: id,
      commentId: `${id}-c`,
      purpose: 'review',
      title: 'Review: Relay regions',
      author,
      text: 'Please review.',
      ask: ask(['mia'], now + DAY),
      now
    });
  }

  it('resolves every open review, including one opened elsewhere while apart', () => {
    const ana = newDoc();
    const ravi = new Y.Doc();
    ravi.clientID = 2;
    review(ana, 'review-ana', 'ana', T0);
    review(ravi, 'review-ravi', 'ravi', T0 + MINUTE);
    start(ana, { threadId: 'passage', ask: ask(['bo'], T0 + DAY) });
    Y.applyUpdate(ana, Y.encodeStateAsUpdate(ravi));
    expect(settleOpenThreads(ana, 'review', 'ana', T0 + HOUR)).toBe(2);
    for (const id of ['review-ana', 'review-ravi'])
      expect(thread(ana, id).resolution).toEqual({ resolved: true, at: T0 + HOUR, by: 'ana' });
    // Threads of another purpose are left open.
    expect(thread(ana, 'passage').resolution ?? null).toBeNull();
  });

  it('leaves an already settled review as it was settled', () => {
    const doc = newDoc();
    review(doc, 'old', 'ana', T0);
    setResolved(doc, 'old', true, 'bo', T0 + MINUTE);
    expect(settleOpenThreads(doc, 'review', 'ana', T0 + HOUR)).toBe(0);
    expect(thread(doc, 'old').resolution).toEqual({ resolved: true, at: T0 + MINUTE, by: 'bo' });
  });
});

describe('editing and deleting', () => {
  it('the author can edit; editedAt is set', () => {
    const doc = newDoc();
    start(doc);
    editComment(doc, 't1', 'c1', 'ana', ' Thoughts, anyone? ', T0 + HOUR);
    expect(thread(doc).comments[0]).toMatchObject({
      text: 'Thoughts, anyone?',
      editedAt: T0 + HOUR
    });
  });

  it('an edit that changes nothing writes nothing', () => {
    const doc = newDoc();
    start(doc);
    const before = state(doc);
    editComment(doc, 't1', 'c1', 'ana', 'Thoughts?  ', T0 + HOUR);
    expect(state(doc)).toEqual(before);
  });

  it('nobody else can edit or delete', () => {
    const doc = newDoc();
    start(doc);
    const before = state(doc);
    expect(() => editComment(doc, 't1', 'c1', 'bo', 'Hijacked', T0 + HOUR)).toThrow(
      /Only the person who wrote/
    );
    expect(() => deleteComment(doc, 't1', 'c1', 'bo', T0 + HOUR)).toThrow(
      /Only the person who wrote/
    );
    expect(state(doc)).toEqual(before);
    expect(thread(doc).comments[0]).toMatchObject({ text: 'Thoughts?', deletedAt: null });
  });

  it('deleting keeps the record: deletedAt is set and the comment is still there', () => {
    const doc = newDoc();
    start(doc);
    const id = reply(doc, 'bo');
    deleteComment(doc, 't1', id, 'bo', T0 + HOUR);
    const t = thread(doc);
    expect(t.comments.map((c) => c.id)).toEqual(['c1', id]);
    expect(t.comments[1]).toMatchObject({ author: 'bo', deletedAt: T0 + HOUR });
    // A deleted comment can be neither edited nor deleted again.
    const before = state(doc);
    expect(() => editComment(doc, 't1', id, 'bo', 'again', T0 + 2 * HOUR)).toThrow(/deleted/);
    expect(() => deleteComment(doc, 't1', id, 'bo', T0 + 2 * HOUR)).toThrow(/deleted/);
    expect(state(doc)).toEqual(before);
  });

  it('a thread whose every comment was deleted is still listed', () => {
    const doc = newDoc();
    start(doc);
    deleteComment(doc, 't1', 'c1', 'ana', T0 + HOUR);
    expect(readThreads(doc).map((t) => t.id)).toEqual(['t1']);
  });
});

describe('reactions', () => {
  it('one per person per emoji; toggling again removes it', () => {
    const doc = newDoc();
    start(doc);
    expect(toggleReaction(doc, 't1', 'c1', 'bo', '👍', T0)).toBe(true);
    expect(toggleReaction(doc, 't1', 'c1', 'ana', '👍', T0)).toBe(true);
    expect(toggleReaction(doc, 't1', 'c1', 'bo', '🎉', T0)).toBe(true);
    expect(thread(doc).comments[0].reactions).toEqual([
      { emoji: '👍', people: ['ana', 'bo'] },
      { emoji: '🎉', people: ['bo'] }
    ]);
    expect(toggleReaction(doc, 't1', 'c1', 'bo', '👍', T0)).toBe(false);
    expect(thread(doc).comments[0].reactions).toEqual([
      { emoji: '👍', people: ['ana'] },
      { emoji: '🎉', people: ['bo'] }
    ]);
    expect(toggleReaction(doc, 't1', 'c1', 'ana', '👍', T0)).toBe(false);
    expect(thread(doc).comments[0].reactions).toEqual([{ emoji: '🎉', people: ['bo'] }]);
  });

  it('a reaction that is not offered is refused and stores nothing', () => {
    const doc = newDoc();
    start(doc);
    const before = state(doc);
    expect(() => toggleReaction(doc, 't1', 'c1', 'bo', '💩', T0)).toThrow(CommentError);
    expect(() => toggleReaction(doc, 't1', 'nope', 'bo', '👍', T0)).toThrow(CommentError);
    expect(state(doc)).toEqual(before);
  });
});

describe('the queue', () => {
  const NOW = T0 + 2 * DAY;

  function documents() {
    const d1 = newDoc();
    start(d1, { threadId: 'soon', quote: 'Soon', text: 'Soon?', ask: ask(['me'], NOW + HOUR) });
    start(d1, { threadId: 'later', author: 'bo', ask: ask(['me'], NOW + 5 * HOUR) });
    start(d1, { threadId: 'late', author: 'bo', ask: ask(['me', 'cy'], NOW - HOUR) });
    start(d1, { threadId: 'resolved', ask: ask(['me'], NOW - 5 * HOUR) });
    setResolved(d1, 'resolved', true, 'ana', T0 + 1);
    start(d1, { threadId: 'answered', ask: ask(['me'], NOW - 5 * HOUR) });
    reply(d1, 'me', T0 + 1, 'answered');
    const d2 = newDoc();
    start(d2, { threadId: 'latest', author: 'cy', ask: ask(['me'], NOW - 3 * HOUR) });
    start(d2, { threadId: 'mine', author: 'me', quote: 'Mine', ask: ask(['bo'], NOW + 2 * HOUR) });
    start(d2, { threadId: 'mine-done', author: 'me', ask: ask(['bo'], NOW + 2 * HOUR) });
    reply(d2, 'bo', T0 + 1, 'mine-done');
    return [
      { documentId: 'doc1', threads: readThreads(d1) },
      { documentId: 'doc2', threads: readThreads(d2) }
    ];
  }

  it('waiting on me: overdue first, then the soonest reply-by; resolved and answered left out', () => {
    const queue = buildQueue(documents(), 'me', NOW);
    expect(queue.waitingOnMe.map((e) => [e.documentId, e.threadId, e.overdue])).toEqual([
      ['doc2', 'latest', true],
      ['doc1', 'late', true],
      ['doc1', 'soon', false],
      ['doc1', 'later', false]
    ]);
    expect(queue.waitingOnMe[2]).toEqual({
      documentId: 'doc1',
      kind: 'answer',
      purpose: 'passage',
      threadId: 'soon',
      commentId: 'c1',
      asker: 'ana',
      waitingOn: ['me'],
      replyBy: NOW + HOUR,
      askedAt: T0,
      quote: 'Soon',
      text: 'Soon?',
      overdue: false
    });
    expect(queue.waitingOnMe[1].waitingOn).toEqual(['me', 'cy']);
  });

  it('asked by me: my asks someone still has to answer', () => {
    const queue = buildQueue(documents(), 'me', NOW);
    expect(queue.askedByMe.map((e) => [e.threadId, e.waitingOn, e.quote])).toEqual([
      ['mine', ['bo'], 'Mine']
    ]);
  });

  it('someone else sees their own queue', () => {
    const queue = buildQueue(documents(), 'cy', NOW);
    expect(queue.waitingOnMe.map((e) => e.threadId)).toEqual(['late']);
    expect(queue.askedByMe.map((e) => e.threadId)).toEqual(['latest']);
  });

  it('summarizeThreads counts open threads, pending asks and overdue ones', () => {
    const [d1, d2] = documents();
    expect(summarizeThreads(d1.threads, NOW)).toEqual({ open: 4, asks: 3, overdue: 1 });
    expect(summarizeThreads(d2.threads, NOW)).toEqual({ open: 3, asks: 2, overdue: 1 });
    expect(summarizeThreads(d2.threads, T0)).toEqual({ open: 3, asks: 2, overdue: 0 });
    expect(summarizeThreads([], NOW)).toEqual({ open: 0, asks: 0, overdue: 0 });
  });

  it('threads stored by other clients with malformed fields still read', () => {
    const doc = newDoc();
    start(doc, { ask: ask(['bo'], T0 + DAY) });
    const map = getThreadsMap(doc).get('t1');
    map?.set('resolution', { resolved: 'yes' });
    map?.set('anchorStart', 'not bytes');
    const t = thread(doc);
    expect(t.resolution).toBeNull();
    expect(t.anchorStart).toBeNull();
    expect(threadStatus(t, T0)).toBe('open');
  });
});

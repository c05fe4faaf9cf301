/**
 * Comment threads: the schema of a document's comments room
 * (`<workspaceId>.comments.<documentId>`, rooms.ts) and the rules of review.
 * Pure: no DOM, no Svelte; docs/schema.md describes the same for third-party
 * clients.
 *
 * Root `threads`: a Y.Map from thread id to a thread Y.Map:
 * - `anchorStart`, `anchorEnd`: Uint8Array, Y.encodeRelativePosition of the
 *   passage's two ends in the document body (resolved by the editor);
 * - `quote`: the passage's text when the thread was started, kept so a thread
 *   whose passage was deleted still says what it was about;
 * - `createdAt`, `createdBy` (person id);
 * - `resolution`: absent while open, else `{ resolved, at, by }`. One key
 *   holding one object, so a concurrent resolve and reopen end as one of the
 *   two whole, never a mix;
 * - `comments`: a Y.Array of comment Y.Maps, the opening comment first.
 *   Concurrent replies from two offline reviewers both land, in the same
 *   order on every device (Yjs orders concurrent inserts deterministically).
 *
 * A comment Y.Map: `id`, `author` (person id), `text` (plain text), `createdAt`,
 * `editedAt`, `deletedAt`, `outcome` (true for "the outcome" of a thread),
 * `ask` (`{ assignees, replyBy, preset, askerZone }` or absent) and
 * `reactions`, a Y.Map from "<personId>:<emoji>" to the time it was added (one
 * reaction per person per emoji; made with the comment, so two devices never
 * create it concurrently). Nothing is ever removed: deleting a reply sets
 * `deletedAt`, resolving sets `resolution`.
 */
import * as Y from 'yjs';
import { numberOr, stringOr } from './schema.js';
import { isReplyByPreset, type ReplyByPreset } from './replyBy.js';

export const COMMENTS_ROOTS = {
  threads: 'threads'
} as const;

/** A comment is a note, not an essay: longer text belongs in the document. */
export const MAX_COMMENT_LENGTH = 10_000;
/** DOMAIN.md: more than three back-and-forths without resolution → talk instead. */
export const ESCALATE_AFTER_EXCHANGES = 3;
export const REACTIONS = ['👍', '👀', '🎉', '❤️', '😕', '✅'] as const;
export type Reaction = (typeof REACTIONS)[number];

export const REACTION_NAMES: Record<Reaction, string> = {
  '👍': 'thumbs up',
  '👀': 'eyes',
  '🎉': 'party',
  '❤️': 'heart',
  '😕': 'confused',
  '✅': 'done'
};

/**
 * What an ask wants: an answer (a reply), or only that the person reads the
 * thread ("to read": a reply or a reaction to the ask counts).
 */
export type AskKind = 'answer' | 'read';

export interface Ask {
  /** Person ids who must answer. */
  assignees: string[];
  /** Absent means 'answer'. */
  kind?: AskKind;
  /** UTC instant (ms). */
  replyBy: number;
  preset: ReplyByPreset;
  /** The asker's IANA zone when asking, so their intent can be shown. */
  askerZone: string;
}

export interface Comment {
  id: string;
  author: string;
  text: string;
  createdAt: number;
  editedAt: number | null;
  deletedAt: number | null;
  outcome: boolean;
  ask: Ask | null;
  /** Emoji with the people who reacted, in REACTIONS order. */
  reactions: { emoji: string; people: string[] }[];
}

export interface Resolution {
  resolved: boolean;
  at: number;
  by: string;
}

/**
 * Why a thread exists: a comment on a passage, or one about the whole
 * document that the app starts for its lifecycle (a review's asks, the
 * decision for the Informed, a retro action for its owner).
 */
export const THREAD_PURPOSES = ['passage', 'review', 'decision', 'action'] as const;
export type ThreadPurpose = (typeof THREAD_PURPOSES)[number];

export interface Thread {
  id: string;
  purpose: ThreadPurpose;
  anchorStart: Uint8Array | null;
  anchorEnd: Uint8Array | null;
  quote: string;
  createdAt: number;
  createdBy: string;
  resolution: Resolution | null;
  comments: Comment[];
}

/** Refused input: the message is for the user; nothing was stored. */
export class CommentError extends Error {
  override name = 'CommentError';
}

type ThreadMap = Y.Map<unknown>;
type CommentMap = Y.Map<unknown>;

export function getThreadsMap(doc: Y.Doc): Y.Map<ThreadMap> {
  return doc.getMap(COMMENTS_ROOTS.threads);
}

// ---------------------------------------------------------------- reading

function readAsk(raw: unknown): Ask | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = raw as Record<string, unknown>;
  const assignees = Array.isArray(value.assignees)
    ? value.assignees.filter((a): a is string => typeof a === 'string' && a.length > 0)
    : [];
  if (assignees.length === 0 || typeof value.replyBy !== 'number') return null;
  return {
    assignees,
    ...(value.kind === 'read' ? { kind: 'read' as const } : {}),
    replyBy: value.replyBy,
    preset: isReplyByPreset(value.preset) ? value.preset : 'custom',
    askerZone: stringOr(value.askerZone, 'UTC')
  };
}

function readReactions(map: unknown): Comment['reactions'] {
  if (!(map instanceof Y.Map)) return [];
  const byEmoji = new Map<string, string[]>();
  for (const key of map.keys()) {
    const split = key.indexOf(':');
    if (split <= 0) continue;
    const emoji = key.slice(split + 1);
    const list = byEmoji.get(emoji) ?? [];
    list.push(key.slice(0, split));
    byEmoji.set(emoji, list);
  }
  const order = (emoji: string) => {
    const i = (REACTIONS as readonly string[]).indexOf(emoji);
    return i === -1 ? REACTIONS.length : i;
  };
  return [...byEmoji.entries()]
    .map(([emoji, people]) => ({ emoji, people: people.sort() }))
    .sort((a, b) => order(a.emoji) - order(b.emoji) || (a.emoji < b.emoji ? -1 : 1));
}

function readComment(map: CommentMap): Comment | null {
  const id = map.get('id');
  if (typeof id !== 'string') return null;
  const editedAt = map.get('editedAt');
  const deletedAt = map.get('deletedAt');
  return {
    id,
    author: stringOr(map.get('author'), ''),
    text: stringOr(map.get('text'), ''),
    createdAt: numberOr(map.get('createdAt'), 0),
    editedAt: typeof editedAt === 'number' ? editedAt : null,
    deletedAt: typeof deletedAt === 'number' ? deletedAt : null,
    outcome: map.get('outcome') === true,
    ask: readAsk(map.get('ask')),
    reactions: readReactions(map.get('reactions'))
  };
}

function readResolution(raw: unknown): Resolution | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = raw as Record<string, unknown>;
  if (typeof value.resolved !== 'boolean') return null;
  return { resolved: value.resolved, at: numberOr(value.at, 0), by: stringOr(value.by, '') };
}

function readThreadMap(id: string, map: ThreadMap): Thread {
  const comments: Comment[] = [];
  const array = map.get('comments');
  if (array instanceof Y.Array) {
    for (const item of array.toArray()) {
      if (!(item instanceof Y.Map)) continue;
      const comment = readComment(item);
      if (comment) comments.push(comment);
    }
  }
  const start = map.get('anchorStart');
  const end = map.get('anchorEnd');
  const purpose = map.get('purpose');
  return {
    id,
    purpose: (THREAD_PURPOSES as readonly unknown[]).includes(purpose)
      ? (purpose as ThreadPurpose)
      : 'passage',
    anchorStart: start instanceof Uint8Array ? start : null,
    anchorEnd: end instanceof Uint8Array ? end : null,
    quote: stringOr(map.get('quote'), ''),
    createdAt: numberOr(map.get('createdAt'), 0),
    createdBy: stringOr(map.get('createdBy'), ''),
    resolution: readResolution(map.get('resolution')),
    comments
  };
}

export function readThread(doc: Y.Doc, id: string): Thread | null {
  const map = getThreadsMap(doc).get(id);
  return map instanceof Y.Map ? readThreadMap(id, map) : null;
}

/** Every thread with at least one comment, oldest first (ties by id). */
export function readThreads(doc: Y.Doc): Thread[] {
  const threads: Thread[] = [];
  getThreadsMap(doc).forEach((map, id) => {
    if (!(map instanceof Y.Map)) return;
    const thread = readThreadMap(id, map);
    if (thread.comments.length > 0) threads.push(thread);
  });
  return threads.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

// ---------------------------------------------------------------- validation

/** Trims and checks a comment's text; throws CommentError with the reason. */
export function validateText(raw: string): string {
  const text = raw.replace(/\r\n?/g, '\n').trim();
  if (!text) throw new CommentError('Write something first: an empty comment is not sent.');
  const length = Array.from(text).length;
  if (length > MAX_COMMENT_LENGTH) {
    throw new CommentError(
      `That comment is ${length.toLocaleString('en')} characters; a comment can be at most ${MAX_COMMENT_LENGTH.toLocaleString('en')}. Put the long part in the document and point to it.`
    );
  }
  return text;
}

/**
 * Checks an ask before it is written (makeAsk's too); throws CommentError
 * with the reason. Drops repeated and empty person ids.
 */
export function validateAsk(ask: Ask, now: number): Ask {
  const assignees = [...new Set(ask.assignees.filter(Boolean))];
  if (assignees.length === 0)
    throw new CommentError('An ask needs at least one person who must answer.');
  if (!Number.isFinite(ask.replyBy))
    throw new CommentError('Pick a reply-by date and time for the ask.');
  if (ask.replyBy <= now)
    throw new CommentError('The reply-by time has already passed: pick one in the future.');
  return { ...ask, assignees };
}

/** Finds the open thread of a purpose (the review, the decision) if there is one. */
export function openThreadOf(threads: readonly Thread[], purpose: ThreadPurpose): Thread | null {
  for (let i = threads.length - 1; i >= 0; i--) {
    if (threads[i].purpose === purpose && !isResolved(threads[i])) return threads[i];
  }
  return null;
}

// ---------------------------------------------------------------- writing

function newCommentMap(init: {
  id: string;
  author: string;
  text: string;
  now: number;
  ask?: Ask | null;
  outcome?: boolean;
}): CommentMap {
  const map = new Y.Map<unknown>();
  map.set('id', init.id);
  map.set('author', init.author);
  map.set('text', init.text);
  map.set('createdAt', init.now);
  if (init.ask) map.set('ask', { ...init.ask, assignees: [...init.ask.assignees] });
  if (init.outcome) map.set('outcome', true);
  map.set('reactions', new Y.Map<number>());
  return map;
}

function threadMap(doc: Y.Doc, threadId: string): ThreadMap {
  const map = getThreadsMap(doc).get(threadId);
  if (!(map instanceof Y.Map)) throw new CommentError('That thread is not on this device.');
  return map;
}

function commentsArray(map: ThreadMap): Y.Array<CommentMap> {
  const array = map.get('comments');
  if (!(array instanceof Y.Array)) throw new CommentError('That thread has no comments yet.');
  return array as Y.Array<CommentMap>;
}

function commentMap(doc: Y.Doc, threadId: string, commentId: string): CommentMap {
  for (const item of commentsArray(threadMap(doc, threadId)).toArray()) {
    if (item instanceof Y.Map && item.get('id') === commentId) return item;
  }
  throw new CommentError('That comment is not on this device.');
}

export interface NewThread {
  threadId: string;
  commentId: string;
  anchorStart: Uint8Array;
  anchorEnd: Uint8Array;
  /** The selected passage's text; empty means nothing was selected. */
  quote: string;
  author: string;
  text: string;
  ask?: Ask | null;
  now: number;
}

/** Starts a thread on a passage. Validates everything before writing anything. */
export function createThread(doc: Y.Doc, init: NewThread): void {
  if (!init.quote.trim())
    throw new CommentError('Select the passage you want to comment on first.');
  insertThread(doc, init, {
    anchorStart: init.anchorStart,
    anchorEnd: init.anchorEnd,
    quote: init.quote
  });
}

/**
 * Starts a thread about the whole document (no passage): `title` stands where
 * a passage's quote would. Used by the lifecycle (reviews, decisions, actions).
 */
export function createDocumentThread(
  doc: Y.Doc,
  init: {
    threadId: string;
    commentId: string;
    purpose: Exclude<ThreadPurpose, 'passage'>;
    title: string;
    author: string;
    text: string;
    ask?: Ask | null;
    now: number;
  }
): void {
  insertThread(doc, init, { purpose: init.purpose, quote: init.title });
}

/** Checks the opening comment, then writes the thread with it in one transaction. */
function insertThread(
  doc: Y.Doc,
  init: {
    threadId: string;
    commentId: string;
    author: string;
    text: string;
    ask?: Ask | null;
    now: number;
  },
  keys: Record<string, unknown>
): void {
  const text = validateText(init.text);
  const ask = init.ask ? validateAsk(init.ask, init.now) : null;
  const threads = getThreadsMap(doc);
  if (threads.has(init.threadId)) throw new CommentError('That thread already exists.');
  doc.transact(() => {
    const map = new Y.Map<unknown>();
    for (const [key, value] of Object.entries(keys)) map.set(key, value);
    map.set('createdAt', init.now);
    map.set('createdBy', init.author);
    const comments = new Y.Array<CommentMap>();
    comments.push([
      newCommentMap({ id: init.commentId, author: init.author, text, now: init.now, ask })
    ]);
    map.set('comments', comments);
    threads.set(init.threadId, map);
  });
}

export function addReply(
  doc: Y.Doc,
  threadId: string,
  reply: { commentId: string; author: string; text: string; ask?: Ask | null; now: number }
): void {
  const text = validateText(reply.text);
  const ask = reply.ask ? validateAsk(reply.ask, reply.now) : null;
  const comments = commentsArray(threadMap(doc, threadId));
  doc.transact(() => {
    comments.push([
      newCommentMap({ id: reply.commentId, author: reply.author, text, now: reply.now, ask })
    ]);
  });
}

/**
 * "Write the outcome": a reply marked as the thread's outcome, shown first,
 * that resolves the thread in the same step.
 */
export function writeOutcome(
  doc: Y.Doc,
  threadId: string,
  outcome: { commentId: string; author: string; text: string; now: number }
): void {
  const text = validateText(outcome.text);
  const map = threadMap(doc, threadId);
  const comments = commentsArray(map);
  doc.transact(() => {
    comments.push([
      newCommentMap({
        id: outcome.commentId,
        author: outcome.author,
        text,
        now: outcome.now,
        outcome: true
      })
    ]);
    map.set('resolution', { resolved: true, at: outcome.now, by: outcome.author });
  });
}

function ownComment(doc: Y.Doc, threadId: string, commentId: string, person: string): CommentMap {
  const map = commentMap(doc, threadId, commentId);
  if (map.get('author') !== person)
    throw new CommentError('Only the person who wrote a comment can change it.');
  if (typeof map.get('deletedAt') === 'number') throw new CommentError('That comment was deleted.');
  return map;
}

export function editComment(
  doc: Y.Doc,
  threadId: string,
  commentId: string,
  person: string,
  raw: string,
  now: number
): void {
  const text = validateText(raw);
  const map = ownComment(doc, threadId, commentId, person);
  if (map.get('text') === text) return;
  doc.transact(() => {
    map.set('text', text);
    map.set('editedAt', now);
  });
}

/** Marks a comment deleted; the record keeps a "comment deleted" in its place. */
export function deleteComment(
  doc: Y.Doc,
  threadId: string,
  commentId: string,
  person: string,
  now: number
): void {
  const map = ownComment(doc, threadId, commentId, person);
  doc.transact(() => map.set('deletedAt', now));
}

/** Adds the person's reaction, or takes it back if they had it already. */
export function toggleReaction(
  doc: Y.Doc,
  threadId: string,
  commentId: string,
  person: string,
  emoji: string,
  now: number
): boolean {
  if (!(REACTIONS as readonly string[]).includes(emoji))
    throw new CommentError('That reaction is not one of the offered emoji.');
  const reactions = commentMap(doc, threadId, commentId).get('reactions');
  if (!(reactions instanceof Y.Map)) throw new CommentError('That comment takes no reactions.');
  const key = `${person}:${emoji}`;
  const had = reactions.has(key);
  doc.transact(() => {
    if (had) reactions.delete(key);
    else reactions.set(key, now);
  });
  return !had;
}

export function setResolved(
  doc: Y.Doc,
  threadId: string,
  resolved: boolean,
  person: string,
  now: number
): void {
  const map = threadMap(doc, threadId);
  doc.transact(() => map.set('resolution', { resolved, at: now, by: person }));
}

/**
 * Resolves every open document thread of a purpose (the reviews a decision
 * settles), read from the room itself: two people may each have opened one
 * while apart. Returns how many it resolved.
 */
export function settleOpenThreads(
  doc: Y.Doc,
  purpose: Exclude<ThreadPurpose, 'passage'>,
  person: string,
  now: number
): number {
  const open = readThreads(doc).filter((t) => t.purpose === purpose && !isResolved(t));
  doc.transact(() => {
    for (const thread of open) setResolved(doc, thread.id, true, person, now);
  });
  return open.length;
}

// ---------------------------------------------------------------- rules

export function isResolved(thread: Thread): boolean {
  return thread.resolution?.resolved === true;
}

export interface PendingAsk {
  commentId: string;
  kind: AskKind;
  asker: string;
  /** Asked people who have not replied since. */
  waitingOn: string[];
  replyBy: number;
  askedAt: number;
}

/**
 * Asks still waiting for someone: an asked person has answered once a
 * comment of theirs (not deleted) comes after the ask in the thread.
 * Resolving a thread settles its asks.
 */
export function pendingAsks(thread: Thread): PendingAsk[] {
  if (isResolved(thread)) return [];
  const pending: PendingAsk[] = [];
  thread.comments.forEach((comment, i) => {
    if (!comment.ask || comment.deletedAt !== null) return;
    const later = thread.comments.slice(i + 1).filter((c) => c.deletedAt === null);
    const read = comment.ask.kind === 'read';
    const waitingOn = comment.ask.assignees.filter(
      (person) =>
        !later.some((c) => c.author === person) &&
        // A "to read" ask is settled by a reaction too.
        !(read && comment.reactions.some((r) => r.people.includes(person)))
    );
    if (waitingOn.length > 0) {
      pending.push({
        commentId: comment.id,
        kind: read ? 'read' : 'answer',
        asker: comment.author,
        waitingOn,
        replyBy: comment.ask.replyBy,
        askedAt: comment.createdAt
      });
    }
  });
  return pending;
}

export type ThreadStatus = 'open' | 'answered' | 'overdue' | 'resolved';

export const STATUS_LABELS: Record<ThreadStatus, string> = {
  open: 'Open',
  answered: 'Answered',
  overdue: 'Overdue',
  resolved: 'Resolved'
};

/**
 * resolved; else overdue when an ask's reply-by has passed with someone still
 * to answer; else answered when it had asks and every asked person replied;
 * else open.
 */
export function threadStatus(thread: Thread, now: number): ThreadStatus {
  if (isResolved(thread)) return 'resolved';
  const pending = pendingAsks(thread);
  if (pending.some((ask) => ask.replyBy < now)) return 'overdue';
  if (pending.length > 0) return 'open';
  const asked = thread.comments.some((c) => c.ask && c.deletedAt === null);
  return asked ? 'answered' : 'open';
}

/** Times the conversation changed hands: A, B, A is two exchanges. */
export function exchangeCount(thread: Thread): number {
  let count = 0;
  let last: string | null = null;
  for (const comment of thread.comments) {
    if (comment.deletedAt !== null || comment.outcome) continue;
    if (last !== null && comment.author !== last) count++;
    last = comment.author;
  }
  return count;
}

/** The escalation rule: more than three exchanges and still unresolved. */
export function needsEscalation(thread: Thread): boolean {
  return !isResolved(thread) && exchangeCount(thread) > ESCALATE_AFTER_EXCHANGES;
}

/** The latest outcome written on the thread, shown first. */
export function outcomeOf(thread: Thread): Comment | null {
  for (let i = thread.comments.length - 1; i >= 0; i--) {
    const comment = thread.comments[i];
    if (comment.outcome && comment.deletedAt === null) return comment;
  }
  return null;
}

// ---------------------------------------------------------------- the queue

export interface QueueEntry {
  documentId: string;
  threadId: string;
  commentId: string;
  kind: AskKind;
  purpose: ThreadPurpose;
  asker: string;
  waitingOn: string[];
  replyBy: number;
  askedAt: number;
  quote: string;
  /** The ask's text, for the queue's one-line preview. */
  text: string;
  overdue: boolean;
}

export interface Queue {
  /** Asks waiting on this person, overdue first, then soonest reply-by. */
  waitingOnMe: QueueEntry[];
  /** Asks this person made that someone still has to answer. */
  askedByMe: QueueEntry[];
}

export function byReplyBy(a: QueueEntry, b: QueueEntry): number {
  return (
    Number(b.overdue) - Number(a.overdue) ||
    a.replyBy - b.replyBy ||
    (a.threadId < b.threadId ? -1 : a.threadId > b.threadId ? 1 : 0)
  );
}

/** One person's queue over the threads of many documents. */
export function buildQueue(
  documents: Iterable<{ documentId: string; threads: readonly Thread[] }>,
  person: string,
  now: number
): Queue {
  const waitingOnMe: QueueEntry[] = [];
  const askedByMe: QueueEntry[] = [];
  for (const { documentId, threads } of documents) {
    for (const thread of threads) {
      for (const ask of pendingAsks(thread)) {
        const comment = thread.comments.find((c) => c.id === ask.commentId);
        const entry: QueueEntry = {
          documentId,
          threadId: thread.id,
          commentId: ask.commentId,
          kind: ask.kind,
          purpose: thread.purpose,
          asker: ask.asker,
          waitingOn: ask.waitingOn,
          replyBy: ask.replyBy,
          askedAt: ask.askedAt,
          quote: thread.quote,
          text: comment?.text ?? '',
          overdue: ask.replyBy < now
        };
        if (ask.waitingOn.includes(person)) waitingOnMe.push(entry);
        if (ask.asker === person) askedByMe.push(entry);
      }
    }
  }
  return { waitingOnMe: waitingOnMe.sort(byReplyBy), askedByMe: askedByMe.sort(byReplyBy) };
}

export interface ThreadSummary {
  /** Threads not resolved. */
  open: number;
  /** Asks with someone still to answer. */
  asks: number;
  overdue: number;
}

/** What the document list shows per document. */
export function summarizeThreads(threads: readonly Thread[], now: number): ThreadSummary {
  let open = 0;
  let asks = 0;
  let overdue = 0;
  for (const thread of threads) {
    if (isResolved(thread)) continue;
    open++;
    for (const ask of pendingAsks(thread)) {
      asks++;
      if (ask.replyBy < now) overdue++;
    }
  }
  return { open, asks, overdue };
}

/**
 * Ownership under attack: a seeded fuzz of who writes what (DOMAIN.md, "Who
 * owns what in the record"), through the real relay with the real access
 * decisions. Random people of a comments room (three commenters and an
 * editor) and of the workspace index (three editors, now and then a
 * commenter) make random changes: the app's own (threads, replies, asks,
 * edits, deletions, reactions, resolutions, outcomes; entries, renames, the
 * trash, profiles) and hostile ones made with raw Yjs calls (someone else's
 * comment, reaction, resolution, profile or entry; a thread or reply removed;
 * `createdBy` and `author` naming someone else or changed later; a key set
 * twice in one transaction; a legitimate change and a forbidden one in one
 * update; values in ContentJSON and ContentString; an update sent before the
 * one it builds on; a struct resent over its sender's last clock with another
 * origin or parent), and sessions made offline and sent whole as sync step 2.
 * Most kinds are legitimate for their owner and forbidden to everyone else,
 * so the verdicts are not all one way.
 *
 * The expected verdict of each change is worked out here from the rules in
 * words (src/lib/model/writePolicy.ts, top), never by asking checkWrite.
 * After each one:
 * - allowed: the relay confirms it, stores it, and forwards it to the others;
 *   the stored document (every update the store was given, applied in order)
 *   reads exactly like the expected one;
 * - forbidden: the sender is closed with 4403 and the store is given nothing,
 *   nobody is sent anything; the sender starts over with a new connection and
 *   a fresh copy of the room (as an app does after a refusal);
 * - outside the role (a commenter writing the index): dropped with "permission
 *   denied", the connection stays, nothing is stored.
 * Every 50 changes and at the end of each epoch the relay's document in
 * memory, every person's copy and the SQLite store (snapshot and log, read as
 * the relay loads it) are compared with the expected document; at the end of
 * an epoch a fresh client syncs the room and sees exactly that too.
 *
 * Rooms are short-lived (a new workspace every EPOCH_OPS changes) so that a
 * fresh copy after each refusal stays cheap. A failure names the seed, the
 * epoch and step, and the last changes: OWNERSHIP_FUZZ_SEED=<n> replays it;
 * OWNERSHIP_FUZZ_OPS=<n> sets how many changes; OWNERSHIP_FUZZ_EXCLUDE=a,b
 * leaves kinds out (to look past a known failure).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { Relay } from '../../server/relay/Relay.js';
import { silentLogger } from '../../server/relay/logger.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import type { Store } from '../../server/store/Store.js';
import { Access } from '../../server/auth/Access.js';
import { SqliteAccessStore } from '../../server/auth/SqliteAccessStore.js';
import { accessHooks } from '../../server/createServer.js';
import { CLOSE, MESSAGE } from '../../src/lib/model/protocol.js';
import { commentsRoom, indexRoom } from '../../src/lib/model/rooms.js';
import type { Role } from '../../src/lib/model/access.js';
import {
  addReply,
  createDocumentThread,
  createThread,
  deleteComment,
  editComment,
  getThreadsMap,
  readThreads,
  setResolved,
  toggleReaction,
  writeOutcome,
  type Ask
} from '../../src/lib/model/comments.js';
import {
  addEntry,
  deleteEntry,
  getDocumentsMap,
  listEntries,
  renameEntry,
  restoreEntry
} from '../../src/lib/model/workspaceIndex.js';
import { getMembersMap, listPeople, upsertPerson } from '../../src/lib/model/people.js';
import { DOCUMENT_KINDS } from '../../src/lib/model/schema.js';
import { docFromStore, Resources, tempDataDir } from '../support/relay.js';
import { confirmMessage, encodeMessage, updateMessage } from '../support/rawClient.js';
import { seededRandom } from '../support/random.js';
import {
  asContentJSON,
  asContentString,
  connectAs,
  type PersonConnection
} from '../support/ownershipClient.js';
import { encodeStructs } from '../support/reencode.js';

const OPS = Number(process.env.OWNERSHIP_FUZZ_OPS ?? 10_000);
const SEED = Number(process.env.OWNERSHIP_FUZZ_SEED ?? 0x0de7a11);
const EXCLUDE = new Set(
  (process.env.OWNERSHIP_FUZZ_EXCLUDE ?? '')
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean)
);
/** Changes per workspace (an index and one comments room) before the next starts. */
const EPOCH_OPS = 400;
/** Every this many changes the relay's memory, each copy and the SQLite store are compared. */
const DEEP_CHECK_EVERY = 50;
/** How long the relay may take to decide one update (it takes a few turns). */
const DECISION_MS = 5_000;

const resources = new Resources();
afterEach(() => resources.disposeAll());

// ---------------------------------------------------------------- randomness

type Random = () => number;

class Dice {
  constructor(readonly random: Random) {}
  chance(p: number): boolean {
    return this.random() < p;
  }
  int(max: number): number {
    return Math.floor(this.random() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  weighted<T extends string>(weights: Readonly<Record<T, number>>): T {
    const entries = Object.entries(weights) as [T, number][];
    let roll = this.random() * entries.reduce((sum, [, w]) => sum + w, 0);
    for (const [key, weight] of entries) {
      roll -= weight;
      if (roll < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

// ---------------------------------------------------------------- the store, watched

/**
 * SQLite behind a wrapper that also applies every update it is given to a
 * document per room: what the store holds, readable after every change
 * without loading it (the SQLite file itself is read every DEEP_CHECK_EVERY).
 */
class WatchedStore implements Store {
  readonly appended = new Map<string, number>();
  private readonly stored = new Map<string, Y.Doc>();
  constructor(private readonly inner: SqliteStore) {}

  storedDoc(room: string): Y.Doc {
    let doc = this.stored.get(room);
    if (!doc) this.stored.set(room, (doc = new Y.Doc()));
    return doc;
  }
  appends(room: string): number {
    return this.appended.get(room) ?? 0;
  }
  private record(room: string, data: Uint8Array): void {
    this.appended.set(room, this.appends(room) + 1);
    Y.applyUpdate(this.storedDoc(room), data);
  }
  load(room: string) {
    return this.inner.load(room);
  }
  append(room: string, update: Uint8Array): number {
    const id = this.inner.append(room, update);
    this.record(room, update);
    return id;
  }
  appendMany(entries: { room: string; data: Uint8Array }[]): number[] {
    const ids = this.inner.appendMany(entries);
    for (const { room, data } of entries) this.record(room, data);
    return ids;
  }
  compact(...args: Parameters<SqliteStore['compact']>) {
    return this.inner.compact(...args);
  }
  quarantine(room: string, ids: number[], reason: string) {
    return this.inner.quarantine(room, ids, reason);
  }
  rooms() {
    return this.inner.rooms();
  }
  close() {
    for (const doc of this.stored.values()) doc.destroy();
    return this.inner.close();
  }
}

// ---------------------------------------------------------------- reading a room

/** A deterministic text for a value: keys sorted, shared types as JSON, bytes as numbers. */
function plain(value: unknown): unknown {
  if (value instanceof Y.AbstractType) return plain(value.toJSON());
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      out[key] = plain((value as Record<string, unknown>)[key]);
    }
    return out;
  }
  return value;
}

/**
 * Everything a room holds, as readers see it: the model's reading (threads;
 * entries and people) and every root raw, so that something the model skips
 * (a root outside the schema, a value of the wrong type) shows too.
 */
function dump(doc: Y.Doc, kind: RoomKind): string {
  const model =
    kind === 'comments'
      ? { threads: plain(readThreads(doc)) }
      : { entries: plain(listEntries(doc, 'all')), people: plain(listPeople(doc)) };
  const roots: Record<string, unknown> = {};
  for (const name of [...doc.share.keys()].sort()) {
    const root = doc.share.get(name) as Y.AbstractType<unknown>;
    if (root instanceof Y.Map || root.constructor === Y.AbstractType) {
      // A root created by an update alone is untyped: read its keys as a map,
      // and count its list content (a map root has none). Reading creates
      // roots, so empty ones are left out.
      const map = doc.getMap(name);
      if (map.size > 0 || map._length > 0) {
        roots[name] = { map: plain(map), listLength: map._length };
      }
    } else {
      roots[name] = { other: String(root) };
    }
  }
  return JSON.stringify({ model, roots });
}

function sameStateVector(a: Y.Doc, b: Y.Doc): boolean {
  const va = Y.encodeStateVector(a);
  const vb = Y.encodeStateVector(b);
  return va.length === vb.length && va.every((byte, i) => byte === vb[i]);
}

// ---------------------------------------------------------------- people and rooms

type RoomKind = 'comments' | 'index';
type Verdict = 'accept' | 'refuse' | 'drop';
/** What the relay did: a verdict, or something no change should get. */
type Answer = Verdict | 'resync' | 'closed' | 'kept';

/** Origin of what a copy receives from the relay (not sent back as the person's own). */
const REMOTE = Symbol('relay');

interface Person {
  id: string;
  role: Role;
  room: RoomState;
  doc: Y.Doc;
  conn: PersonConnection;
  /** Messages of `conn.sent` already read. */
  read: number;
  /** Updates this person's copy made in the current change. */
  local: Uint8Array[];
  asked: Uint8Array[];
  confirmed: Set<number>;
  denied: string | null;
  /** Updates received from the relay on this connection. */
  received: number;
}

interface RoomState {
  kind: RoomKind;
  name: string;
  /** What the relay must hold: every allowed change, applied in order. */
  expected: Y.Doc;
  people: Person[];
  /** Who writes here, for names forged at random (plus someone from outside). */
  names: string[];
}

/** One change a person makes: the expected verdict, and the Yjs calls on their copy. */
interface Op {
  kind: string;
  what: string;
  expect: Verdict;
  write(doc: Y.Doc): void;
}

interface Ctx {
  dice: Dice;
  person: Person;
  room: RoomState;
  world: World;
}

type Generator = (ctx: Ctx) => Op | null;

class World {
  seq = 0;
  now = 1_750_000_000_000;
  private ids = 0;
  private readonly clientIds = new Set<number>();
  readonly log: string[] = [];
  readonly counts = new Map<string, Record<Answer, number>>();
  constructor(
    readonly dice: Dice,
    readonly relay: Relay,
    readonly store: WatchedStore
  ) {}
  id(prefix: string): string {
    return `${prefix}${(this.ids++).toString(36)}`;
  }
  /** Client ids from the seed, so a failing sequence replays byte for byte. */
  clientId(): number {
    for (;;) {
      const id = 1 + this.dice.int(0x7fffffff);
      if (!this.clientIds.has(id)) {
        this.clientIds.add(id);
        return id;
      }
    }
  }
  count(kind: string, verdict: Answer): void {
    const entry = this.counts.get(kind) ?? {
      accept: 0,
      refuse: 0,
      drop: 0,
      resync: 0,
      closed: 0,
      kept: 0
    };
    entry[verdict]++;
    this.counts.set(kind, entry);
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Waits, turn by turn, until `done` gives something; fails after DECISION_MS. */
async function until<T>(done: () => T | null | undefined, what: string): Promise<T> {
  const deadline = Date.now() + DECISION_MS;
  for (;;) {
    const value = done();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no answer from the relay: ${what}`);
    await turn();
  }
}

function syncMessage(type: number, payload: Uint8Array): Uint8Array {
  return encodeMessage((e) => {
    encoding.writeVarUint(e, MESSAGE.sync);
    encoding.writeVarUint(e, type);
    encoding.writeVarUint8Array(e, payload);
  });
}

/** Reads what the relay sent a person: copies what it forwards, notes asks, confirms and denials. */
function drain(person: Person): void {
  const sent = person.conn.sent;
  for (; person.read < sent.length; person.read++) {
    const decoder = decoding.createDecoder(sent[person.read]);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE.sync) {
      const sub = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (sub === syncProtocol.messageYjsSyncStep1) person.asked.push(payload);
      else {
        Y.applyUpdate(person.doc, payload, REMOTE);
        person.received++;
      }
    } else if (type === MESSAGE.confirm) {
      person.confirmed.add(decoding.readVarUint(decoder));
    } else if (type === MESSAGE.auth) {
      decoding.readVarUint(decoder);
      person.denied = decoding.readVarString(decoder);
    }
  }
}

/** A new copy of the room for a person, on a new connection, filled from the relay. */
async function joinRoom(world: World, room: RoomState, id: string, role: Role, person?: Person) {
  if (person && !person.conn.closed) person.conn.close();
  person?.doc.destroy();
  const doc = new Y.Doc();
  doc.clientID = world.clientId();
  const joined: Person = person ?? ({ id, role, room } as Person);
  Object.assign(joined, {
    doc,
    conn: connectAs(world.relay, room.name, id, role),
    read: 0,
    local: [],
    asked: [],
    confirmed: new Set<number>(),
    denied: null,
    received: 0
  });
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== REMOTE) joined.local.push(update);
  });
  joined.conn.receive(syncMessage(syncProtocol.messageYjsSyncStep1, Y.encodeStateVector(doc)));
  await until(() => {
    drain(joined);
    return joined.received > 0 || null;
  }, `${id} joining ${room.name}`);
  joined.asked = [];
  joined.received = 0;
  return joined;
}

// ---------------------------------------------------------------- the comments room

const EMOJI = ['👍', '👀', '🎉', '❤️', '😕', '✅'];
const anchor = (dice: Dice) => Uint8Array.from({ length: 6 }, () => dice.int(256));

interface CommentRef {
  tid: string;
  index: number;
  author: string;
  deleted: boolean;
  reactions: string[];
}

function threadAt(doc: Y.Doc, tid: string): Y.Map<unknown> {
  return getThreadsMap(doc).get(tid) as Y.Map<unknown>;
}
function commentsAt(doc: Y.Doc, tid: string): Y.Array<Y.Map<unknown>> {
  return threadAt(doc, tid).get('comments') as Y.Array<Y.Map<unknown>>;
}
function commentAt(doc: Y.Doc, ref: { tid: string; index: number }): Y.Map<unknown> {
  return commentsAt(doc, ref.tid).get(ref.index);
}
function reactionsAt(doc: Y.Doc, ref: { tid: string; index: number }): Y.Map<unknown> {
  return commentAt(doc, ref).get('reactions') as Y.Map<unknown>;
}

function allComments(doc: Y.Doc): CommentRef[] {
  const refs: CommentRef[] = [];
  getThreadsMap(doc).forEach((thread, tid) => {
    (thread.get('comments') as Y.Array<Y.Map<unknown>>).forEach((comment, index) => {
      const reactions = comment.get('reactions');
      refs.push({
        tid,
        index,
        author: comment.get('author') as string,
        deleted: typeof comment.get('deletedAt') === 'number',
        reactions: reactions instanceof Y.Map ? [...reactions.keys()] : []
      });
    });
  });
  return refs;
}

/** A comment, the actor's own about half the time when they have one. */
function pickComment(ctx: Ctx, filter: (ref: CommentRef) => boolean = () => true) {
  const all = allComments(ctx.room.expected).filter(filter);
  const own = all.filter((ref) => ref.author === ctx.person.id);
  if (own.length > 0 && ctx.dice.chance(0.5)) return ctx.dice.pick(own);
  return all.length > 0 ? ctx.dice.pick(all) : null;
}

function pickThread(ctx: Ctx): string | null {
  const ids = [...getThreadsMap(ctx.room.expected).keys()];
  return ids.length > 0 ? ctx.dice.pick(ids) : null;
}

/** A person's name: the actor's own half the time, else someone else's. */
function nameFor(ctx: Ctx): string {
  if (ctx.dice.chance(0.5)) return ctx.person.id;
  return ctx.dice.pick(ctx.room.names.filter((name) => name !== ctx.person.id));
}

const own = (ctx: Ctx, name: string | undefined): Verdict =>
  name === ctx.person.id ? 'accept' : 'refuse';

function askFor(ctx: Ctx): Ask {
  return {
    assignees: [nameFor(ctx)],
    replyBy: ctx.world.now + 86_400_000,
    preset: '24h',
    askerZone: 'UTC',
    ...(ctx.dice.chance(0.3) ? { kind: 'read' as const } : {})
  };
}

/** A comment map as the app writes it, with the author left out when `author` is undefined. */
function rawComment(ctx: Ctx, author: string | undefined, text: string): Y.Map<unknown> {
  const comment = new Y.Map<unknown>();
  comment.set('id', ctx.world.id('c'));
  if (author !== undefined) comment.set('author', author);
  comment.set('text', text);
  comment.set('createdAt', ctx.world.now);
  comment.set('reactions', new Y.Map());
  return comment;
}

function rawThread(ctx: Ctx, createdBy: string | undefined, author: string | undefined) {
  const thread = new Y.Map<unknown>();
  thread.set('quote', 'a passage');
  thread.set('anchorStart', anchor(ctx.dice));
  thread.set('anchorEnd', anchor(ctx.dice));
  thread.set('createdAt', ctx.world.now);
  if (createdBy !== undefined) thread.set('createdBy', createdBy);
  const comments = new Y.Array<Y.Map<unknown>>();
  comments.push([rawComment(ctx, author, 'opening')]);
  thread.set('comments', comments);
  return thread;
}

const commentGenerators: Record<string, Generator> = {
  thread(ctx) {
    const { person, world, dice } = ctx;
    const threadId = world.id('t');
    const commentId = world.id('c');
    const ask = dice.chance(0.3) ? askFor(ctx) : null;
    const text = `opening ${commentId}`;
    if (dice.chance(0.5)) {
      return {
        kind: 'thread',
        what: `starts thread ${threadId} on a passage`,
        expect: 'accept',
        write: (doc) =>
          createThread(doc, {
            threadId,
            commentId,
            anchorStart: anchor(dice),
            anchorEnd: anchor(dice),
            quote: 'the passage',
            author: person.id,
            text,
            ask,
            now: world.now
          })
      };
    }
    const purpose = dice.pick(['review', 'decision', 'action'] as const);
    return {
      kind: 'thread',
      what: `starts ${purpose} thread ${threadId}`,
      expect: 'accept',
      write: (doc) =>
        createDocumentThread(doc, {
          threadId,
          commentId,
          purpose,
          title: 'About the document',
          author: person.id,
          text,
          ask,
          now: world.now
        })
    };
  },

  forgedThread(ctx) {
    const createdBy = ctx.dice.chance(0.1) ? undefined : nameFor(ctx);
    const author = ctx.dice.chance(0.1) ? undefined : nameFor(ctx);
    const id = ctx.world.id('t');
    return {
      kind: 'forgedThread',
      what: `raw thread ${id} createdBy=${createdBy} author=${author}`,
      expect: createdBy === ctx.person.id && author === ctx.person.id ? 'accept' : 'refuse',
      write: (doc) => getThreadsMap(doc).set(id, rawThread(ctx, createdBy, author))
    };
  },

  reply(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const commentId = ctx.world.id('c');
    const ask = ctx.dice.chance(0.3) ? askFor(ctx) : null;
    return {
      kind: 'reply',
      what: `replies in ${tid}${ask ? ' with an ask' : ''}`,
      expect: 'accept',
      write: (doc) =>
        addReply(doc, tid, {
          commentId,
          author: ctx.person.id,
          text: `reply ${commentId}`,
          ask,
          now: ctx.world.now
        })
    };
  },

  forgedReply(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const author = ctx.dice.chance(0.15) ? undefined : nameFor(ctx);
    return {
      kind: 'forgedReply',
      what: `raw reply in ${tid} author=${author}`,
      expect: own(ctx, author),
      write: (doc) => commentsAt(doc, tid).push([rawComment(ctx, author, 'a reply')])
    };
  },

  outcome(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const commentId = ctx.world.id('c');
    return {
      kind: 'outcome',
      what: `writes the outcome of ${tid}`,
      expect: 'accept',
      write: (doc) =>
        writeOutcome(doc, tid, {
          commentId,
          author: ctx.person.id,
          text: `outcome ${commentId}`,
          now: ctx.world.now
        })
    };
  },

  editText(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const text = `edited ${ctx.world.id('e')}`;
    const mine = ref.author === ctx.person.id;
    return {
      kind: 'editText',
      what: `edits the text of ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: mine ? 'accept' : 'refuse',
      write: (doc) => {
        const comment = commentAt(doc, ref);
        if (mine && !ref.deleted) {
          const id = comment.get('id') as string;
          editComment(doc, ref.tid, id, ctx.person.id, text, ctx.world.now);
        } else {
          comment.set('text', text);
          comment.set('editedAt', ctx.world.now);
        }
      }
    };
  },

  softDelete(ctx) {
    const ref = pickComment(ctx, (r) => !r.deleted);
    if (!ref) return null;
    const mine = ref.author === ctx.person.id;
    return {
      kind: 'softDelete',
      what: `deletes ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: mine ? 'accept' : 'refuse',
      write: (doc) => {
        const comment = commentAt(doc, ref);
        if (mine)
          deleteComment(doc, ref.tid, comment.get('id') as string, ctx.person.id, ctx.world.now);
        else comment.set('deletedAt', ctx.world.now);
      }
    };
  },

  undelete(ctx) {
    const ref = pickComment(ctx, (r) => r.deleted);
    if (!ref) return null;
    return {
      kind: 'undelete',
      what: `takes back the deletion of ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: own(ctx, ref.author),
      write: (doc) => commentAt(doc, ref).delete('deletedAt')
    };
  },

  ask(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const hasAsk = commentAt(ctx.room.expected, ref).has('ask');
    const remove = hasAsk && ctx.dice.chance(0.4);
    const ask = askFor(ctx);
    return {
      kind: 'ask',
      what: `${remove ? 'removes' : 'sets'} the ask of ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: own(ctx, ref.author),
      write: (doc) => {
        if (remove) commentAt(doc, ref).delete('ask');
        else commentAt(doc, ref).set('ask', ask);
      }
    };
  },

  author(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const to = ctx.dice.pick(ctx.room.names.filter((name) => name !== ref.author));
    const remove = ctx.dice.chance(0.2);
    return {
      kind: 'author',
      what: `${remove ? 'removes' : `sets to ${to}`} the author of ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: 'refuse',
      write: (doc) => {
        if (remove) commentAt(doc, ref).delete('author');
        else commentAt(doc, ref).set('author', to);
      }
    };
  },

  commentKey(ctx) {
    const remove = ctx.dice.chance(0.3);
    // Only someone else's comment: the rules in words leave the author's own
    // fixed keys open, the table keeps them fixed.
    const ref = pickComment(ctx, (r) => remove || r.author !== ctx.person.id);
    if (!ref) return null;
    const key = remove ? 'id' : ctx.dice.pick(['id', 'createdAt', 'outcome', 'pinned']);
    const value = key === 'outcome' ? true : key === 'id' ? 'stolen' : ctx.world.now;
    // Writing the value the key already holds changes nothing anyone reads.
    const unchanged = !remove && commentAt(ctx.room.expected, ref).get(key) === value;
    return {
      kind: 'commentKey',
      what: `${remove ? 'removes' : 'sets'} ${key} of ${ref.author}'s comment ${ref.tid}[${ref.index}]`,
      expect: unchanged ? 'accept' : 'refuse',
      write: (doc) => {
        const comment = commentAt(doc, ref);
        if (remove) comment.delete(key);
        else comment.set(key, value);
      }
    };
  },

  react(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const emoji = ctx.dice.pick(EMOJI);
    return {
      kind: 'react',
      what: `toggles ${emoji} on ${ref.tid}[${ref.index}]`,
      expect: 'accept',
      write: (doc) => {
        const id = commentAt(doc, ref).get('id') as string;
        toggleReaction(doc, ref.tid, id, ctx.person.id, emoji, ctx.world.now);
      }
    };
  },

  forgedReact(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const { dice, person } = ctx;
    if (ref.reactions.length > 0 && dice.chance(0.4)) {
      const key = dice.pick(ref.reactions);
      return {
        kind: 'forgedReact',
        what: `removes reaction ${key} on ${ref.tid}[${ref.index}]`,
        expect: key.startsWith(`${person.id}:`) ? 'accept' : 'refuse',
        write: (doc) => reactionsAt(doc, ref).delete(key)
      };
    }
    // A key with no name in front is nobody's reaction.
    const key = dice.chance(0.1)
      ? dice.pick(EMOJI)
      : `${nameFor(ctx)}:${dice.pick([...EMOJI, '🦄'])}`;
    return {
      kind: 'forgedReact',
      what: `sets reaction ${key} on ${ref.tid}[${ref.index}]`,
      expect: key.startsWith(`${person.id}:`) ? 'accept' : 'refuse',
      write: (doc) => reactionsAt(doc, ref).set(key, ctx.world.now)
    };
  },

  wipeReactions(ctx) {
    const ref = pickComment(ctx, (r) =>
      r.reactions.some((k) => !k.startsWith(`${ctx.person.id}:`))
    );
    if (!ref) return null;
    const remove = ctx.dice.chance(0.5);
    return {
      kind: 'wipeReactions',
      what: `${remove ? 'removes' : 'replaces'} the reactions of ${ref.tid}[${ref.index}] (others' among them)`,
      expect: 'refuse',
      write: (doc) => {
        if (remove) commentAt(doc, ref).delete('reactions');
        else commentAt(doc, ref).set('reactions', new Y.Map());
      }
    };
  },

  resolve(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const resolved = ctx.dice.chance(0.6);
    return {
      kind: 'resolve',
      what: `${resolved ? 'resolves' : 'reopens'} ${tid}`,
      expect: 'accept',
      write: (doc) => setResolved(doc, tid, resolved, ctx.person.id, ctx.world.now)
    };
  },

  forgedResolve(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const has = threadAt(ctx.room.expected, tid).has('resolution');
    const roll = ctx.dice.int(10);
    if (has && roll === 0) {
      return {
        kind: 'forgedResolve',
        what: `removes the resolution of ${tid}`,
        expect: 'refuse',
        write: (doc) => threadAt(doc, tid).delete('resolution')
      };
    }
    if (roll === 1) {
      return {
        kind: 'forgedResolve',
        what: `sets the resolution of ${tid} to a bare string`,
        expect: 'refuse',
        write: (doc) => threadAt(doc, tid).set('resolution', 'resolved')
      };
    }
    const by = nameFor(ctx);
    return {
      kind: 'forgedResolve',
      what: `resolves ${tid} in ${by}'s name`,
      expect: own(ctx, by),
      write: (doc) =>
        threadAt(doc, tid).set('resolution', { resolved: true, at: ctx.world.now, by })
    };
  },

  removeThread(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const createdBy = threadAt(ctx.room.expected, tid).get('createdBy');
    const replace = ctx.dice.chance(0.4);
    return {
      kind: 'removeThread',
      what: `${replace ? 'replaces' : 'removes'} ${createdBy}'s thread ${tid}`,
      expect: 'refuse',
      write: (doc) => {
        if (replace) getThreadsMap(doc).set(tid, rawThread(ctx, ctx.person.id, ctx.person.id));
        else getThreadsMap(doc).delete(tid);
      }
    };
  },

  threadKey(ctx) {
    const tid = pickThread(ctx);
    if (!tid) return null;
    const createdBy = threadAt(ctx.room.expected, tid).get('createdBy') as string;
    // The creator changing their own quote is left open by the words; only createdBy, then.
    const key =
      createdBy === ctx.person.id
        ? 'createdBy'
        : ctx.dice.pick(['createdBy', 'quote', 'purpose', 'anchorStart', 'createdAt']);
    const to = ctx.dice.pick(ctx.room.names.filter((name) => name !== createdBy));
    const value =
      key === 'createdBy'
        ? to
        : key === 'anchorStart'
          ? anchor(ctx.dice)
          : key === 'createdAt'
            ? 1
            : 'decision';
    // Writing the value the key already holds changes nothing anyone reads.
    const current = threadAt(ctx.room.expected, tid).get(key);
    const unchanged = typeof value !== 'object' && current === value;
    return {
      kind: 'threadKey',
      what: `sets ${key} of ${createdBy}'s thread ${tid}`,
      expect: unchanged ? 'accept' : 'refuse',
      write: (doc) => threadAt(doc, tid).set(key, value)
    };
  },

  removeComment(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const how = ctx.dice.int(3);
    return {
      kind: 'removeComment',
      what: [
        `removes ${ref.author}'s comment ${ref.tid}[${ref.index}] from the list`,
        `removes the comment list of ${ref.tid}`,
        `replaces the comment list of ${ref.tid}`
      ][how],
      expect: 'refuse',
      write: (doc) => {
        if (how === 0) commentsAt(doc, ref.tid).delete(ref.index, 1);
        else if (how === 1) threadAt(doc, ref.tid).delete('comments');
        else threadAt(doc, ref.tid).set('comments', new Y.Array());
      }
    };
  },

  setTwice(ctx) {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const mine = ref.author === ctx.person.id;
    const original = commentAt(ctx.room.expected, ref).get('text');
    return {
      kind: 'setTwice',
      what: `sets the text of ${ref.author}'s comment ${ref.tid}[${ref.index}] twice in one transaction${mine ? '' : ', back to what it was'}`,
      expect: mine ? 'accept' : 'refuse',
      write: (doc) => {
        const comment = commentAt(doc, ref);
        comment.set('text', 'for a moment');
        comment.set('text', mine ? `settled ${ctx.world.id('e')}` : original);
      }
    };
  },

  foreignRoot(ctx) {
    const text = ctx.dice.chance(0.5);
    return {
      kind: 'foreignRoot',
      what: `writes the ${text ? 'text root body' : 'map root notes'}, outside the schema`,
      expect: 'refuse',
      write: (doc) => {
        if (text) doc.getText('body').insert(0, 'graffiti');
        else doc.getMap('notes').set('x', 1);
      }
    };
  }
};

const COMMENT_WEIGHTS = {
  thread: 8,
  forgedThread: 5,
  reply: 10,
  forgedReply: 5,
  outcome: 3,
  editText: 8,
  softDelete: 5,
  undelete: 3,
  ask: 4,
  author: 3,
  commentKey: 3,
  react: 8,
  forgedReact: 7,
  wipeReactions: 2,
  resolve: 5,
  forgedResolve: 5,
  removeThread: 3,
  threadKey: 3,
  removeComment: 3,
  setTwice: 4,
  foreignRoot: 2,
  mixed: 4,
  contentString: 3,
  resync: 3,
  offline: 2,
  overlap: 2
};

// ---------------------------------------------------------------- the index

interface EntryRef {
  id: string;
  createdBy: string | undefined;
  deleted: boolean;
}

function entryAt(doc: Y.Doc, id: string): Y.Map<unknown> {
  return getDocumentsMap(doc).get(id) as Y.Map<unknown>;
}

function allEntries(doc: Y.Doc): EntryRef[] {
  const refs: EntryRef[] = [];
  getDocumentsMap(doc).forEach((map, id) => {
    const createdBy = map.get('createdBy');
    refs.push({
      id,
      createdBy: typeof createdBy === 'string' ? createdBy : undefined,
      deleted: map.has('deletedAt')
    });
  });
  return refs;
}

function pickEntry(ctx: Ctx, filter: (ref: EntryRef) => boolean = () => true) {
  const all = allEntries(ctx.room.expected).filter(filter);
  const own = all.filter((ref) => ref.createdBy === ctx.person.id);
  if (own.length > 0 && ctx.dice.chance(0.5)) return ctx.dice.pick(own);
  return all.length > 0 ? ctx.dice.pick(all) : null;
}

const author = (ctx: Ctx) => ({ userId: ctx.person.id, name: ctx.person.id });

function profile(ctx: Ctx, id: string) {
  return {
    id,
    name: `${id} ${ctx.world.id('n')}`,
    color: '#1f6feb',
    timeZone: 'UTC',
    workStart: '09:00',
    workEnd: '17:00',
    workDays: [1, 2, 3, 4, 5],
    updatedAt: ctx.world.now
  };
}

/** An entry as the app writes it, `createdBy` and `updatedBy` as given (left out when undefined), `createdBy` last. */
function rawEntry(ctx: Ctx, createdBy: string | undefined, updatedBy: string | undefined) {
  const entry = new Y.Map<unknown>();
  entry.set('title', `Doc ${ctx.world.id('n')}`);
  entry.set('titleAt', ctx.world.now);
  entry.set('kind', ctx.dice.pick(DOCUMENT_KINDS));
  entry.set('createdAt', ctx.world.now);
  entry.set('updatedAt', ctx.world.now);
  if (updatedBy !== undefined) entry.set('updatedBy', updatedBy);
  if (createdBy !== undefined) entry.set('createdBy', createdBy);
  return entry;
}

const indexGenerators: Record<string, Generator> = {
  addEntry(ctx) {
    const id = ctx.world.id('d');
    return {
      kind: 'addEntry',
      what: `adds entry ${id}`,
      expect: 'accept',
      write: (doc) =>
        addEntry(doc, {
          id,
          title: `Doc ${id}`,
          kind: ctx.dice.pick(DOCUMENT_KINDS),
          author: author(ctx),
          now: ctx.world.now
        })
    };
  },

  forgedEntry(ctx) {
    const id = ctx.world.id('d');
    // Rarely an entry naming nobody (syncEntryFromDoc makes those for others' documents).
    const nobody = ctx.dice.chance(0.1);
    const createdBy = nobody ? undefined : nameFor(ctx);
    const updatedBy = nobody ? undefined : ctx.dice.chance(0.7) ? ctx.person.id : nameFor(ctx);
    const fine =
      (createdBy === undefined || createdBy === ctx.person.id) &&
      (updatedBy === undefined || updatedBy === ctx.person.id);
    return {
      kind: 'forgedEntry',
      what: `raw entry ${id} createdBy=${createdBy} updatedBy=${updatedBy}`,
      expect: fine ? 'accept' : 'refuse',
      write: (doc) => getDocumentsMap(doc).set(id, rawEntry(ctx, createdBy, updatedBy))
    };
  },

  rename(ctx) {
    const ref = pickEntry(ctx);
    if (!ref) return null;
    const title = `Renamed ${ctx.world.id('n')}`;
    return {
      kind: 'rename',
      what: `renames ${ref.createdBy}'s entry ${ref.id}`,
      expect: 'accept',
      write: (doc) => renameEntry(doc, ref.id, title, author(ctx), ctx.world.now)
    };
  },

  forgedBy(ctx) {
    const ref = pickEntry(ctx);
    if (!ref) return null;
    const key = ctx.dice.pick(['updatedBy', 'deletedBy']);
    const by = nameFor(ctx);
    // Writing the value the key already holds changes nothing anyone reads.
    const unchanged = entryAt(ctx.room.expected, ref.id).get(key) === by;
    return {
      kind: 'forgedBy',
      what: `sets ${key}=${by} on ${ref.createdBy}'s entry ${ref.id}`,
      expect: unchanged ? 'accept' : own(ctx, by),
      write: (doc) => {
        const entry = entryAt(doc, ref.id);
        entry.set(key === 'updatedBy' ? 'updatedAt' : 'deletedAt', ctx.world.now);
        entry.set(key, by);
      }
    };
  },

  trash(ctx) {
    const ref = pickEntry(ctx);
    if (!ref) return null;
    const restore = ref.deleted;
    return {
      kind: 'trash',
      what: `${restore ? 'restores' : 'deletes'} ${ref.createdBy}'s entry ${ref.id}`,
      expect: 'accept',
      write: (doc) =>
        restore
          ? restoreEntry(doc, ref.id, author(ctx), ctx.world.now)
          : deleteEntry(doc, ref.id, author(ctx), ctx.world.now)
    };
  },

  summary(ctx) {
    const ref = pickEntry(ctx);
    if (!ref) return null;
    const key = ctx.dice.pick(['tldr', 'status', 'people']);
    const value = key === 'people' ? [nameFor(ctx)] : key === 'status' ? 'review' : 'in short';
    return {
      kind: 'summary',
      what: `sets ${key} of ${ref.createdBy}'s entry ${ref.id}`,
      expect: 'accept',
      write: (doc) => entryAt(doc, ref.id).set(key, value)
    };
  },

  createdBy(ctx) {
    const ref = pickEntry(ctx);
    if (!ref) return null;
    const remove = ref.createdBy !== undefined && ctx.dice.chance(0.3);
    const to = ctx.dice.chance(0.5) ? ctx.person.id : nameFor(ctx);
    return {
      kind: 'createdBy',
      what: `${remove ? 'removes' : `sets to ${to}`} createdBy of ${ref.createdBy}'s entry ${ref.id}`,
      // Writing the value it already holds changes nothing anyone reads.
      expect: !remove && to === ref.createdBy ? 'accept' : 'refuse',
      write: (doc) => {
        if (remove) entryAt(doc, ref.id).delete('createdBy');
        else entryAt(doc, ref.id).set('createdBy', to);
      }
    };
  },

  replaceEntry(ctx) {
    // An entry naming no creator is left out: who may replace it the words do not say.
    const ref = pickEntry(ctx, (r) => r.createdBy !== undefined);
    if (!ref) return null;
    const createdBy = ctx.dice.chance(0.8) ? ctx.person.id : nameFor(ctx);
    return {
      kind: 'replaceEntry',
      what: `replaces ${ref.createdBy}'s entry ${ref.id} with one createdBy=${createdBy}`,
      expect: ref.createdBy === ctx.person.id && createdBy === ctx.person.id ? 'accept' : 'refuse',
      write: (doc) => getDocumentsMap(doc).set(ref.id, rawEntry(ctx, createdBy, ctx.person.id))
    };
  },

  removeEntry(ctx) {
    const ref = pickEntry(ctx, (r) => r.createdBy !== undefined);
    if (!ref) return null;
    return {
      kind: 'removeEntry',
      what: `removes ${ref.createdBy}'s entry ${ref.id} from the list`,
      expect: own(ctx, ref.createdBy),
      write: (doc) => getDocumentsMap(doc).delete(ref.id)
    };
  },

  upsert(ctx) {
    const me = profile(ctx, ctx.person.id);
    return {
      kind: 'upsert',
      what: 'saves their own profile',
      expect: 'accept',
      write: (doc) => void upsertPerson(doc, me)
    };
  },

  forgedMember(ctx) {
    // A member entry is its person's to write, never to remove; its `role`
    // and `removedAt` stay as the relay wrote them (people here have none).
    const id = nameFor(ctx);
    const members = [...getMembersMap(ctx.room.expected).keys()];
    const remove = members.includes(id) && ctx.dice.chance(0.25);
    const promote = !remove && ctx.dice.chance(0.3);
    const value = profile(ctx, id);
    return {
      kind: 'forgedMember',
      what: `${remove ? 'removes' : promote ? 'gives a role to' : 'writes'} the member entry of ${id}`,
      expect: remove || promote ? 'refuse' : own(ctx, id),
      write: (doc) => {
        if (remove) getMembersMap(doc).delete(id);
        else getMembersMap(doc).set(id, promote ? { ...value, role: 'editor' } : value);
      }
    };
  },

  settings(ctx) {
    const key = `k${ctx.dice.int(5)}`;
    return {
      kind: 'settings',
      what: `sets ${key} in the root settings (a root the policy leaves open)`,
      expect: 'accept',
      write: (doc) => doc.getMap('settings').set(key, ctx.world.now)
    };
  },

  setTwice(ctx) {
    if (ctx.dice.chance(0.5)) {
      const ref = pickEntry(ctx);
      if (!ref) return null;
      return {
        kind: 'setTwice',
        what: `renames ${ref.createdBy}'s entry ${ref.id} twice in one transaction`,
        expect: 'accept',
        write: (doc) => {
          renameEntry(doc, ref.id, 'First', author(ctx), ctx.world.now);
          renameEntry(doc, ref.id, `Second ${ctx.world.id('n')}`, author(ctx), ctx.world.now);
        }
      };
    }
    const id = nameFor(ctx);
    const original = getMembersMap(ctx.room.expected).get(id);
    return {
      kind: 'setTwice',
      what: `writes the member entry of ${id} twice in one transaction${original ? ', back to what it was' : ''}`,
      expect: own(ctx, id),
      write: (doc) => {
        getMembersMap(doc).set(id, { name: 'for a moment' });
        getMembersMap(doc).set(id, original ?? profile(ctx, id));
      }
    };
  }
};

const INDEX_WEIGHTS = {
  addEntry: 8,
  forgedEntry: 6,
  rename: 8,
  forgedBy: 5,
  trash: 8,
  summary: 4,
  createdBy: 4,
  replaceEntry: 6,
  removeEntry: 5,
  upsert: 6,
  forgedMember: 6,
  settings: 3,
  setTwice: 4,
  mixed: 4,
  contentString: 3,
  resync: 3,
  offline: 2,
  overlap: 2
};

// ---------------------------------------------------------------- changes that need more than one update

/** A single string set on an existing map: the change a ContentString re-encoding applies to. */
function stringSet(ctx: Ctx): Op | null {
  const { room, person, dice } = ctx;
  if (room.kind === 'comments') {
    const ref = pickComment(ctx);
    if (!ref) return null;
    const text = `string ${ctx.world.id('s')}`;
    return {
      kind: 'contentString',
      what: `sets the text of ${ref.author}'s comment ${ref.tid}[${ref.index}] as ContentString`,
      expect: own(ctx, ref.author),
      write: (doc) => commentAt(doc, ref).set('text', text)
    };
  }
  const ref = pickEntry(ctx);
  if (!ref) return null;
  if (dice.chance(0.5)) {
    const title = `Title ${ctx.world.id('s')}`;
    return {
      kind: 'contentString',
      what: `sets the title of ${ref.createdBy}'s entry ${ref.id} as ContentString`,
      expect: 'accept',
      write: (doc) => entryAt(doc, ref.id).set('title', title)
    };
  }
  // A map reads ContentString as its last character: the stored updatedBy
  // names the writer only when their id is one character long.
  const reads = person.id.slice(-1);
  return {
    kind: 'contentString',
    what: `sets updatedBy=${person.id} on ${ref.createdBy}'s entry ${ref.id} as ContentString (it reads "${reads}")`,
    expect: own(ctx, reads),
    write: (doc) => entryAt(doc, ref.id).set('updatedBy', person.id)
  };
}

/** A legitimate change that always inserts something, to be sent after another one it builds on. */
function legitInsert(ctx: Ctx): Op {
  if (ctx.room.kind === 'comments') {
    return (ctx.dice.chance(0.5) && commentGenerators.reply(ctx)) || commentGenerators.thread(ctx)!;
  }
  return ctx.dice.chance(0.5) ? indexGenerators.addEntry(ctx)! : indexGenerators.upsert(ctx)!;
}

function generate(ctx: Ctx, kind: string): Op | null {
  const generators = ctx.room.kind === 'comments' ? commentGenerators : indexGenerators;
  return generators[kind]?.(ctx) ?? null;
}

/** A legitimate change and a forbidden one of the same person, in one update. */
function mixed(ctx: Ctx, weights: Record<string, number>): Op | null {
  let legit: Op | null = null;
  let hostile: Op | null = null;
  const kinds = Object.keys(weights).filter((k) => !SPECIAL.has(k) && !EXCLUDE.has(k));
  for (let attempt = 0; attempt < 40 && !(legit && hostile); attempt++) {
    const op = generate(ctx, ctx.dice.pick(kinds));
    // Not a legitimate change that replaces or removes what the forbidden one
    // then writes into: that would be the new container's creation, or nothing.
    if (op?.expect === 'accept' && !legit && !REPLACES.has(op.kind)) legit = op;
    else if (op?.expect === 'refuse' && !hostile) hostile = op;
  }
  if (!legit || !hostile) return null;
  const [first, second] = [legit, hostile];
  return {
    kind: 'mixed',
    what: `in one transaction: ${first.what}; then ${second.what}`,
    expect: 'refuse',
    write: (doc) => {
      first.write(doc);
      second.write(doc);
    }
  };
}

const REPLACES = new Set(['replaceEntry', 'removeEntry']);

/** Kinds that are not a single generator. */
const SPECIAL = new Set(['mixed', 'contentString', 'resync', 'overlap', 'offline']);

/**
 * A few legitimate changes made one after another while offline, each in its
 * own transaction, sent as one sync step 2 on reconnecting (what y-websocket
 * does). Everything here is the actor's own: a thread with a reply, edits,
 * a reaction taken back; an entry created, renamed, then removed or replaced
 * (content removed in the session reaches the relay garbage-collected).
 */
function offlineSession(ctx: Ctx): Op[] {
  const { person, world, dice } = ctx;
  const me = person.id;
  if (ctx.room.kind === 'comments') {
    const tid = world.id('t');
    const opening = world.id('c');
    const reply = world.id('c');
    return [
      {
        kind: 'thread',
        what: `starts ${tid}`,
        expect: 'accept',
        write: (doc) =>
          createDocumentThread(doc, {
            threadId: tid,
            commentId: opening,
            purpose: 'review',
            title: 'Offline',
            author: me,
            text: 'written offline',
            now: world.now
          })
      },
      {
        kind: 'reply',
        what: 'replies in it',
        expect: 'accept',
        write: (doc) =>
          addReply(doc, tid, { commentId: reply, author: me, text: 'and more', now: world.now })
      },
      {
        kind: 'editText',
        what: 'edits the reply',
        expect: 'accept',
        write: (doc) => editComment(doc, tid, reply, me, 'and more, edited', world.now)
      },
      {
        kind: 'react',
        what: 'reacts to the opening and takes it back',
        expect: 'accept',
        write: (doc) => {
          toggleReaction(doc, tid, opening, me, '👀', world.now);
          toggleReaction(doc, tid, opening, me, '👀', world.now);
        }
      }
    ];
  }
  const id = world.id('d');
  const remove = dice.chance(0.5);
  return [
    {
      kind: 'addEntry',
      what: `adds ${id}`,
      expect: 'accept',
      write: (doc) =>
        addEntry(doc, { id, title: 'Offline', kind: 'note', author: author(ctx), now: world.now })
    },
    {
      kind: 'rename',
      what: `renames ${id}`,
      expect: 'accept',
      write: (doc) => renameEntry(doc, id, 'Offline, renamed', author(ctx), world.now)
    },
    {
      kind: remove ? 'removeEntry' : 'replaceEntry',
      what: `${remove ? 'removes' : 'replaces'} ${id}, their own`,
      expect: 'accept',
      write: (doc) => {
        if (remove) getDocumentsMap(doc).delete(id);
        else getDocumentsMap(doc).set(id, rawEntry(ctx, me, me));
      }
    }
  ];
}

// ---------------------------------------------------------------- sending and judging

interface Outcome {
  verdict: Answer;
  detail: string;
}

/** Runs a change on the person's copy in one transaction; null when it wrote nothing. */
function onCopy(person: Person, op: Op): Uint8Array | null {
  person.local = [];
  person.doc.transact(() => op.write(person.doc));
  const updates = person.local;
  person.local = [];
  if (updates.length === 0) return null;
  return updates.length === 1 ? updates[0] : Y.mergeUpdates(updates);
}

/** Sends updates and a confirm, then waits for the relay to confirm, close or deny. */
async function deliver(
  world: World,
  person: Person,
  updates: Uint8Array[],
  what: string,
  type: number = syncProtocol.messageYjsUpdate
): Promise<Outcome> {
  const seq = ++world.seq;
  for (const update of updates) person.conn.receive(syncMessage(type, update));
  person.conn.receive(confirmMessage(seq));
  return until(() => answer(person, seq), what);
}

/** The relay's answer to what a person sent before confirm `seq`, once there is one. */
function answer(person: Person, seq: number): Outcome | null {
  drain(person);
  if (person.asked.length > 0) {
    const detail = 'asked for content (sync step 1) the update does not build on';
    return { verdict: 'resync', detail };
  }
  if (person.conn.closed) {
    const { code, reason } = person.conn.closed;
    return {
      verdict: code === CLOSE.forbidden ? 'refuse' : 'closed',
      detail: `closed ${code}: ${reason}`
    };
  }
  if (person.confirmed.has(seq)) return { verdict: 'accept', detail: 'confirmed' };
  if (person.denied !== null) return { verdict: 'drop', detail: `denied: ${person.denied}` };
  return null;
}

interface Sent {
  /** What the relay should have applied, in order, when allowed. */
  applied: Uint8Array[];
  outcome: Outcome;
  /** The sender's copy no longer matches what it sent: it starts over whatever the verdict. */
  resetAfter: boolean;
}

async function sendPlain(ctx: Ctx, op: Op): Promise<Sent | null> {
  const update = onCopy(ctx.person, op);
  if (!update) return null;
  // Now and then the same values in the encoding of old Yjs arrays.
  const json = ctx.dice.chance(0.15) ? asContentJSON(update) : null;
  const sent = json && json.rewritten > 0 ? json.update : update;
  if (sent !== update) op.what += ' (values as ContentJSON)';
  return {
    applied: [sent],
    outcome: await deliver(ctx.world, ctx.person, [sent], op.what),
    resetAfter: false
  };
}

/** The change made on a throwaway copy (another client id), its one item re-encoded as ContentString. */
async function sendString(ctx: Ctx, op: Op): Promise<Sent | null> {
  const scratch = new Y.Doc();
  scratch.clientID = ctx.world.clientId();
  Y.applyUpdate(scratch, Y.encodeStateAsUpdate(ctx.room.expected));
  const updates: Uint8Array[] = [];
  scratch.on('update', (u: Uint8Array) => updates.push(u));
  scratch.transact(() => op.write(scratch));
  scratch.destroy();
  const crafted = updates.length === 1 ? asContentString(updates[0]) : null;
  if (!crafted) throw new Error(`not a single string set: ${op.what}`);
  const outcome = await deliver(ctx.world, ctx.person, [crafted], op.what);
  // The sender's copy learns it from the relay like everyone else's would.
  if (outcome.verdict === 'accept') Y.applyUpdate(ctx.person.doc, crafted, REMOTE);
  return { applied: [crafted], outcome, resetAfter: false };
}

/**
 * `first` is made and never sent; `second` (made on top of it) is sent alone.
 * The relay cannot place it and asks for what it lacks (sync step 1); the
 * answer carries both, and is judged whole.
 */
async function sendOutOfOrder(ctx: Ctx, first: Op, second: Op): Promise<Sent | null> {
  const { person, world } = ctx;
  const hidden = onCopy(person, first);
  if (!hidden) return null;
  if (Y.decodeUpdate(hidden).structs.length === 0) {
    // Nothing for the second to build on: just the first, as it is.
    return {
      applied: [hidden],
      outcome: await deliver(world, person, [hidden], first.what),
      resetAfter: false
    };
  }
  const shown = onCopy(person, second);
  if (!shown) throw new Error(`wrote nothing: ${second.what}`);
  // As a client does: the update, then at once a confirm (which waits for the answer).
  const appends = world.store.appends(ctx.room.name);
  const seq = ++world.seq;
  person.conn.receive(updateMessage(shown));
  person.conn.receive(confirmMessage(seq));
  const asked = await until(() => {
    drain(person);
    if (person.conn.closed) return 'closed';
    if (person.confirmed.has(seq) || world.store.appends(ctx.room.name) !== appends) return 'kept';
    return person.asked.shift() ?? null;
  }, 'the relay to ask for what an update builds on');
  if (!(asked instanceof Uint8Array)) {
    const detail =
      asked === 'closed'
        ? `closed before asking for what it builds on: ${JSON.stringify(person.conn.closed)}`
        : 'kept an update that builds on content it lacks, without asking for it';
    return { applied: [], outcome: { verdict: asked, detail }, resetAfter: false };
  }
  const whole = Y.encodeStateAsUpdate(person.doc, asked);
  person.conn.receive(syncMessage(syncProtocol.messageYjsSyncStep2, whole));
  const outcome = await until(() => answer(person, seq), 'the answer to be judged');
  return { applied: [whole], outcome, resetAfter: false };
}

/**
 * A struct that starts at the sender's last clock (which the relay holds) and
 * goes on past it, with an origin or parent other than that last item's. Yjs
 * places the part past the relay's clock by the origin or parent it names,
 * and removes the sender's last item in its place (a map entry is replaced by
 * its right neighbour). The last item is one nobody may remove (a resolution;
 * an entry's createdBy), so the whole is forbidden whichever place it lands in.
 */
function overlapStruct(ctx: Ctx): { update: Uint8Array; what: string } | null {
  const { person, room, dice } = ctx;
  const client = person.doc.clientID;
  const clock = Y.getState(person.doc.store, client);
  if (clock === 0) return null;
  const last = Y.getItem(person.doc.store, Y.createID(client, clock - 1));
  if (!(last instanceof Y.Item) || last.deleted || last.parentSub === null || last.right !== null) {
    return null;
  }
  const id = Y.createID(client, clock - 1);
  const value = new Y.ContentAny(['(already held)', { name: 'overwritten', by: person.id }]);
  const none = Y.createDeleteSet();
  const viaOrigin = dice.chance(0.5);
  if (room.kind === 'comments') {
    const ref = pickComment(ctx, (r) => r.author !== person.id) ?? pickComment(ctx);
    if (!ref) return null;
    const comment = commentAt(person.doc, ref);
    if (viaOrigin) {
      const target = (comment as unknown as { _map: Map<string, Y.Item> })._map.get('text');
      if (!target) return null;
      const item = new Y.Item(id, null, target.lastId, null, null, null, null, value);
      return {
        update: encodeStructs([item], none),
        what: `a struct over their last clock (their resolution) with origin at ${ref.author}'s comment text ${ref.tid}[${ref.index}]`
      };
    }
    const reactions = comment.get('reactions') as Y.Map<unknown>;
    const holder = (reactions as unknown as { _item: Y.Item })._item;
    const item = new Y.Item(id, null, null, null, null, holder.id, `${person.id}:🎯`, value);
    return {
      update: encodeStructs([item], none),
      what: `a struct over their last clock (their resolution) with parent their own reaction on ${ref.tid}[${ref.index}]`
    };
  }
  const members = getMembersMap(person.doc) as unknown as { _map: Map<string, Y.Item> };
  const other = [...members._map.keys()].find((key) => key !== person.id);
  if (viaOrigin && other) {
    const target = members._map.get(other)!;
    const item = new Y.Item(id, null, target.lastId, null, null, null, null, value);
    return {
      update: encodeStructs([item], none),
      what: `a struct over their last clock (their entry's createdBy) with origin at ${other}'s member entry`
    };
  }
  const item = new Y.Item(id, null, null, null, null, 'settings' as never, 'k-overlap', value);
  return {
    update: encodeStructs([item], none),
    what: 'a struct over their last clock (their entry’s createdBy) with parent the open root settings'
  };
}

/** The set-up for overlapStruct: a change whose last item is one nobody may remove. */
function overlapPrep(ctx: Ctx): Op | null {
  if (ctx.room.kind === 'comments') {
    const tid = pickThread(ctx);
    if (!tid) return null;
    return {
      kind: 'resolve',
      what: `resolves ${tid} (before an overlapping struct)`,
      expect: 'accept',
      write: (doc) => setResolved(doc, tid, true, ctx.person.id, ctx.world.now)
    };
  }
  const id = ctx.world.id('d');
  return {
    kind: 'forgedEntry',
    what: `adds entry ${id}, createdBy last (before an overlapping struct)`,
    expect: 'accept',
    write: (doc) => getDocumentsMap(doc).set(id, rawEntry(ctx, ctx.person.id, ctx.person.id))
  };
}

// ---------------------------------------------------------------- the fuzz

function fail(world: World, message: string): never {
  throw new Error(
    `${message}\n(seed ${SEED}: OWNERSHIP_FUZZ_SEED=${SEED} reproduces it)\nlast changes:\n  ` +
      world.log.slice(-12).join('\n  ')
  );
}

/** Reads the relay's document of a room in memory, as a new document. */
async function inMemory(relay: Relay, room: string): Promise<Y.Doc> {
  const state = await relay.read(room, (doc) => Y.encodeStateAsUpdate(doc));
  const doc = new Y.Doc();
  Y.applyUpdate(doc, state);
  return doc;
}

async function deepCheck(world: World, room: RoomState, label: string): Promise<void> {
  const expected = dump(room.expected, room.kind);
  const fromMemory = await inMemory(world.relay, room.name);
  const fromStore = await docFromStore(world.store, room.name);
  const copies: [string, Y.Doc][] = [
    ['the relay in memory', fromMemory],
    ['the SQLite store', fromStore],
    ...room.people.map((p) => [`${p.id}'s copy`, p.doc] as [string, Y.Doc])
  ];
  for (const [name, doc] of copies) {
    if (dump(doc, room.kind) !== expected) {
      fail(world, `${label}: ${name} of ${room.name} differs from the expected document`);
    }
  }
  fromMemory.destroy();
  fromStore.destroy();
}

/** One change by a random person: sent, judged, compared. */
async function step(world: World, rooms: RoomState[], label: string): Promise<void> {
  const { dice } = world;
  const room = dice.chance(0.6) ? rooms[0] : rooms[1];
  const writers = room.people.filter((p) => p.role !== 'commenter' || room.kind === 'comments');
  const outsider = room.people.find((p) => !writers.includes(p));
  const person = outsider && dice.chance(0.05) ? outsider : dice.pick(writers);
  world.now += 1_000;
  const ctx: Ctx = { dice, person, room, world };
  const weights: Record<string, number> =
    room.kind === 'comments' ? COMMENT_WEIGHTS : INDEX_WEIGHTS;
  const allowed = Object.fromEntries(Object.entries(weights).filter(([k]) => !EXCLUDE.has(k)));
  let kind = dice.weighted(allowed);
  // A person outside the role writes as the app would; whatever it is, it is dropped.
  if (person === outsider) kind = dice.pick(['upsert', 'addEntry', 'rename']);

  const fallback = () =>
    room.kind === 'comments' ? commentGenerators.thread(ctx)! : indexGenerators.addEntry(ctx)!;
  let sent: Sent | null = null;
  let op: Op;
  const appendsBefore = world.store.appends(room.name);
  if (kind === 'overlap') {
    const prep = overlapPrep(ctx);
    if (prep) {
      const before = world.store.appends(room.name);
      await judge(world, ctx, prep, await sendPlain(ctx, prep), before, `${label} (set-up)`);
      const crafted = person.conn.closed ? null : overlapStruct(ctx);
      if (crafted) {
        op = { kind, what: crafted.what, expect: 'refuse', write: () => {} };
        const before = world.store.appends(room.name);
        sent = {
          applied: [crafted.update],
          outcome: await deliver(world, person, [crafted.update], op.what),
          resetAfter: true
        };
        return judge(world, ctx, op, sent, before, label);
      }
    }
    op = fallback();
    sent = await sendPlain(ctx, op);
  } else if (kind === 'resync') {
    const first =
      generate(ctx, dice.pick(Object.keys(allowed).filter((k) => !SPECIAL.has(k)))) ?? fallback();
    const second = legitInsert(ctx);
    op = {
      kind,
      what: `sends "${second.what}" before "${first.what}" (${first.expect}), which it builds on`,
      expect: first.expect,
      write: () => {}
    };
    sent = await sendOutOfOrder(ctx, first, second);
    if (sent && sent.applied.length === 1 && Y.decodeUpdate(sent.applied[0]).structs.length === 0) {
      op = first;
    }
  } else if (kind === 'offline') {
    const session = offlineSession(ctx);
    op = {
      kind,
      what: `offline, then the whole session as sync step 2: ${session.map((o) => o.what).join('; ')}`,
      expect: 'accept',
      write: () => {}
    };
    const since = Y.encodeStateVector(person.doc);
    for (const change of session) onCopy(person, change);
    const whole = Y.encodeStateAsUpdate(person.doc, since);
    sent = {
      applied: [whole],
      outcome: await deliver(world, person, [whole], op.what, syncProtocol.messageYjsSyncStep2),
      resetAfter: false
    };
  } else if (kind === 'contentString') {
    op = stringSet(ctx) ?? fallback();
    sent = op.kind === 'contentString' ? await sendString(ctx, op) : await sendPlain(ctx, op);
  } else {
    op = (kind === 'mixed' ? mixed(ctx, weights) : generate(ctx, kind)) ?? fallback();
    sent = await sendPlain(ctx, op);
  }
  if (person === outsider) op.expect = 'drop';
  return judge(world, ctx, op, sent, appendsBefore, label);
}

async function judge(
  world: World,
  ctx: Ctx,
  op: Op,
  sent: Sent | null,
  appendsBefore: number,
  label: string
) {
  const { person, room } = ctx;
  const entry = `${label} ${room.kind} ${person.id}(${person.role}) ${op.kind}: ${op.what} — expect ${op.expect}`;
  world.log.push(entry);
  if (!sent) fail(world, `the change wrote nothing: ${entry}`);
  const { outcome } = sent;
  world.log[world.log.length - 1] += `, got ${outcome.verdict} (${outcome.detail})`;
  world.count(op.kind, outcome.verdict);
  if (outcome.verdict !== op.expect) {
    const wanted = {
      accept: 'did not accept a change the rules allow',
      refuse:
        outcome.verdict === 'accept'
          ? 'let through a change the rules forbid'
          : 'did not refuse (4403) a change the rules forbid',
      drop: 'did not drop a write outside the role'
    }[op.expect];
    fail(world, `the relay ${wanted}: ${entry}; it answered: ${outcome.detail}`);
  }
  const others = room.people.filter((p) => p !== person);
  const receivedBefore = others.map((p) => p.received);
  if (outcome.verdict === 'accept') {
    for (const update of sent.applied) Y.applyUpdate(room.expected, update);
    for (const other of others) drain(other);
    const stored = world.store.storedDoc(room.name);
    if (
      !sameStateVector(stored, room.expected) ||
      dump(stored, room.kind) !== dump(room.expected, room.kind)
    ) {
      fail(world, `the stored document is not what was allowed after: ${entry}`);
    }
    for (const someone of room.people) {
      if (!sameStateVector(someone.doc, room.expected)) {
        fail(world, `${someone.id}'s copy does not hold the allowed change: ${entry}`);
      }
    }
  } else {
    // A few turns for anything the relay would still store or forward.
    for (let i = 0; i < 3; i++) await turn();
    for (const other of others) drain(other);
    if (world.store.appends(room.name) !== appendsBefore) {
      fail(world, `the store was given something from a ${outcome.verdict} change: ${entry}`);
    }
    if (others.some((p, i) => p.received !== receivedBefore[i])) {
      fail(world, `a ${outcome.verdict} change was forwarded: ${entry}`);
    }
    if (outcome.verdict === 'drop' && person.conn.closed) {
      fail(world, `a write outside the role closed the connection: ${entry}`);
    }
  }
  if (outcome.verdict !== 'accept' || sent.resetAfter) {
    await joinRoom(world, room, person.id, person.role, person);
    if (!sameStateVector(person.doc, room.expected)) {
      fail(world, `${person.id}'s fresh copy is not the expected document after: ${entry}`);
    }
  }
}

async function openEpoch(world: World, epoch: number): Promise<RoomState[]> {
  const ws = `w${epoch}`;
  const comments: RoomState = {
    kind: 'comments',
    name: commentsRoom(ws, 'doc'),
    expected: new Y.Doc(),
    people: [],
    names: ['ann', 'bob', 'cyd', 'eve', 'mallory']
  };
  const index: RoomState = {
    kind: 'index',
    name: indexRoom(ws),
    expected: new Y.Doc(),
    people: [],
    names: ['eve', 'fay', 'z', 'bob', 'mallory']
  };
  const cast: [RoomState, string, Role][] = [
    [comments, 'ann', 'commenter'],
    [comments, 'bob', 'commenter'],
    [comments, 'cyd', 'commenter'],
    [comments, 'eve', 'editor'],
    [index, 'eve', 'editor'],
    [index, 'fay', 'editor'],
    [index, 'z', 'editor'],
    [index, 'bob', 'commenter']
  ];
  for (const [room, id, role] of cast) room.people.push(await joinRoom(world, room, id, role));
  return [comments, index];
}

async function closeEpoch(world: World, rooms: RoomState[], label: string): Promise<void> {
  for (const room of rooms) {
    await deepCheck(world, room, label);
    // A newcomer syncing from the relay sees exactly the expected document.
    const newcomer = await joinRoom(world, room, 'newcomer', 'viewer');
    if (dump(newcomer.doc, room.kind) !== dump(room.expected, room.kind)) {
      fail(world, `${label}: a fresh client of ${room.name} does not see the expected document`);
    }
    for (const person of [...room.people, newcomer]) {
      person.conn.close();
      person.doc.destroy();
    }
    room.expected.destroy();
  }
}

describe('ownership fuzz', { timeout: 300_000 }, () => {
  it(`${OPS.toLocaleString('en')} random changes by random people through the relay (seed ${SEED})`, async () => {
    const dataDir = tempDataDir();
    const store = new WatchedStore(new SqliteStore(join(dataDir, 'relay.sqlite')));
    const access = new Access({
      store: resources.add(new SqliteAccessStore(':memory:'), (s) => s.close()),
      secret: randomBytes(32),
      workspaceId: 'w0'
    });
    const relay = new Relay({
      store,
      hooks: accessHooks(access),
      logger: silentLogger,
      // Compaction within an epoch, so the SQLite reads cover snapshots too.
      compactAfterUpdates: 40,
      limits: { messagesPerSecond: 0, bytesPerSecond: 0 }
    });
    resources.add(relay, async (r) => {
      await r.close();
      await store.close();
    });
    const world = new World(new Dice(seededRandom(SEED)), relay, store);
    const started = performance.now();
    let done = 0;
    for (let epoch = 0; done < OPS; epoch++) {
      const rooms = await openEpoch(world, epoch);
      for (let i = 0; i < EPOCH_OPS && done < OPS; i++, done++) {
        const label = `[epoch ${epoch} step ${i}]`;
        await step(world, rooms, label);
        if ((i + 1) % DEEP_CHECK_EVERY === 0) {
          for (const room of rooms) await deepCheck(world, room, label);
        }
      }
      await closeEpoch(world, rooms, `[end of epoch ${epoch}]`);
    }
    const ms = Math.round(performance.now() - started);
    const totals = { accept: 0, refuse: 0, drop: 0 };
    for (const entry of world.counts.values()) {
      for (const verdict of ['accept', 'refuse', 'drop'] as const)
        totals[verdict] += entry[verdict];
    }
    console.log(
      `ownership fuzz (seed ${SEED}): ${done} changes in ${ms} ms; ` +
        `allowed ${totals.accept}, refused ${totals.refuse}, dropped ${totals.drop}; by kind ` +
        JSON.stringify(Object.fromEntries(world.counts))
    );
    expect(done).toBe(OPS);
    // Every kind was tried, and the ones that depend on who does them went both ways.
    if (OPS >= 2_000) {
      for (const kind of [...Object.keys(COMMENT_WEIGHTS), ...Object.keys(INDEX_WEIGHTS)]) {
        if (EXCLUDE.has(kind)) continue;
        expect(world.counts.has(kind), `${kind} tried at least once`).toBe(true);
      }
      for (const kind of [
        'editText',
        'forgedReact',
        'forgedResolve',
        'forgedMember',
        'replaceEntry'
      ]) {
        if (EXCLUDE.has(kind)) continue;
        expect(world.counts.get(kind)?.accept, `${kind} allowed at least once`).toBeGreaterThan(0);
        expect(world.counts.get(kind)?.refuse, `${kind} refused at least once`).toBeGreaterThan(0);
      }
    }
  });
});

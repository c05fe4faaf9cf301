/**
 * Who may write what in each kind of room: the table the relay enforces on
 * every item an update inserts, overwrites or deletes, and the app reads so
 * it never offers what the relay would refuse. Pure data and a pure
 * evaluator, no Yjs: server/auth/updateWrites.ts turns an update into the
 * `Write`s below.
 *
 * The rules in words (DOMAIN.md, "Who owns what in the record"):
 * - comments room: anyone who may comment starts threads and replies in their
 *   own name; only the author edits or soft-deletes their comment and ask;
 *   reactions only under the reactor's own id; resolve / reopen in one's own
 *   name by anyone; threads and replies are never removed, by anyone.
 * - index: a member entry is written only by that person (the relay writes it
 *   when an invite is redeemed, outside these rules); a list entry's
 *   `createdBy` names its writer on creation and never changes; `updatedBy`
 *   and `deletedBy` name the writer; an entry is replaced or removed only by
 *   whoever created it.
 * - document rooms: the body and fields as before (editors); `meta.createdBy`
 *   names its writer and never changes; field history entries and `updatedBy`
 *   name the writer; a reaction is the reactor's. (Retrospective entries
 *   stay writable by editors: importing a retrospective's Markdown writes
 *   everyone's entries.)
 */
import type { ParsedRoom } from './rooms.js';

/**
 * Who may make a write:
 * - `anyone`: anyone whose role may write the room;
 * - `creator`: only in the update that creates the container;
 * - `owner`: the container's owner (its `owner` key names the writer);
 * - `valueOwner`: the owner of the value being replaced or removed (a value
 *   with no owner may be replaced by anyone);
 * - `nobody`: never.
 */
export type Who = 'anyone' | 'creator' | 'owner' | 'valueOwner' | 'nobody';

export interface KeyRule {
  /** Who may set the key while it has no value. */
  add: Who;
  /** Who may overwrite its value. */
  change: Who;
  /** Who may remove its value without setting another (default: `change`). */
  remove?: Who;
  /** Every value set must be the writer's id (`value`), or an object whose `by` is (`by`). */
  names?: 'value' | 'by';
  /**
   * The key itself names its owner: it is the writer's id (`exact`) or starts
   * with `<id>:` (`prefix`), for a write at the key and everything beneath.
   */
  keyNames?: 'exact' | 'prefix';
  /** Must be set in the update that creates the container. */
  required?: boolean;
  /**
   * Fields of a plain-object value that only the relay writes: a new value
   * may leave them out (a device that has not heard from the relay yet
   * cannot copy them), but what it carries must be what the relay wrote.
   */
  keeps?: readonly string[];
  /** What the value holds when it is a shared type; without it, nothing beneath is writable after creation. */
  holds?: Spec;
}

export type Spec =
  /** Anything beneath, by anyone who may write the room. */
  | { kind: 'open' }
  /** Nothing, by anyone. */
  | { kind: 'closed' }
  | {
      kind: 'map';
      /** The key whose value names the container's owner. */
      owner?: string;
      keys?: Readonly<Record<string, KeyRule>>;
      otherKeys: KeyRule;
    }
  | { kind: 'list'; add: Who; remove: Who; names?: 'value' | 'by'; holds?: Spec };

export interface RoomPolicy {
  roots: Readonly<Record<string, Spec>>;
  otherRoots: Spec;
}

// ---------------------------------------------------------------- the table

const FIXED: KeyRule = { add: 'creator', change: 'nobody' };
const ANYONE: KeyRule = { add: 'anyone', change: 'anyone' };
const NAMES_WRITER: KeyRule = { add: 'anyone', change: 'anyone', names: 'value' };
const AUTHOR_ONLY: KeyRule = { add: 'owner', change: 'owner' };

const REACTIONS_MAP: Spec = {
  kind: 'map',
  otherKeys: { add: 'anyone', change: 'anyone', keyNames: 'prefix' }
};

const COMMENT: Spec = {
  kind: 'map',
  owner: 'author',
  keys: {
    author: { ...FIXED, names: 'value', required: true },
    text: AUTHOR_ONLY,
    editedAt: AUTHOR_ONLY,
    deletedAt: AUTHOR_ONLY,
    ask: AUTHOR_ONLY,
    reactions: { ...FIXED, holds: REACTIONS_MAP }
  },
  otherKeys: FIXED
};

const THREAD: Spec = {
  kind: 'map',
  owner: 'createdBy',
  keys: {
    createdBy: { ...FIXED, names: 'value', required: true },
    resolution: { add: 'anyone', change: 'anyone', remove: 'nobody', names: 'by' },
    comments: {
      ...FIXED,
      holds: { kind: 'list', add: 'anyone', remove: 'nobody', holds: COMMENT }
    }
  },
  otherKeys: FIXED
};

const COMMENTS_POLICY: RoomPolicy = {
  roots: {
    threads: { kind: 'map', otherKeys: { add: 'anyone', change: 'nobody', holds: THREAD } }
  },
  otherRoots: { kind: 'closed' }
};

const INDEX_ENTRY: Spec = {
  kind: 'map',
  owner: 'createdBy',
  keys: {
    createdBy: { ...FIXED, names: 'value' },
    updatedBy: NAMES_WRITER,
    deletedBy: NAMES_WRITER
  },
  otherKeys: ANYONE
};

const INDEX_POLICY: RoomPolicy = {
  roots: {
    documents: {
      kind: 'map',
      otherKeys: { add: 'anyone', change: 'valueOwner', holds: INDEX_ENTRY }
    },
    // `role` and `removedAt` are the relay's record of the person (written on
    // redeeming an invite and on removal), not theirs to change.
    members: {
      kind: 'map',
      otherKeys: {
        ...ANYONE,
        remove: 'nobody',
        keyNames: 'exact',
        keeps: ['role', 'removedAt']
      }
    }
  },
  otherRoots: { kind: 'open' }
};

const DOC_POLICY: RoomPolicy = {
  roots: {
    meta: {
      kind: 'map',
      keys: {
        createdBy: { add: 'anyone', change: 'nobody', names: 'value' },
        updatedBy: NAMES_WRITER
      },
      otherKeys: ANYONE
    },
    'fields.history': { kind: 'list', add: 'anyone', remove: 'nobody', names: 'by' },
    'fields.reactions': REACTIONS_MAP
  },
  otherRoots: { kind: 'open' }
};

/** The policy for a room kind; null for names outside the scheme (refused at the door). */
export function roomPolicy(type: ParsedRoom['type']): RoomPolicy | null {
  switch (type) {
    case 'comments':
      return COMMENTS_POLICY;
    case 'index':
      return INDEX_POLICY;
    case 'doc':
      return DOC_POLICY;
    case 'other':
      return null;
  }
}

/** Whether everything under a root is open to anyone who may write the room (no write to check). */
export function rootIsOpen(policy: RoomPolicy, root: string): boolean {
  return (policy.roots[root] ?? policy.otherRoots).kind === 'open';
}

// ---------------------------------------------------------------- writes

/** A shared type along a write's way, as the update leaves it. */
export interface Container {
  /** Created by the update being checked. */
  readonly isNew: boolean;
  /** What kind of shared type it is (a relay's roots are untyped: `other`). */
  readonly shape: 'map' | 'list' | 'other';
  /**
   * A key's value: before the update for a container that exists, as the
   * update sets it for a new one. A shared type reads as a Container;
   * undefined when there is none.
   */
  get(key: string): unknown;
}

export function isContainer(value: unknown): value is Container {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Container).get === 'function' &&
    typeof (value as Container).isNew === 'boolean'
  );
}

/** One level of a write's place: a container and the key in it (null: an element of a list). */
export interface Hop {
  container: Container;
  key: string | null;
}

/**
 * One thing an update does:
 * - `set`: new content at a map key (replacing any value there) or in a list;
 *   `values` are what it holds (a shared type as a Container; none when its
 *   content was already garbage-collected, which only happens to a value the
 *   same update replaces again);
 * - `remove`: a value taken away with nothing set in its place (a deleted
 *   list element, or a map key deleted).
 */
export interface Write {
  op: 'set' | 'remove';
  root: string;
  /** From the root's container down; the last hop is where the write lands. */
  hops: readonly Hop[];
  values: readonly unknown[];
}

/** Why a write is refused, or null when the policy allows it. */
export function checkWrite(policy: RoomPolicy, writer: string, write: Write): string | null {
  let spec: Spec = policy.roots[write.root] ?? policy.otherRoots;
  const { hops } = write;
  for (let i = 0; i < hops.length; i++) {
    const { container, key } = hops[i];
    const last = i === hops.length - 1;
    const where = describe(write.root, hops, i);
    switch (spec.kind) {
      case 'open':
        return null;
      case 'closed':
        return `${where} is not writable`;
      case 'map': {
        if (key === null) return `${where} takes keys, not list elements`;
        const rule = spec.keys?.[key] ?? spec.otherKeys;
        if (rule.keyNames && !keyNamesWriter(key, writer, rule.keyNames)) {
          return `${where} belongs to someone else`;
        }
        if (last) {
          const current = container.isNew ? undefined : container.get(key);
          // Setting the value a key already holds changes nothing anyone
          // reads (two devices of one person initialising the same meta).
          if (write.op === 'set' && sameValue(current, write.values)) return null;
          const who =
            write.op === 'remove'
              ? (rule.remove ?? rule.change)
              : current === undefined
                ? rule.add
                : rule.change;
          const holds = rule.holds?.kind === 'map' ? rule.holds.owner : undefined;
          if (!allowed(who, writer, container, spec.owner, current, holds)) {
            return `${where} cannot be ${write.op === 'remove' ? 'removed' : current === undefined ? 'set' : 'changed'} by this person`;
          }
          return write.op === 'set'
            ? (checkValues(rule.names, rule.holds, writer, write, where) ??
                checkKept(rule.keeps, current, write.values, where))
            : null;
        }
        if (!rule.holds) return beneathNew(hops, i) ? null : `${where} is not writable inside`;
        spec = rule.holds;
        break;
      }
      case 'list': {
        if (key !== null) return `${where} takes list elements, not keys`;
        if (last) {
          const who = write.op === 'remove' ? spec.remove : spec.add;
          if (!allowed(who, writer, container, undefined, undefined, undefined)) {
            return `${where} cannot be ${write.op === 'remove' ? 'removed' : 'added to'} by this person`;
          }
          return write.op === 'set'
            ? checkValues(spec.names, spec.holds, writer, write, where)
            : null;
        }
        if (!spec.holds) return beneathNew(hops, i) ? null : `${where} is not writable inside`;
        spec = spec.holds;
        break;
      }
    }
  }
  return null;
}

function allowed(
  who: Who,
  writer: string,
  container: Container,
  ownerKey: string | undefined,
  current: unknown,
  currentOwnerKey: string | undefined
): boolean {
  switch (who) {
    case 'anyone':
      return true;
    case 'nobody':
      return false;
    case 'creator':
      return container.isNew;
    case 'owner':
      // A new container's owner key is checked where it is set (`names`).
      return container.isNew || (ownerKey !== undefined && container.get(ownerKey) === writer);
    case 'valueOwner': {
      if (container.isNew || !isContainer(current) || currentOwnerKey === undefined) return true;
      const owner = current.get(currentOwnerKey);
      return owner === undefined || owner === writer;
    }
  }
}

function checkValues(
  names: 'value' | 'by' | undefined,
  holds: Spec | undefined,
  writer: string,
  write: Write,
  where: string
): string | null {
  for (const value of write.values) {
    if (names === 'value' && value !== writer) return `${where} names someone else`;
    if (names === 'by') {
      const by =
        typeof value === 'object' && value !== null ? (value as { by?: unknown }).by : undefined;
      if (by !== writer) return `${where} names someone else`;
    }
    // Where the table describes a structure, only that structure goes: a
    // plain object where a comment belongs would read as one to others.
    if ((holds?.kind === 'map' || holds?.kind === 'list') && value !== undefined) {
      const shape = holds.kind;
      if (!isContainer(value) || value.shape !== shape) return `${where} must hold a ${shape}`;
    }
    // A container created here must carry its required keys (an author, say).
    if (holds?.kind === 'map' && isContainer(value) && value.isNew) {
      for (const [key, rule] of Object.entries(holds.keys ?? {})) {
        if (rule.required && value.get(key) === undefined) return `${where} has no ${key}`;
      }
    }
  }
  return null;
}

function sameValue(current: unknown, values: readonly unknown[]): boolean {
  if (current === undefined || isContainer(current) || values.length !== 1) return false;
  const [value] = values;
  if (isContainer(value)) return false;
  return JSON.stringify(value) === JSON.stringify(current);
}

function checkKept(
  keeps: readonly string[] | undefined,
  current: unknown,
  values: readonly unknown[],
  where: string
): string | null {
  if (!keeps) return null;
  const field = (value: unknown, key: string) =>
    typeof value === 'object' && value !== null && !isContainer(value)
      ? JSON.stringify((value as Record<string, unknown>)[key])
      : undefined;
  for (const value of values) {
    for (const key of keeps) {
      const carried = field(value, key);
      if (carried !== undefined && carried !== field(current, key)) {
        return `${where}.${key} is kept by the relay`;
      }
    }
  }
  return null;
}

function keyNamesWriter(key: string, writer: string, how: 'exact' | 'prefix'): boolean {
  return how === 'exact' ? key === writer : key.startsWith(`${writer}:`);
}

/** Past the described structure, writes land only in what this update creates. */
function beneathNew(hops: readonly Hop[], from: number): boolean {
  for (let i = from + 1; i < hops.length; i++) if (!hops[i].container.isNew) return false;
  return true;
}

function describe(root: string, hops: readonly Hop[], upTo: number): string {
  let path = root;
  for (let i = 0; i <= upTo; i++) path += hops[i].key === null ? '[]' : `.${hops[i].key}`;
  return path;
}

// ---------------------------------------------------------------- for the app

const existing = (values: Record<string, unknown> = {}): Container => ({
  isNew: false,
  shape: 'map',
  get: (key) => values[key]
});

/**
 * Whether a person may edit or delete a comment, read from the table (a set
 * of its `text` in an existing thread): only its author, and not once deleted.
 */
export function mayChangeComment(
  comment: { author: string; deletedAt: number | null },
  person: string
): boolean {
  if (!person || comment.deletedAt !== null) return false;
  const write: Write = {
    op: 'set',
    root: 'threads',
    hops: [
      { container: existing(), key: 'thread' },
      { container: existing({ comments: existing() }), key: 'comments' },
      { container: { ...existing(), shape: 'list' }, key: null },
      { container: existing({ author: comment.author }), key: 'text' }
    ],
    // An edit: a value other than the comment's current one (none here).
    values: ['edited']
  };
  return checkWrite(COMMENTS_POLICY, person, write) === null;
}

/** Whether a person may write a workspace member entry, read from the table. */
export function mayWriteMember(memberId: string, person: string): boolean {
  if (!person) return false;
  const write: Write = {
    op: 'set',
    root: 'members',
    hops: [{ container: existing({ [memberId]: {} }), key: memberId }],
    values: [{}]
  };
  return checkWrite(INDEX_POLICY, person, write) === null;
}

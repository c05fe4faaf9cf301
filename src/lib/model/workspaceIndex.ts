/**
 * The workspace index: the list of documents, held in its own Y.Doc so the
 * home page opens (online or not) without loading every document.
 *
 * An entry mirrors the title and kind of its document. A title can be changed
 * in either place (renamed from the list, or typed in the document), so both
 * carry `titleAt` and the newer one wins (`isNewerTitle`); whoever has the
 * document open copies the winner across (`syncEntryFromDoc`, and
 * DocumentState for the other direction).
 *
 * Deleting only marks an entry (`deletedAt`), never removes it: a document
 * deleted by a stray click can be restored from the trash on any device.
 */
import * as Y from 'yjs';
import {
  INDEX_ROOTS,
  isDocumentKind,
  isNewerTitle,
  normalizeTitle,
  numberOr,
  stringOr,
  cutToCodePoints,
  type Author,
  type DocumentKind,
  type MetaInit
} from './schema.js';
import { isStatus, type Status } from './lifecycle.js';

/** What the list mirrors of a document's fields, so it can filter without loading it. */
export interface EntrySummary {
  status: Status;
  tldr: string;
  reviewClosesAt: number | null;
  adrNumber: number | null;
  /** Person ids named in the document's fields (DACI, reviewers, team, hand-off). */
  people: string[];
  /** Links to other documents from the fields (supersededBy, decidedIn): field → id. */
  links: Record<string, string>;
}

export interface IndexEntry extends EntrySummary {
  id: string;
  title: string;
  titleAt: number;
  kind: DocumentKind;
  createdAt: number;
  createdBy: string;
  updatedAt: number;
  updatedBy: string;
  deletedAt: number | null;
  deletedBy: string | null;
}

type EntryMap = Y.Map<unknown>;

export function getDocumentsMap(index: Y.Doc): Y.Map<EntryMap> {
  return index.getMap(INDEX_ROOTS.documents);
}

function readEntry(id: string, map: EntryMap): IndexEntry {
  const kind = map.get('kind');
  const deletedAt = map.get('deletedAt');
  const deletedBy = map.get('deletedBy');
  const status = map.get('status');
  const reviewClosesAt = map.get('reviewClosesAt');
  const adrNumber = map.get('adrNumber');
  const people = map.get('people');
  return {
    id,
    title: stringOr(map.get('title'), ''),
    titleAt: numberOr(map.get('titleAt'), numberOr(map.get('createdAt'), 0)),
    kind: isDocumentKind(kind) ? kind : 'note',
    createdAt: numberOr(map.get('createdAt'), 0),
    createdBy: stringOr(map.get('createdBy'), ''),
    updatedAt: numberOr(map.get('updatedAt'), 0),
    updatedBy: stringOr(map.get('updatedBy'), ''),
    deletedAt: typeof deletedAt === 'number' ? deletedAt : null,
    deletedBy: typeof deletedBy === 'string' ? deletedBy : null,
    status: isStatus(status) ? status : 'draft',
    tldr: stringOr(map.get('tldr'), ''),
    reviewClosesAt: typeof reviewClosesAt === 'number' ? reviewClosesAt : null,
    adrNumber: typeof adrNumber === 'number' ? adrNumber : null,
    people: Array.isArray(people) ? people.filter((p): p is string => typeof p === 'string') : [],
    links: readLinks(map.get('links'))
  };
}

function readLinks(raw: unknown): Record<string, string> {
  const links: Record<string, string> = {};
  if (typeof raw !== 'object' || raw === null) return links;
  for (const [key, value] of Object.entries(raw)) if (typeof value === 'string') links[key] = value;
  return links;
}

function sameLinks(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => a[key] === b[key]);
}

/** The TL;DR the list shows is cut here: it is a summary of a summary. */
export const MAX_LIST_TLDR = 280;

/**
 * Copies a document's field summary into its entry; writes only what
 * changed, so an open document does not write to the index on every keystroke
 * of its body.
 */
export function syncEntrySummary(index: Y.Doc, id: string, summary: EntrySummary): void {
  const map = getDocumentsMap(index).get(id);
  if (!(map instanceof Y.Map)) return;
  const tldr = cutToCodePoints(summary.tldr.replace(/\s+/g, ' ').trim(), MAX_LIST_TLDR);
  const people = [...new Set(summary.people)].sort();
  const current = readEntry(id, map);
  const changes: [string, unknown][] = [];
  if (current.status !== summary.status) changes.push(['status', summary.status]);
  if (current.tldr !== tldr) changes.push(['tldr', tldr]);
  if (current.reviewClosesAt !== summary.reviewClosesAt)
    changes.push(['reviewClosesAt', summary.reviewClosesAt]);
  if (current.adrNumber !== summary.adrNumber) changes.push(['adrNumber', summary.adrNumber]);
  if (current.people.join() !== people.join()) changes.push(['people', people]);
  if (!sameLinks(current.links, summary.links))
    changes.push(['links', Object.keys(summary.links).length > 0 ? { ...summary.links } : null]);
  if (changes.length === 0) return;
  index.transact(() => {
    for (const [key, value] of changes) {
      if (value === null) map.delete(key);
      else map.set(key, value);
    }
  });
}

export function getEntry(index: Y.Doc, id: string): IndexEntry | null {
  const map = getDocumentsMap(index).get(id);
  return map instanceof Y.Map ? readEntry(id, map) : null;
}

/** Every entry, newest edit first; ties broken by id so the order is stable. */
export function listEntries(
  index: Y.Doc,
  filter: 'live' | 'deleted' | 'all' = 'live'
): IndexEntry[] {
  const entries: IndexEntry[] = [];
  getDocumentsMap(index).forEach((map, id) => {
    if (!(map instanceof Y.Map)) return;
    const entry = readEntry(id, map);
    const deleted = entry.deletedAt !== null;
    if (filter === 'all' || (filter === 'deleted') === deleted) entries.push(entry);
  });
  return sortEntries(entries);
}

export function sortEntries(entries: IndexEntry[]): IndexEntry[] {
  return entries.sort((a, b) => b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1));
}

/** 16 random URL-safe characters: 96 bits, enough to never collide offline. */
export function newDocumentId(random: (bytes: Uint8Array) => Uint8Array = defaultRandom): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-';
  const bytes = random(new Uint8Array(16));
  let id = '';
  for (const b of bytes) id += alphabet[b & 63];
  return id;
}

function defaultRandom(bytes: Uint8Array): Uint8Array {
  return globalThis.crypto.getRandomValues(bytes);
}

/**
 * What "created by", "last edited by" and "deleted by" store: the person id,
 * looked up in the member list when shown (people.ts displayName), so a
 * rename shows everywhere. An author without an id is stored by name.
 */
export function personRef(author: Author): string {
  return author.userId || author.name;
}

export function addEntry(
  index: Y.Doc,
  init: { id: string; title: string; kind: DocumentKind; author: Author; now: number }
): void {
  const documents = getDocumentsMap(index);
  if (documents.has(init.id)) return;
  index.transact(() => {
    const map = new Y.Map<unknown>();
    map.set('title', normalizeTitle(init.title));
    map.set('titleAt', init.now);
    map.set('kind', init.kind);
    map.set('createdAt', init.now);
    map.set('createdBy', personRef(init.author));
    map.set('updatedAt', init.now);
    map.set('updatedBy', personRef(init.author));
    documents.set(init.id, map);
  });
}

function entryMap(index: Y.Doc, id: string): EntryMap {
  const map = getDocumentsMap(index).get(id);
  if (!(map instanceof Y.Map)) throw new Error(`No document with id ${id} in this workspace`);
  return map;
}

export function renameEntry(
  index: Y.Doc,
  id: string,
  title: string,
  author: Author,
  now: number
): void {
  const map = entryMap(index, id);
  index.transact(() => {
    map.set('title', normalizeTitle(title));
    map.set('titleAt', now);
    map.set('updatedAt', now);
    map.set('updatedBy', personRef(author));
  });
}

/** Records that a document was edited; writes nothing if it changes nothing. */
export function touchEntry(index: Y.Doc, id: string, author: Author, now: number): void {
  const map = getDocumentsMap(index).get(id);
  if (!(map instanceof Y.Map)) return;
  if (map.get('updatedAt') === now && map.get('updatedBy') === personRef(author)) return;
  index.transact(() => {
    map.set('updatedAt', now);
    map.set('updatedBy', personRef(author));
  });
}

/**
 * Brings an entry in line with its document's meta: the title when the
 * document's is newer, and the kind. Creates the entry when a document is
 * known (for example opened from a link) but not listed yet; `createdBy` and
 * `updatedBy` name their writer (writePolicy.ts), so an entry made for
 * someone else's document carries neither. The author's own entry, made on
 * their device, meets it as a concurrent value of the same key: Yjs keeps
 * one of the two, so the list may show such a document with no creator.
 */
export function syncEntryFromDoc(index: Y.Doc, id: string, meta: MetaInit, writer: string): void {
  const titleAt = meta.titleAt ?? meta.createdAt;
  const documents = getDocumentsMap(index);
  const map = documents.get(id);
  if (!(map instanceof Y.Map)) {
    index.transact(() => {
      const created = new Y.Map<unknown>();
      created.set('title', meta.title);
      created.set('titleAt', titleAt);
      created.set('kind', meta.kind);
      created.set('createdAt', meta.createdAt);
      created.set('updatedAt', meta.createdAt);
      if (meta.createdBy && meta.createdBy === writer) {
        created.set('createdBy', meta.createdBy);
        created.set('updatedBy', meta.createdBy);
      }
      documents.set(id, created);
    });
    return;
  }
  const entry = readEntry(id, map);
  const titleWins = isNewerTitle({ title: meta.title, titleAt }, entry);
  if (!titleWins && entry.kind === meta.kind) return;
  index.transact(() => {
    if (titleWins) {
      map.set('title', meta.title);
      map.set('titleAt', titleAt);
    }
    if (entry.kind !== meta.kind) map.set('kind', meta.kind);
  });
}

export function deleteEntry(index: Y.Doc, id: string, author: Author, now: number): void {
  const map = entryMap(index, id);
  index.transact(() => {
    map.set('deletedAt', now);
    map.set('deletedBy', personRef(author));
  });
}

export function restoreEntry(index: Y.Doc, id: string, author: Author, now: number): void {
  const map = entryMap(index, id);
  index.transact(() => {
    map.delete('deletedAt');
    map.delete('deletedBy');
    map.set('updatedAt', now);
    map.set('updatedBy', personRef(author));
  });
}

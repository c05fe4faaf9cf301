/**
 * The document schema: what every Yjs document in a workspace holds, by root
 * name. This module is the single source of truth; docs/schema.md describes the
 * same thing for third-party clients. Pure: no DOM, no Svelte, no IndexedDB.
 *
 * Two kinds of Yjs document live in a workspace, each in its own relay room:
 *
 * - the workspace index (room `<workspaceId>.index`): a `documents` Y.Map from
 *   document id to a Y.Map entry (title, kind, timestamps, who, deletedAt).
 *   The home page reads only this, so the list opens without loading every
 *   document.
 * - one document per room (`<workspaceId>.doc.<documentId>`): a `meta` Y.Map
 *   (title, kind, createdAt, createdBy, schemaVersion) and a `body`
 *   Y.XmlFragment holding the rich text in the tiptap/ProseMirror schema.
 *
 * Later issues add roots beside these (`fields` for structured fields,
 * `comments` for threads); a root that is not read is simply ignored by older
 * clients, so adding one needs no migration.
 */
import * as Y from 'yjs';

export const SCHEMA_VERSION = 1;

/** Root names inside a document's Y.Doc. */
export const DOC_ROOTS = {
  meta: 'meta',
  body: 'body'
} as const;

/** Root names inside the workspace index Y.Doc. */
export const INDEX_ROOTS = {
  documents: 'documents',
  /** The workspace member list (src/lib/model/people.ts). */
  members: 'members'
} as const;

export const DOCUMENT_KINDS = [
  'note',
  'proposal',
  'rfc',
  'adr',
  'prfaq',
  'retro',
  'weekly',
  'handoff'
] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const KIND_LABELS: Record<DocumentKind, string> = {
  note: 'Note',
  proposal: 'Proposal / decision record',
  rfc: 'RFC',
  adr: 'ADR',
  prfaq: 'PR/FAQ',
  retro: 'Retrospective',
  weekly: 'Weekly update',
  handoff: 'Hand-off note'
};

export function isDocumentKind(value: unknown): value is DocumentKind {
  return typeof value === 'string' && (DOCUMENT_KINDS as readonly string[]).includes(value);
}

export const UNTITLED = 'Untitled';
/** Titles longer than this are cut: a title is a label, not a paragraph. */
export const MAX_TITLE_LENGTH = 200;

export function normalizeTitle(raw: string): string {
  return cutToCodePoints(raw.replace(/\s+/g, ' ').trim(), MAX_TITLE_LENGTH);
}

/**
 * Cuts at a code point boundary, then trims. A cut through a surrogate pair
 * would leave a lone surrogate, which Yjs stores locally as is but sends as
 * U+FFFD: the author and everyone else would then read different titles.
 */
export function cutToCodePoints(text: string, max: number): string {
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('').trim();
}

/** Who made a change, as shown in the document list. */
export interface Author {
  userId: string;
  name: string;
}

export interface DocumentMeta {
  title: string;
  /**
   * When the title was last set (ms). The index entry carries the same pair;
   * whichever is newer wins, so a rename from the list and one inside the
   * document never undo each other.
   */
  titleAt: number;
  kind: DocumentKind;
  createdAt: number;
  createdBy: string;
  schemaVersion: number;
}

export function getMetaMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(DOC_ROOTS.meta);
}

export function getBody(doc: Y.Doc): Y.XmlFragment {
  return doc.getXmlFragment(DOC_ROOTS.body);
}

/** Reads a document's meta, filling defaults for fields not yet synced. */
export function readMeta(doc: Y.Doc): DocumentMeta {
  const meta = getMetaMap(doc);
  const kind = meta.get('kind');
  const title = meta.get('title');
  return {
    title: typeof title === 'string' ? title : '',
    titleAt: numberOr(meta.get('titleAt'), 0),
    kind: isDocumentKind(kind) ? kind : 'note',
    createdAt: numberOr(meta.get('createdAt'), 0),
    createdBy: stringOr(meta.get('createdBy'), ''),
    schemaVersion: numberOr(meta.get('schemaVersion'), SCHEMA_VERSION)
  };
}

/**
 * The meta a document is created with (`titleAt` defaults to `createdAt`),
 * which is also all of it that its index entry mirrors.
 */
export type MetaInit = Omit<DocumentMeta, 'titleAt' | 'schemaVersion'> & { titleAt?: number };

/**
 * Writes the meta of a new document. Idempotent per field: a field another
 * device already set is kept, so two devices initialising the same document
 * offline do not fight over it.
 */
export function initMeta(doc: Y.Doc, init: MetaInit): void {
  const meta = getMetaMap(doc);
  doc.transact(() => {
    if (!meta.has('title')) {
      meta.set('title', normalizeTitle(init.title));
      meta.set('titleAt', init.titleAt ?? init.createdAt);
    }
    if (!meta.has('kind')) meta.set('kind', init.kind);
    if (!meta.has('createdAt')) meta.set('createdAt', init.createdAt);
    // Empty when the writer is not the author: only they may name themselves.
    if (!meta.has('createdBy') && init.createdBy) meta.set('createdBy', init.createdBy);
    if (!meta.has('schemaVersion')) meta.set('schemaVersion', SCHEMA_VERSION);
  });
}

export function setDocTitle(doc: Y.Doc, title: string, now: number = Date.now()): void {
  const meta = getMetaMap(doc);
  doc.transact(() => {
    meta.set('title', normalizeTitle(title));
    meta.set('titleAt', now);
  });
}

/**
 * Which of two titles wins: the later one; on a tie (two offline renames in
 * the same millisecond) the greater string, so every replica picks the same.
 */
export function isNewerTitle(
  a: { title: string; titleAt: number },
  b: { title: string; titleAt: number }
): boolean {
  return a.titleAt > b.titleAt || (a.titleAt === b.titleAt && a.title > b.title);
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}

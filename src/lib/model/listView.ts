/**
 * The document list's filters and orders, as pure functions of the index
 * entries: by kind, status and person; newest edit first, or the review
 * window closing soonest; and which reviews close today in the reader's zone.
 */
import type { DocumentKind } from './schema.js';
import type { Status } from './lifecycle.js';
import type { IndexEntry } from './workspaceIndex.js';
import { dateFormat } from './time.js';

export interface ListFilter {
  kind: DocumentKind | '';
  status: Status | '';
  /** A person id named in the document's fields, or who created or last edited it. */
  person: string;
}

export type ListOrder = 'edited' | 'closing';

export const NO_FILTER: ListFilter = { kind: '', status: '', person: '' };

export function matchesFilter(entry: IndexEntry, filter: ListFilter): boolean {
  if (filter.kind && entry.kind !== filter.kind) return false;
  if (filter.status && entry.status !== filter.status) return false;
  if (
    filter.person &&
    !entry.people.includes(filter.person) &&
    entry.createdBy !== filter.person &&
    entry.updatedBy !== filter.person
  )
    return false;
  return true;
}

/**
 * 'closing': documents in review by the instant their window closes, soonest
 * first (already closed ones lead: they are waiting for an outcome); the rest
 * follow by last edit.
 */
export function orderEntries(entries: readonly IndexEntry[], order: ListOrder): IndexEntry[] {
  const byEdit = (a: IndexEntry, b: IndexEntry) =>
    b.updatedAt - a.updatedAt || (a.id < b.id ? -1 : 1);
  if (order === 'edited') return [...entries].sort(byEdit);
  return [...entries].sort((a, b) => {
    const ca = a.status === 'review' ? a.reviewClosesAt : null;
    const cb = b.status === 'review' ? b.reviewClosesAt : null;
    if (ca !== null && cb !== null) return ca - cb || byEdit(a, b);
    if (ca !== null) return -1;
    if (cb !== null) return 1;
    return byEdit(a, b);
  });
}

function dayIn(instant: number, timeZone: string): string {
  return dateFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit'
  }).format(instant);
}

/** A review whose window closes later today, on the reader's calendar. */
export function closesToday(entry: IndexEntry, now: number, timeZone: string): boolean {
  if (entry.status !== 'review' || entry.reviewClosesAt === null) return false;
  return (
    entry.reviewClosesAt >= now && dayIn(entry.reviewClosesAt, timeZone) === dayIn(now, timeZone)
  );
}

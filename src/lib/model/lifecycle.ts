/**
 * The lifecycle every document goes through: draft → in review (with a
 * window that closes at a stated instant) → decided / accepted, or rejected →
 * superseded or archived. Pure: transitions are checked here, the app only
 * asks.
 */
import { FieldError } from './fields.js';
import type { DocumentKind } from './schema.js';

export const STATUSES = [
  'draft',
  'review',
  'decided',
  'rejected',
  'superseded',
  'archived'
] as const;
export type Status = (typeof STATUSES)[number];

export function isStatus(value: unknown): value is Status {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

/** Where each status may go next. */
export const TRANSITIONS: Record<Status, readonly Status[]> = {
  draft: ['review', 'decided', 'archived'],
  review: ['draft', 'decided', 'rejected'],
  decided: ['superseded', 'archived'],
  rejected: ['draft', 'archived'],
  superseded: ['archived'],
  archived: ['draft']
};

export function canMove(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export function checkTransition(from: Status, to: Status, kind: DocumentKind): void {
  if (from === to)
    throw new FieldError(`This document is already ${statusLabel(to, kind).toLowerCase()}.`);
  if (!canMove(from, to)) {
    throw new FieldError(
      `A document that is ${statusLabel(from, kind).toLowerCase()} cannot become ${statusLabel(to, kind).toLowerCase()} directly.`
    );
  }
}

/** What each status is called for a kind: an ADR is proposed, then accepted. */
export function statusLabel(status: Status, kind: DocumentKind): string {
  if (kind === 'adr') {
    if (status === 'draft' || status === 'review')
      return status === 'draft' ? 'Proposed' : 'Proposed, in review';
    if (status === 'decided') return 'Accepted';
  }
  if (status === 'decided' && (kind === 'rfc' || kind === 'prfaq')) return 'Accepted';
  const labels: Record<Status, string> = {
    draft: 'Draft',
    review: 'In review',
    decided: 'Decided',
    rejected: 'Rejected',
    superseded: 'Superseded',
    archived: 'Archived'
  };
  return labels[status];
}

/** The verb on the button that moves a document there. */
export function transitionLabel(to: Status, kind: DocumentKind): string {
  switch (to) {
    case 'review':
      return 'Open review';
    case 'draft':
      return 'Back to draft';
    case 'decided':
      return kind === 'adr' || kind === 'rfc' || kind === 'prfaq' ? 'Accept' : 'Record decision';
    case 'rejected':
      return 'Reject';
    case 'superseded':
      return 'Mark superseded';
    case 'archived':
      return 'Archive';
  }
}

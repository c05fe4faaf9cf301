import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  canMove,
  checkTransition,
  isStatus,
  statusLabel,
  STATUSES,
  TRANSITIONS,
  transitionLabel,
  type Status
} from '../../src/lib/model/lifecycle.js';
import { FieldError, fieldHistory } from '../../src/lib/model/fields.js';
import { readLifecycle, setStatus } from '../../src/lib/model/documentFields.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../../src/lib/model/schema.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 5, 9, 10, 0);

function newDoc(): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 1;
  return doc;
}

/** The doc's whole state, to show that a refused call stored nothing. */
function state(doc: Y.Doc): number[] {
  return Array.from(Y.encodeStateAsUpdate(doc));
}

/** What each step needs to be accepted by setStatus. */
function extraFor(to: Status, now: number) {
  if (to === 'review') return { reviewClosesAt: now + 24 * HOUR };
  if (to === 'decided' || to === 'rejected') return { outcome: `Outcome: ${to}.` };
  return {};
}

/** A document brought to `status` by legal steps only. */
function docAt(status: Status, kind: DocumentKind = 'proposal'): Y.Doc {
  const paths: Record<Status, Status[]> = {
    draft: [],
    review: ['review'],
    decided: ['decided'],
    rejected: ['review', 'rejected'],
    superseded: ['decided', 'superseded'],
    archived: ['archived']
  };
  const doc = newDoc();
  let now = T0;
  for (const step of paths[status]) {
    setStatus(doc, kind, step, 'ana', now, extraFor(step, now));
    now += HOUR;
  }
  expect(readLifecycle(doc).status).toBe(status);
  return doc;
}

describe('transitions', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));

  it('the table names only known statuses', () => {
    expect(Object.keys(TRANSITIONS).sort()).toEqual([...STATUSES].sort());
    for (const targets of Object.values(TRANSITIONS)) {
      for (const to of targets) expect(isStatus(to)).toBe(true);
    }
    expect(isStatus('accepted')).toBe(false);
    expect(isStatus(undefined)).toBe(false);
  });

  it('follows the lifecycle of DOMAIN.md', () => {
    expect(canMove('draft', 'review')).toBe(true);
    expect(canMove('review', 'decided')).toBe(true);
    expect(canMove('review', 'rejected')).toBe(true);
    expect(canMove('decided', 'superseded')).toBe(true);
    expect(canMove('decided', 'archived')).toBe(true);
    // Nothing is superseded before it was decided.
    expect(canMove('draft', 'superseded')).toBe(false);
    expect(canMove('review', 'superseded')).toBe(false);
  });

  it.each(pairs)('%s → %s: checkTransition agrees with TRANSITIONS', (from, to) => {
    const legal = from !== to && TRANSITIONS[from].includes(to);
    expect(canMove(from, to)).toBe(legal);
    for (const kind of DOCUMENT_KINDS) {
      if (legal) expect(() => checkTransition(from, to, kind)).not.toThrow();
      else expect(() => checkTransition(from, to, kind)).toThrow(FieldError);
    }
  });

  it.each(pairs)('%s → %s: setStatus accepts exactly the legal steps', (from, to) => {
    const legal = from !== to && TRANSITIONS[from].includes(to);
    const doc = docAt(from);
    const before = state(doc);
    const now = T0 + 10 * HOUR;
    if (legal) {
      setStatus(doc, 'proposal', to, 'bo', now, extraFor(to, now));
      expect(readLifecycle(doc).status).toBe(to);
      expect(fieldHistory(doc, 'status').at(-1)).toEqual({
        field: 'status',
        value: to,
        at: now,
        by: 'bo'
      });
    } else {
      expect(() => setStatus(doc, 'proposal', to, 'bo', now, extraFor(to, now))).toThrow(
        FieldError
      );
      expect(state(doc)).toEqual(before);
    }
  });

  it('says in words why a step is refused, in the kind’s own terms', () => {
    expect(() => checkTransition('draft', 'draft', 'note')).toThrow(/already draft/);
    expect(() => checkTransition('draft', 'superseded', 'adr')).toThrow(
      'A document that is proposed cannot become superseded directly.'
    );
    expect(() => checkTransition('superseded', 'decided', 'adr')).toThrow(/cannot become accepted/);
  });
});

describe('labels per kind', () => {
  it('an ADR is proposed, then accepted', () => {
    expect(statusLabel('draft', 'adr')).toBe('Proposed');
    expect(statusLabel('review', 'adr')).toBe('Proposed, in review');
    expect(statusLabel('decided', 'adr')).toBe('Accepted');
    expect(statusLabel('rejected', 'adr')).toBe('Rejected');
    expect(statusLabel('superseded', 'adr')).toBe('Superseded');
    expect(statusLabel('archived', 'adr')).toBe('Archived');
  });

  it('an RFC and a PR/FAQ are accepted; a decision record is decided', () => {
    expect(statusLabel('decided', 'rfc')).toBe('Accepted');
    expect(statusLabel('decided', 'prfaq')).toBe('Accepted');
    expect(statusLabel('decided', 'proposal')).toBe('Decided');
    expect(statusLabel('draft', 'rfc')).toBe('Draft');
    expect(statusLabel('review', 'proposal')).toBe('In review');
  });

  it('every status has a label and a button verb for every kind', () => {
    for (const kind of DOCUMENT_KINDS) {
      for (const status of STATUSES) {
        expect(statusLabel(status, kind)).toMatch(/\S/);
        expect(transitionLabel(status, kind)).toMatch(/\S/);
      }
    }
    expect(transitionLabel('decided', 'adr')).toBe('Accept');
    expect(transitionLabel('decided', 'proposal')).toBe('Record decision');
    expect(transitionLabel('review', 'rfc')).toBe('Open review');
  });
});

describe('setStatus', () => {
  it('opens a review with the window and who opened it', () => {
    const doc = newDoc();
    const closes = T0 + 72 * HOUR;
    setStatus(doc, 'rfc', 'review', 'ana', T0, { reviewClosesAt: closes });
    expect(readLifecycle(doc)).toMatchObject({
      status: 'review',
      reviewOpenedAt: T0,
      reviewOpenedBy: 'ana',
      reviewClosesAt: closes
    });
  });

  it.each([
    ['no close time', {}],
    ['a close time of 0', { reviewClosesAt: 0 }],
    ['a close time that is not a number', { reviewClosesAt: Number.NaN }],
    ['a close time in the past', { reviewClosesAt: T0 - 1 }],
    ['a close time of right now', { reviewClosesAt: T0 }]
  ])('refuses to open a review with %s, writing nothing', (_name, extra) => {
    const doc = newDoc();
    const before = state(doc);
    expect(() => setStatus(doc, 'rfc', 'review', 'ana', T0, extra)).toThrow(FieldError);
    expect(state(doc)).toEqual(before);
    expect(readLifecycle(doc).status).toBe('draft');
  });

  it('accepts a close time one millisecond in the future', () => {
    const doc = newDoc();
    setStatus(doc, 'rfc', 'review', 'ana', T0, { reviewClosesAt: T0 + 1 });
    expect(readLifecycle(doc).reviewClosesAt).toBe(T0 + 1);
  });

  it.each(['decided', 'rejected'] as const)(
    'refuses %s without an outcome, or with only spaces, writing nothing',
    (to) => {
      const doc = docAt('review');
      const before = state(doc);
      expect(() => setStatus(doc, 'proposal', to, 'ana', T0 + HOUR)).toThrow(FieldError);
      expect(() => setStatus(doc, 'proposal', to, 'ana', T0 + HOUR, { outcome: '  \n ' })).toThrow(
        /outcome/
      );
      expect(state(doc)).toEqual(before);
    }
  );

  it('records the decision: who, when and the outcome (trimmed)', () => {
    const doc = docAt('review');
    const at = T0 + 5 * HOUR;
    setStatus(doc, 'proposal', 'decided', 'cy', at, { outcome: '  We go with option B.  ' });
    expect(readLifecycle(doc)).toMatchObject({
      status: 'decided',
      decidedAt: at,
      decidedBy: 'cy',
      outcome: 'We go with option B.'
    });
  });

  it('refuses an illegal step before looking at anything else, writing nothing', () => {
    const doc = docAt('decided');
    const before = state(doc);
    expect(() =>
      setStatus(doc, 'proposal', 'review', 'ana', T0 + HOUR, { reviewClosesAt: T0 + 99 * HOUR })
    ).toThrow(FieldError);
    expect(state(doc)).toEqual(before);
  });

  it('an ADR accepted freezes the number it was accepted with', () => {
    const doc = docAt('review', 'adr');
    expect(readLifecycle(doc).adrNumber).toBeNull();
    setStatus(doc, 'adr', 'decided', 'ana', T0 + 5 * HOUR, { outcome: 'Accepted.', adrNumber: 7 });
    expect(readLifecycle(doc).adrNumber).toBe(7);
    expect(fieldHistory(doc, 'adrNumber').map((h) => h.value)).toEqual([7]);
    // Later steps leave it as it is.
    setStatus(doc, 'adr', 'superseded', 'ana', T0 + 6 * HOUR);
    setStatus(doc, 'adr', 'archived', 'ana', T0 + 7 * HOUR);
    expect(readLifecycle(doc).adrNumber).toBe(7);
  });

  it('only an ADR accepted (not rejected, not another kind) gets a frozen number', () => {
    const rejected = docAt('review', 'adr');
    setStatus(rejected, 'adr', 'rejected', 'ana', T0 + HOUR, { outcome: 'No.', adrNumber: 3 });
    expect(readLifecycle(rejected).adrNumber).toBeNull();

    const proposal = docAt('review', 'proposal');
    setStatus(proposal, 'proposal', 'decided', 'ana', T0 + HOUR, { outcome: 'Yes.', adrNumber: 3 });
    expect(readLifecycle(proposal).adrNumber).toBeNull();
  });

  it('a refused ADR acceptance freezes nothing', () => {
    const doc = docAt('review', 'adr');
    const before = state(doc);
    expect(() => setStatus(doc, 'adr', 'decided', 'ana', T0 + HOUR, { adrNumber: 4 })).toThrow(
      FieldError
    );
    expect(state(doc)).toEqual(before);
    expect(readLifecycle(doc).adrNumber).toBeNull();
  });

  it('reads a document without a status, or with a garbled one, as a draft', () => {
    const doc = newDoc();
    expect(readLifecycle(doc)).toEqual({
      status: 'draft',
      reviewOpenedAt: null,
      reviewOpenedBy: null,
      reviewClosesAt: null,
      decidedAt: null,
      decidedBy: null,
      outcome: '',
      adrNumber: null
    });
    doc.getMap('fields').set('status', 'accepted-ish');
    doc.getMap('fields').set('reviewClosesAt', 'tomorrow');
    expect(readLifecycle(doc).status).toBe('draft');
    expect(readLifecycle(doc).reviewClosesAt).toBeNull();
  });
});

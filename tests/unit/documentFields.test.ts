import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  addOption,
  isIsoDate,
  readFields,
  riceInputError,
  setDaciRole,
  setField,
  setTextField,
  toggleDocReaction,
  writeFields,
  type FieldValues
} from '../../src/lib/model/documentFields.js';
import {
  FieldError,
  fieldHistory,
  fieldList,
  fieldText,
  readList,
  readScalar,
  setListText,
  setRetroPart,
  updateText
} from '../../src/lib/model/fields.js';
import { KINDS } from '../../src/lib/model/kinds.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../../src/lib/model/schema.js';
import { addEntry, getEntry, syncEntrySummary } from '../../src/lib/model/workspaceIndex.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 5, 9, 10, 0);

function newDoc(clientID = 1): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  return doc;
}

/** The doc's whole state, to show that a refused call stored nothing. */
function state(doc: Y.Doc): number[] {
  return Array.from(Y.encodeStateAsUpdate(doc));
}

/** Both ways, as two devices coming back online do. */
function merge(a: Y.Doc, b: Y.Doc): void {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, fromA);
  Y.applyUpdate(a, fromB);
}

function copyOf(doc: Y.Doc, clientID: number): Y.Doc {
  const copy = newDoc(clientID);
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
}

const OPTION = { title: 'Option A', pros: 'cheap', cons: 'slow', risks: 'none' };

/** Sample values for every field of every kind, as an import would bring them. */
const SAMPLES: Record<DocumentKind, FieldValues> = {
  note: { tldr: 'Just a note.' },
  proposal: {
    tldr: 'Pick a queue. Need a decision by Friday.',
    driver: 'ana',
    approver: 'bo',
    contributors: ['cy', 'di'],
    informed: ['ed'],
    options: [
      {
        id: 'opt1',
        title: 'Kafka',
        pros: 'Scales',
        cons: 'Ops cost',
        risks: 'Skills',
        reach: 1000,
        impact: 2,
        confidence: 80,
        effort: 4
      },
      { id: 'opt2', title: 'Do nothing', pros: 'Free', cons: 'Pain stays', risks: 'Churn' }
    ],
    decision: 'Kafka.',
    rationale: 'It scales;\nthe cost is known.',
    decisionDate: '2026-06-12',
    reviewDate: '2026-12-01'
  },
  rfc: { tldr: 'New sync protocol 🚀', scope: 'large', reviewers: ['bo', 'cy'] },
  adr: {
    tldr: 'Use Postgres.',
    decisionDate: '2026-02-28',
    supersededBy: 'adrNewer0000001',
    decidedIn: 'proposal00000001',
    reviewers: ['di']
  },
  prfaq: {
    tldr: 'Offline writing for everyone.',
    headline: 'Write anywhere',
    subheading: 'Even on a plane',
    summary: 'Summary.',
    problem: 'Problem.',
    solution: 'Solution.',
    leaderQuote: '“Great,” says a leader.',
    gettingStarted: 'Open the app.',
    customerQuote: '“Finally,” says a customer.',
    faqExternal: [{ id: 'q1', question: 'Is it free?', answer: 'Yes.' }],
    faqInternal: [
      { id: 'q2', question: 'Cost?', answer: 'Low.' },
      { id: 'q3', question: 'When?', answer: '' }
    ],
    reviewHours: '48',
    reviewers: ['ana']
  },
  retro: {
    tldr: 'Launch retro.',
    team: ['ana', 'bo'],
    retro: [
      { person: 'ana', wentWell: 'Shipped.', didNot: 'Late.', change: 'Plan.' },
      { person: 'bo', wentWell: '', didNot: 'Tests.', change: '' }
    ],
    actions: [{ id: 'a1', text: 'Write the runbook', owner: 'bo', due: '2026-07-01' }]
  },
  weekly: {
    tldr: 'On track.',
    health: 'yellow',
    shipped: 'Comments.',
    decisions: 'Use Yjs.',
    risks: 'Hiring.',
    asks: 'Reviewers.',
    next: 'Export.',
    reactions: []
  },
  handoff: {
    tldr: 'Deploy half done.',
    handoffTo: 'kiran',
    whereItStands: 'Canary at 10%.',
    doneToday: 'Migrations.',
    firstThing: 'Check the canary dashboard.',
    blockers: 'None.'
  }
};

describe('readFields', () => {
  it.each([...DOCUMENT_KINDS])('%s: an empty document reads as defaults', (kind) => {
    const values = readFields(newDoc(), kind);
    expect(Object.keys(values)).toEqual(KINDS[kind].fields.map((f) => f.name));
    for (const def of KINDS[kind].fields) {
      const expected =
        def.type === 'text'
          ? ''
          : ['choice', 'person', 'date', 'doc'].includes(def.type)
            ? null
            : [];
      expect(values[def.name], `${kind}.${def.name}`).toEqual(expected);
    }
  });

  it('reads a scalar of the wrong type as unset', () => {
    const doc = newDoc();
    doc.getMap('fields').set('scope', 3);
    expect(readFields(doc, 'rfc').scope).toBeNull();
  });

  it('reads reactions per emoji with the people who reacted', () => {
    const doc = newDoc();
    expect(toggleDocReaction(doc, 'bo', '👍', T0)).toBe(true);
    expect(toggleDocReaction(doc, 'ana', '👍', T0)).toBe(true);
    expect(toggleDocReaction(doc, 'ana', '🎉', T0)).toBe(true);
    // In code-unit order of the emoji: 🎉 (U+1F389) before 👍 (U+1F44D).
    expect(readFields(doc, 'weekly').reactions).toEqual([
      { emoji: '🎉', people: ['ana'] },
      { emoji: '👍', people: ['ana', 'bo'] }
    ]);
    expect(toggleDocReaction(doc, 'ana', '🎉', T0)).toBe(false);
    expect(readFields(doc, 'weekly').reactions).toEqual([{ emoji: '👍', people: ['ana', 'bo'] }]);
  });
});

describe('setField', () => {
  it('stores a date, a choice, a person and a document link, each in the history', () => {
    const doc = newDoc();
    setField(doc, 'proposal', 'decisionDate', '2026-02-28', 'ana', T0);
    setField(doc, 'rfc', 'scope', 'small', 'ana', T0 + 1);
    setField(doc, 'handoff', 'handoffTo', 'kiran_2', 'ana', T0 + 2);
    setField(doc, 'adr', 'supersededBy', 'abc-DEF_123', 'ana', T0 + 3);
    expect(readFields(doc, 'proposal').decisionDate).toBe('2026-02-28');
    expect(readFields(doc, 'rfc').scope).toBe('small');
    expect(readFields(doc, 'handoff').handoffTo).toBe('kiran_2');
    expect(readFields(doc, 'adr').supersededBy).toBe('abc-DEF_123');
    expect(fieldHistory(doc, 'scope')).toEqual([
      { field: 'scope', value: 'small', at: T0 + 1, by: 'ana' }
    ]);
  });

  it('accepts 29 February in a leap year only', () => {
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-02-29')).toBe(false);
  });

  it.each([
    ['an impossible date', 'proposal', 'decisionDate', '2026-02-30', /not a date/],
    ['month 13', 'proposal', 'reviewDate', '2026-13-01', /not a date/],
    ['a date with a time', 'adr', 'decisionDate', '2026-03-01T10:00', /not a date/],
    ['a date in another format', 'adr', 'decisionDate', '01/03/2026', /not a date/],
    ['an unknown choice', 'rfc', 'scope', 'huge', /not one of the choices for Scope/],
    ['a choice by its label', 'weekly', 'health', 'Green — on track', /not one of the choices/],
    ['a choice in other case', 'weekly', 'health', 'GREEN', /not one of the choices/],
    ['a person id with spaces', 'handoff', 'handoffTo', 'Ana Smith', /not a person/],
    ['a document id with a slash', 'adr', 'decidedIn', '../etc', /not a document/],
    ['a field the kind does not have', 'note', 'scope', 'small', /no field/],
    ['a text field', 'rfc', 'tldr', 'hello', /not a single value/],
    ['a people field', 'rfc', 'reviewers', 'ana', /not a single value/]
  ] as const)('refuses %s and writes nothing', (_name, kind, field, value, message) => {
    const doc = newDoc();
    setField(doc, 'adr', 'decisionDate', '2026-01-01', 'ana', T0);
    const before = state(doc);
    expect(() => setField(doc, kind, field, value, 'ana', T0 + MINUTE)).toThrow(FieldError);
    expect(() => setField(doc, kind, field, value, 'ana', T0 + MINUTE)).toThrow(message);
    expect(state(doc)).toEqual(before);
  });

  it('clears with null, and writes nothing when the value is unchanged', () => {
    const doc = newDoc();
    setField(doc, 'rfc', 'scope', 'medium', 'ana', T0);
    const before = state(doc);
    setField(doc, 'rfc', 'scope', 'medium', 'bo', T0 + MINUTE);
    expect(state(doc)).toEqual(before);
    setField(doc, 'rfc', 'scope', null, 'bo', T0 + 2 * MINUTE);
    expect(readFields(doc, 'rfc').scope).toBeNull();
    expect(fieldHistory(doc, 'scope').map((h) => h.value)).toEqual(['medium', null]);
    const cleared = state(doc);
    setField(doc, 'rfc', 'scope', null, 'bo', T0 + 3 * MINUTE);
    expect(state(doc)).toEqual(cleared);
  });
});

describe('DACI roles', () => {
  it('refuses a second Driver, and allows clearing then setting', () => {
    const doc = newDoc();
    setDaciRole(doc, 'driver', 'ana', 'ana', T0);
    const before = state(doc);
    expect(() => setDaciRole(doc, 'driver', 'bo', 'bo', T0 + MINUTE)).toThrow(FieldError);
    expect(() => setDaciRole(doc, 'driver', 'bo', 'bo', T0 + MINUTE)).toThrow(/one Driver already/);
    expect(state(doc)).toEqual(before);
    expect(readFields(doc, 'proposal').driver).toBe('ana');

    // Setting the same person again is not a second Driver.
    setDaciRole(doc, 'driver', 'ana', 'ana', T0 + MINUTE);
    expect(state(doc)).toEqual(before);

    setDaciRole(doc, 'driver', null, 'ana', T0 + 2 * MINUTE);
    expect(readFields(doc, 'proposal').driver).toBeNull();
    setDaciRole(doc, 'driver', 'bo', 'ana', T0 + 3 * MINUTE);
    expect(readFields(doc, 'proposal').driver).toBe('bo');
    expect(fieldHistory(doc, 'driver').map((h) => h.value)).toEqual(['ana', null, 'bo']);
  });

  it('refuses a second Approver; the Driver and the Approver are separate roles', () => {
    const doc = newDoc();
    setDaciRole(doc, 'approver', 'cy', 'ana', T0);
    setDaciRole(doc, 'driver', 'ana', 'ana', T0);
    expect(() => setDaciRole(doc, 'approver', 'di', 'ana', T0)).toThrow(/one Approver already/);
    expect(readFields(doc, 'proposal')).toMatchObject({ driver: 'ana', approver: 'cy' });
  });
});

describe('options', () => {
  it('adds an option with its texts and RICE inputs', () => {
    const doc = newDoc();
    addOption(doc, 'o1', { ...OPTION, reach: 1000, impact: 2, confidence: 80, effort: 4 });
    addOption(doc, 'o2', { ...OPTION, title: 'B' });
    expect(readFields(doc, 'proposal').options).toEqual([
      { id: 'o1', ...OPTION, reach: 1000, impact: 2, confidence: 80, effort: 4 },
      { id: 'o2', ...OPTION, title: 'B' }
    ]);
  });

  it('refuses an option whose four RICE inputs do not make a score, writing nothing', () => {
    const doc = newDoc();
    const before = state(doc);
    expect(() =>
      addOption(doc, 'o1', { ...OPTION, reach: 10, impact: 2, confidence: 80, effort: 0 })
    ).toThrow(/Effort/);
    expect(() =>
      addOption(doc, 'o1', { ...OPTION, reach: 10, impact: 4, confidence: 80, effort: 1 })
    ).toThrow(/Impact/);
    expect(state(doc)).toEqual(before);
  });

  it('checks one RICE input on its own', () => {
    expect(riceInputError('effort', 0)).toMatch(/Effort/);
    expect(riceInputError('reach', -1)).toMatch(/Reach/);
    expect(riceInputError('impact', 0.5)).toBeNull();
    expect(riceInputError('confidence', 75)).toMatch(/Confidence/);
  });

  // Was a bug: RICE inputs were only checked when all four were given.
  it('refuses an out-of-range RICE input even when the other inputs are not filled in', () => {
    const doc = newDoc();
    expect(() => addOption(doc, 'o1', { ...OPTION, effort: 0 })).toThrow(FieldError);
    expect(readList(doc, 'options')).toEqual([]);
  });
});

describe('writeFields (import)', () => {
  it.each([...DOCUMENT_KINDS])('%s: round-trips through readFields', (kind) => {
    const doc = newDoc();
    writeFields(doc, kind, SAMPLES[kind], 'ana', T0);
    expect(readFields(doc, kind)).toEqual(SAMPLES[kind]);
    // What was read imports again into an identical document.
    const again = newDoc(2);
    writeFields(again, kind, readFields(doc, kind), 'bo', T0 + MINUTE);
    expect(readFields(again, kind)).toEqual(SAMPLES[kind]);
  });

  it('the samples fill in every field of every kind', () => {
    for (const kind of DOCUMENT_KINDS) {
      expect(Object.keys(SAMPLES[kind]).sort(), kind).toEqual(
        KINDS[kind].fields.map((f) => f.name).sort()
      );
    }
  });

  it('records imported scalars in the history, by the importer', () => {
    const doc = newDoc();
    writeFields(doc, 'rfc', SAMPLES.rfc, 'ana', T0);
    expect(fieldHistory(doc, 'scope')).toEqual([
      { field: 'scope', value: 'large', at: T0, by: 'ana' }
    ]);
  });

  it('ignores unknown fields and leaves out null or missing ones', () => {
    const doc = newDoc();
    writeFields(doc, 'rfc', { tldr: 'x', scope: null, bogus: 'y', status: 'decided' }, 'ana', T0);
    expect(readFields(doc, 'rfc')).toEqual({ tldr: 'x', scope: null, reviewers: [] });
    expect(readScalar(doc, 'status')).toBeUndefined();
  });

  it('gives list items without an id one of their own', () => {
    const doc = newDoc();
    writeFields(
      doc,
      'prfaq',
      { faqExternal: [{ question: 'Why?', answer: 'Because.' }, { question: 'How?' }] },
      'ana',
      T0
    );
    expect(readFields(doc, 'prfaq').faqExternal).toEqual([
      { id: 'imported-1', question: 'Why?', answer: 'Because.' },
      { id: 'imported-2', question: 'How?' }
    ]);
  });

  it('imports list texts as mergeable text: two devices editing an answer keep both edits', () => {
    const a = newDoc(1);
    writeFields(a, 'prfaq', SAMPLES.prfaq, 'ana', T0);
    writeFields(a, 'retro', SAMPLES.retro, 'ana', T0);
    for (const [list, key] of [
      ['faqExternal', 'answer'],
      ['faqInternal', 'question'],
      ['actions', 'text']
    ]) {
      expect(fieldList(a, list).get(0).get(key), `${list}.${key}`).toBeInstanceOf(Y.Text);
    }
    const b = copyOf(a, 2);
    setListText(a, 'faqExternal', 'q1', 'answer', 'Yes, for teams of any size.');
    setListText(b, 'faqExternal', 'q1', 'answer', 'Oh yes.');
    merge(a, b);
    for (const doc of [a, b]) {
      expect(readFields(doc, 'prfaq').faqExternal).toEqual([
        { id: 'q1', question: 'Is it free?', answer: 'Oh yes, for teams of any size.' }
      ]);
    }
  });

  it.each([
    ['an impossible date', 'proposal', { decisionDate: '2026-02-30' }, /Decision date/],
    ['a date that is not text', 'adr', { decisionDate: 20260301 }, /Date: “20260301”/],
    ['an unknown choice', 'rfc', { scope: 'xl' }, /Scope: “xl” is not one of its choices/],
    ['an unknown health', 'weekly', { health: 'amber' }, /Status: “amber”/],
    ['an unknown window', 'prfaq', { reviewHours: '24' }, /Review window/],
    [
      'a RICE effort of 0',
      'proposal',
      { options: [{ title: 'Kafka', reach: 1, impact: 1, confidence: 100, effort: 0 }] },
      /Option “Kafka”: Effort/
    ],
    [
      'a RICE impact off the scale',
      'proposal',
      { options: [{ title: 'Rabbit', reach: 1, impact: 5, confidence: 100, effort: 1 }] },
      /Option “Rabbit”: Impact/
    ]
  ] as const)(
    'refuses %s with the field named, writing nothing at all',
    (_name, kind, bad, message) => {
      const doc = newDoc();
      const before = state(doc);
      // Good values come first: none of them may be written either.
      const values = { ...SAMPLES[kind], ...bad };
      expect(() => writeFields(doc, kind, values, 'ana', T0)).toThrow(FieldError);
      expect(() => writeFields(doc, kind, values, 'ana', T0)).toThrow(message);
      expect(state(doc)).toEqual(before);
    }
  );

  it('names every problem at once', () => {
    const doc = newDoc();
    expect(() =>
      writeFields(
        doc,
        'proposal',
        { decisionDate: 'soon', reviewDate: '2026-04-31', tldr: 'ok' },
        'ana',
        T0
      )
    ).toThrow(/Decision date: “soon”.*Revisit on: “2026-04-31”/);
    expect(readFields(doc, 'proposal').tldr).toBe('');
  });

  // Was a bug: an option with only some RICE inputs was refused on import.
  it('round-trips an option whose RICE inputs are only partly filled in', () => {
    const doc = newDoc();
    addOption(doc, 'o1', { ...OPTION, reach: 1000 });
    const values = readFields(doc, 'proposal');
    const copy = newDoc(2);
    writeFields(copy, 'proposal', values, 'ana', T0);
    expect(readFields(copy, 'proposal')).toEqual(values);
  });
});

describe('fields edited on two devices', () => {
  it('a scalar set concurrently: one value everywhere, both values in its history', () => {
    for (const [clientA, clientB] of [
      [1, 2],
      [2, 1]
    ]) {
      const a = newDoc(clientA);
      setField(a, 'rfc', 'scope', 'medium', 'ana', T0);
      const b = copyOf(a, clientB);
      // Offline, each sets its own scope.
      setField(a, 'rfc', 'scope', 'small', 'ana', T0 + MINUTE);
      setField(b, 'rfc', 'scope', 'large', 'bo', T0 + 2 * MINUTE);
      merge(a, b);
      const scope = readFields(a, 'rfc').scope;
      expect(['small', 'large']).toContain(scope);
      expect(readFields(b, 'rfc').scope).toBe(scope);
      for (const doc of [a, b]) {
        const history = fieldHistory(doc, 'scope');
        expect(history.map((h) => h.value).sort()).toEqual(['large', 'medium', 'small']);
        expect(history[0]).toEqual({ field: 'scope', value: 'medium', at: T0, by: 'ana' });
        expect(history).toContainEqual({
          field: 'scope',
          value: 'large',
          at: T0 + 2 * MINUTE,
          by: 'bo'
        });
      }
      expect(fieldHistory(a, 'scope')).toEqual(fieldHistory(b, 'scope'));
    }
  });

  it('updateText keeps someone else’s concurrent edit elsewhere in the text', () => {
    const a = newDoc(1);
    setTextField(a, 'decision', 'We will use Postgres for the event store.');
    const b = copyOf(a, 2);
    // Ana rewrites the middle in the panel; Bo, offline, appends a sentence.
    setTextField(a, 'decision', 'We will use SQLite for the event store.');
    setTextField(b, 'decision', 'We will use Postgres for the event store. Revisit in Q3.');
    merge(a, b);
    for (const doc of [a, b]) {
      expect(fieldText(doc, 'decision').toString()).toBe(
        'We will use SQLite for the event store. Revisit in Q3.'
      );
    }
  });

  it('updateText edits by the smallest change: the common prefix and suffix are kept', () => {
    const doc = newDoc();
    const text = fieldText(doc, 'tldr');
    updateText(text, 'abcdef');
    const deltas: unknown[] = [];
    text.observe((event) => deltas.push(event.delta));
    updateText(text, 'abXYef');
    expect(deltas).toEqual([[{ retain: 2 }, { delete: 2 }, { insert: 'XY' }]]);
    expect(text.toString()).toBe('abXYef');
    const before = state(doc);
    updateText(text, 'abXYef');
    expect(state(doc)).toEqual(before);
  });

  it.each([
    ['one emoji for another sharing its high surrogate', 'Ship it 😀 now', 'Ship it 😃 now'],
    ['one emoji for another sharing its low surrogate', 'Flag 😀!', 'Flag 🈀!'],
    ['an emoji inserted before one sharing a surrogate', 'a😀b', 'a😃😀b'],
    ['an emoji removed', 'x😀😃y', 'x😃y'],
    ['a skin tone added', 'ok 👍 ok', 'ok 👍🏽 ok'],
    ['text typed right after an emoji', 'go 🚀', 'go 🚀 fast']
  ])('updateText never splits an emoji: %s', (_name, from, to) => {
    const a = newDoc(1);
    const textA = fieldText(a, 'tldr');
    updateText(textA, from);
    const b = copyOf(a, 2);
    const deltas: { insert?: unknown }[][] = [];
    textA.observe((event) => deltas.push(event.delta as { insert?: unknown }[]));
    updateText(textA, to);
    // Every inserted string is whole characters (no lone surrogate).
    for (const op of deltas.flat()) {
      if (typeof op.insert === 'string') expect(op.insert.isWellFormed()).toBe(true);
    }
    // What the other device receives is exactly what was typed, never U+FFFD.
    merge(a, b);
    expect(textA.toString()).toBe(to);
    expect(fieldText(b, 'tldr').toString()).toBe(to);
    expect(fieldText(b, 'tldr').toString()).not.toContain('\ufffd');
  });

  it('retro entries of two people written offline both survive', () => {
    const a = newDoc(1);
    const b = copyOf(a, 2);
    setRetroPart(a, 'ana', 'wentWell', 'Shipped on time.');
    setRetroPart(b, 'bo', 'didNot', 'Too many meetings.');
    merge(a, b);
    for (const doc of [a, b]) {
      expect(readFields(doc, 'retro').retro).toEqual([
        { person: 'ana', wentWell: 'Shipped on time.', didNot: '', change: '' },
        { person: 'bo', wentWell: '', didNot: 'Too many meetings.', change: '' }
      ]);
    }
  });
});

describe('syncEntrySummary', () => {
  const author = { userId: 'ana', name: 'Ana' };
  const summary = {
    status: 'review' as const,
    tldr: '  Pick a queue.\n\nNeed a decision.  ',
    reviewClosesAt: T0 + 72 * 60 * MINUTE,
    adrNumber: null,
    people: ['cy', 'bo', 'cy'],
    links: { decidedIn: 'proposal00000001' }
  };

  function indexWithEntry(): Y.Doc {
    const index = newDoc();
    addEntry(index, { id: 'doc1', title: 'Queue', kind: 'proposal', author, now: T0 });
    return index;
  }

  function countUpdates(index: Y.Doc, run: () => void): number {
    let updates = 0;
    const count = () => updates++;
    index.on('update', count);
    run();
    index.off('update', count);
    return updates;
  }

  it('mirrors status, TL;DR (one line), window, ADR number, people and links', () => {
    const index = indexWithEntry();
    syncEntrySummary(index, 'doc1', summary);
    expect(getEntry(index, 'doc1')).toMatchObject({
      status: 'review',
      tldr: 'Pick a queue. Need a decision.',
      reviewClosesAt: T0 + 72 * 60 * MINUTE,
      adrNumber: null,
      people: ['bo', 'cy'],
      links: { decidedIn: 'proposal00000001' }
    });
  });

  it('writes nothing when nothing changed (no update event)', () => {
    const index = indexWithEntry();
    syncEntrySummary(index, 'doc1', summary);
    const before = state(index);
    // The same summary, with the people in another order and other spacing.
    expect(
      countUpdates(index, () =>
        syncEntrySummary(index, 'doc1', {
          ...summary,
          tldr: 'Pick a queue. Need a decision.',
          people: ['bo', 'cy'],
          links: { ...summary.links }
        })
      )
    ).toBe(0);
    expect(state(index)).toEqual(before);
  });

  it('writes nothing for a fresh entry and an empty draft summary', () => {
    const index = indexWithEntry();
    expect(
      countUpdates(index, () =>
        syncEntrySummary(index, 'doc1', {
          status: 'draft',
          tldr: '',
          reviewClosesAt: null,
          adrNumber: null,
          people: [],
          links: {}
        })
      )
    ).toBe(0);
  });

  it('writes only what changed, in one update, and removes what was cleared', () => {
    const index = indexWithEntry();
    syncEntrySummary(index, 'doc1', summary);
    const entry = index.getMap<Y.Map<unknown>>('documents').get('doc1');
    const changedKeys: string[] = [];
    entry?.observe((event) => changedKeys.push(...event.keysChanged));
    expect(
      countUpdates(index, () =>
        syncEntrySummary(index, 'doc1', {
          ...summary,
          status: 'decided',
          reviewClosesAt: null
        })
      )
    ).toBe(1);
    expect(changedKeys.sort()).toEqual(['reviewClosesAt', 'status']);
    expect(entry?.has('reviewClosesAt')).toBe(false);
    expect(getEntry(index, 'doc1')).toMatchObject({ status: 'decided', reviewClosesAt: null });
  });

  it('does nothing for a document that is not in the index', () => {
    const index = indexWithEntry();
    expect(countUpdates(index, () => syncEntrySummary(index, 'nope', summary))).toBe(0);
  });
});

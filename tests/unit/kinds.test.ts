import { describe, expect, it } from 'vitest';
import {
  guidanceFor,
  KINDS,
  missingSections,
  reviewWindowCloses,
  templateContent,
  textFields,
  TLDR,
  type FieldDef
} from '../../src/lib/model/kinds.js';
import { endOfNextFullWorkingDay } from '../../src/lib/model/replyBy.js';
import { DOCUMENT_KINDS, type DocumentKind } from '../../src/lib/model/schema.js';
import type { WorkingTime } from '../../src/lib/model/people.js';

const HOUR = 3_600_000;

function field(kind: DocumentKind, name: string): FieldDef {
  const def = KINDS[kind].fields.find((f) => f.name === name);
  if (!def) throw new Error(`${kind} has no field ${name}`);
  return def;
}

function fieldTypes(kind: DocumentKind): Record<string, FieldDef['type']> {
  return Object.fromEntries(KINDS[kind].fields.map((f) => [f.name, f.type]));
}

function choices(kind: DocumentKind, name: string): string[] {
  const def = field(kind, name);
  if (def.type !== 'choice') throw new Error(`${kind}.${name} is not a choice`);
  return def.options.map((o) => o.value);
}

function headings(kind: DocumentKind): string[] {
  return KINDS[kind].sections.map((s) => s.heading);
}

function office(timeZone: string): WorkingTime {
  return { timeZone, workStart: '09:00', workEnd: '17:00', workDays: [1, 2, 3, 4, 5] };
}

const RFC_SECTIONS = [
  'Problem',
  'Options considered',
  'Proposed implementation',
  'Performance impact',
  'Security implications',
  'Operational risks'
];

describe('kinds: schema', () => {
  it('every kind is described, and every kind opens with the TL;DR', () => {
    expect(Object.keys(KINDS).sort()).toEqual([...DOCUMENT_KINDS].sort());
    for (const kind of DOCUMENT_KINDS) {
      expect(KINDS[kind].fields[0], kind).toBe(TLDR);
    }
    expect(TLDR).toMatchObject({ type: 'text', name: 'tldr', label: 'TL;DR', multiline: true });
  });

  it('field names are unique within a kind; every section has a heading and guidance', () => {
    for (const kind of DOCUMENT_KINDS) {
      const names = KINDS[kind].fields.map((f) => f.name);
      expect(new Set(names).size, kind).toBe(names.length);
      for (const section of KINDS[kind].sections) {
        expect(section.heading.trim(), kind).toBe(section.heading);
        expect(section.heading, kind).not.toBe('');
        expect(section.guidance, `${kind}: ${section.heading}`).toMatch(/\S/);
      }
      for (const def of KINDS[kind].fields) expect(def.label, `${kind}.${def.name}`).toMatch(/\S/);
    }
  });

  it('reviewers are drawn only from people fields of the kind itself', () => {
    for (const kind of DOCUMENT_KINDS) {
      for (const name of KINDS[kind].reviewersFrom ?? []) {
        expect(['person', 'people'], `${kind}.${name}`).toContain(field(kind, name).type);
      }
    }
  });

  it('a note is a TL;DR and free text', () => {
    expect(KINDS.note.sections).toEqual([]);
    expect(KINDS.note.fields).toEqual([TLDR]);
  });

  it('a proposal has DACI roles, RICE options, decision, rationale, decision and review dates', () => {
    expect(fieldTypes('proposal')).toEqual({
      tldr: 'text',
      driver: 'person',
      approver: 'person',
      contributors: 'people',
      informed: 'people',
      options: 'options',
      decision: 'text',
      rationale: 'text',
      decisionDate: 'date',
      reviewDate: 'date'
    });
    expect(field('proposal', 'driver').label).toBe('Driver');
    expect(field('proposal', 'approver').label).toBe('Approver');
    expect(field('proposal', 'contributors').label).toBe('Contributors');
    expect(field('proposal', 'informed').label).toBe('Informed');
    expect(headings('proposal')).toEqual([
      'Problem statement',
      'Context',
      'Options considered',
      'Recommendation'
    ]);
    // The Approver and Contributors are asked to review; the Informed only told.
    expect(KINDS.proposal.reviewersFrom).toEqual(['approver', 'contributors']);
  });

  it('an RFC has the six required sections and a scope of small, medium or large', () => {
    expect(headings('rfc')).toEqual(RFC_SECTIONS);
    expect(KINDS.rfc.requiredSections).toEqual(RFC_SECTIONS);
    expect(choices('rfc', 'scope')).toEqual(['small', 'medium', 'large']);
    const scope = field('rfc', 'scope');
    if (scope.type !== 'choice') throw new Error('scope is a choice');
    expect(scope.options.map((o) => o.label)).toEqual([
      expect.stringContaining('3 business days'),
      expect.stringContaining('4 business days'),
      expect.stringContaining('5 business days')
    ]);
    expect(fieldTypes('rfc')).toEqual({ tldr: 'text', scope: 'choice', reviewers: 'people' });
  });

  it('an ADR is context, decision, consequences, with a date and links to other documents', () => {
    expect(headings('adr')).toEqual(['Context', 'Decision', 'Consequences']);
    expect(fieldTypes('adr')).toEqual({
      tldr: 'text',
      decisionDate: 'date',
      supersededBy: 'doc',
      decidedIn: 'doc',
      reviewers: 'people'
    });
  });

  it('a PR/FAQ has the press-release parts, an external and an internal FAQ, and 48/72 h', () => {
    expect(textFields('prfaq')).toEqual([
      'tldr',
      'headline',
      'subheading',
      'summary',
      'problem',
      'solution',
      'leaderQuote',
      'gettingStarted',
      'customerQuote'
    ]);
    expect(field('prfaq', 'faqExternal').type).toBe('faq');
    expect(field('prfaq', 'faqInternal').type).toBe('faq');
    expect(field('prfaq', 'faqExternal').label).toMatch(/external/i);
    expect(field('prfaq', 'faqInternal').label).toMatch(/internal/i);
    expect(choices('prfaq', 'reviewHours')).toEqual(['48', '72']);
    expect(KINDS.prfaq.reviewersFrom).toEqual(['reviewers']);
  });

  it('a retrospective has the team, one entry per person and agreed actions', () => {
    expect(fieldTypes('retro')).toEqual({
      tldr: 'text',
      team: 'people',
      retro: 'retro',
      actions: 'actions'
    });
    expect(KINDS.retro.reviewersFrom).toEqual(['team']);
  });

  it('a weekly update has green/yellow/red, the five texts and reactions', () => {
    expect(choices('weekly', 'health')).toEqual(['green', 'yellow', 'red']);
    expect(textFields('weekly')).toEqual(['tldr', 'shipped', 'decisions', 'risks', 'asks', 'next']);
    expect(field('weekly', 'reactions').type).toBe('reactions');
  });

  it('a hand-off names the next person, where it stands, what was done and what to do first', () => {
    expect(fieldTypes('handoff')).toEqual({
      tldr: 'text',
      handoffTo: 'person',
      whereItStands: 'text',
      doneToday: 'text',
      firstThing: 'text',
      blockers: 'text'
    });
  });
});

describe('kinds: template and guidance', () => {
  it.each([...DOCUMENT_KINDS])(
    '%s: a level-2 heading and an empty paragraph per section',
    (kind) => {
      const content = templateContent(kind);
      expect(content).toEqual(
        KINDS[kind].sections.flatMap((s) => [
          { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: s.heading }] },
          { type: 'paragraph' }
        ])
      );
      expect(content).toHaveLength(2 * KINDS[kind].sections.length);
    }
  );

  it('the RFC template lays out the six sections in order', () => {
    const content = templateContent('rfc');
    const texts = content
      .filter((node) => node.type === 'heading')
      .map((node) => (node.content?.[0] as { text: string }).text);
    expect(texts).toEqual(RFC_SECTIONS);
    expect(content.filter((node) => node.type === 'paragraph')).toHaveLength(6);
  });

  it('a fresh template is a fresh value each time (editing one does not change the next)', () => {
    const first = templateContent('adr');
    first.length = 0;
    expect(templateContent('adr')).toHaveLength(6);
  });

  it('guidanceFor gives the section’s guidance, ignoring spaces around the heading', () => {
    expect(guidanceFor('rfc', 'Security implications')).toBe(
      'New data, new access, new attack surface.'
    );
    expect(guidanceFor('rfc', '  Security implications \n')).toBe(
      'New data, new access, new attack surface.'
    );
    expect(guidanceFor('adr', 'Decision')).toMatch(/We will/);
    for (const kind of DOCUMENT_KINDS) {
      for (const section of KINDS[kind].sections) {
        expect(guidanceFor(kind, section.heading)).toBe(section.guidance);
      }
    }
  });

  it('guidanceFor has none for a heading the template does not have', () => {
    expect(guidanceFor('rfc', 'Appendix')).toBeNull();
    expect(guidanceFor('note', 'Problem')).toBeNull();
    // The same heading belongs to another kind.
    expect(guidanceFor('adr', 'Security implications')).toBeNull();
  });
});

describe('kinds: missing RFC sections', () => {
  it('lists every required section of an empty RFC', () => {
    expect(missingSections('rfc', [])).toEqual(RFC_SECTIONS);
  });

  it('none is missing when all six are there, in any order, with other headings too', () => {
    expect(missingSections('rfc', ['Appendix', ...[...RFC_SECTIONS].reverse()])).toEqual([]);
  });

  it('ignores case and spacing', () => {
    expect(
      missingSections('rfc', [
        'PROBLEM',
        '  options   considered ',
        'Proposed\timplementation',
        'performance impact',
        'Security\u00a0implications',
        'Operational\nrisks'
      ])
    ).toEqual([]);
  });

  it('names what is missing, in template order; near misses do not count', () => {
    expect(
      missingSections('rfc', ['Problem', 'Options', 'Security implication', 'Operational risks'])
    ).toEqual([
      'Options considered',
      'Proposed implementation',
      'Performance impact',
      'Security implications'
    ]);
  });

  it('other kinds have no required sections', () => {
    for (const kind of DOCUMENT_KINDS.filter((k) => k !== 'rfc')) {
      expect(missingSections(kind, []), kind).toEqual([]);
    }
  });
});

describe('kinds: review windows', () => {
  // Friday 27 March 2026, 15:00 in Warsaw (CET, UTC+1). Europe moves to
  // summer time on Sunday 29 March, so the window crosses a weekend and a
  // daylight-saving change.
  const FRIDAY_WARSAW_15 = Date.UTC(2026, 2, 27, 14, 0);
  const warsaw = office('Europe/Warsaw');
  const kolkata = office('Asia/Kolkata');

  it('RFC small, opened Friday 15:00 in Warsaw, closes Wednesday 15:00 there', () => {
    const closes = reviewWindowCloses('rfc', { scope: 'small' }, FRIDAY_WARSAW_15, [warsaw]);
    // Wednesday 1 April, 15:00 CEST (UTC+2), not 15:00 UTC+1.
    expect(closes).toBe(Date.UTC(2026, 3, 1, 13, 0));
    expect(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/Warsaw',
        weekday: 'long',
        hour: '2-digit',
        minute: '2-digit'
      }).format(closes)
    ).toBe('Wednesday 15:00');
  });

  it('RFC medium is 4, large 5 business days; medium when the scope is unset', () => {
    const medium = Date.UTC(2026, 3, 2, 13, 0); // Thursday 15:00 CEST
    const large = Date.UTC(2026, 3, 3, 13, 0); // Friday 15:00 CEST
    expect(reviewWindowCloses('rfc', { scope: 'medium' }, FRIDAY_WARSAW_15, [warsaw])).toBe(medium);
    expect(reviewWindowCloses('rfc', { scope: 'large' }, FRIDAY_WARSAW_15, [warsaw])).toBe(large);
    expect(reviewWindowCloses('rfc', {}, FRIDAY_WARSAW_15, [warsaw])).toBe(medium);
    expect(reviewWindowCloses('rfc', { scope: 'huge' }, FRIDAY_WARSAW_15, [warsaw])).toBe(medium);
  });

  it('RFC large with a reviewer in Kolkata takes the later of the two', () => {
    const warsawOnly = reviewWindowCloses('rfc', { scope: 'large' }, FRIDAY_WARSAW_15, [warsaw]);
    const kolkataOnly = reviewWindowCloses('rfc', { scope: 'large' }, FRIDAY_WARSAW_15, [kolkata]);
    const both = reviewWindowCloses('rfc', { scope: 'large' }, FRIDAY_WARSAW_15, [warsaw, kolkata]);
    // Opened at 19:30 Friday in Kolkata, after hours: five working days
    // later is again Friday 19:30, so the window runs to the end of their
    // next working day, Monday 6 April 17:00 IST (11:30 UTC).
    expect(kolkataOnly).toBe(Date.UTC(2026, 3, 6, 11, 30));
    expect(warsawOnly).toBe(Date.UTC(2026, 3, 3, 13, 0));
    expect(both).toBe(Math.max(warsawOnly, kolkataOnly));
    expect(both).toBe(kolkataOnly);
    expect(reviewWindowCloses('rfc', { scope: 'large' }, FRIDAY_WARSAW_15, [kolkata, warsaw])).toBe(
      both
    );
  });

  it('PR/FAQ: exactly 48 or 72 hours, 72 when unset, whatever the calendar', () => {
    expect(
      reviewWindowCloses('prfaq', { reviewHours: '48' }, FRIDAY_WARSAW_15, [warsaw, kolkata])
    ).toBe(FRIDAY_WARSAW_15 + 48 * HOUR);
    expect(
      reviewWindowCloses('prfaq', { reviewHours: '72' }, FRIDAY_WARSAW_15, [warsaw, kolkata])
    ).toBe(FRIDAY_WARSAW_15 + 72 * HOUR);
    expect(reviewWindowCloses('prfaq', {}, FRIDAY_WARSAW_15, [warsaw])).toBe(
      FRIDAY_WARSAW_15 + 72 * HOUR
    );
  });

  it('proposal: at least 24 hours and the end of a full working day of every reviewer', () => {
    const la = office('America/Los_Angeles');
    const people = [warsaw, kolkata, la];
    // Friday 07:00 in Los Angeles: their Friday is a full working day that
    // starts after now, but 24 hours later is Saturday, so the window runs to
    // the end of their Monday, 17:00 PDT (Tuesday 00:00 UTC).
    const closes = reviewWindowCloses('proposal', {}, FRIDAY_WARSAW_15, people);
    expect(closes).toBe(Date.UTC(2026, 2, 31, 0, 0));
    expect(closes).toBeGreaterThanOrEqual(FRIDAY_WARSAW_15 + 24 * HOUR);
    for (const time of people) {
      expect(closes, time.timeZone).toBeGreaterThanOrEqual(
        endOfNextFullWorkingDay(FRIDAY_WARSAW_15, time)
      );
    }
    // Warsaw and Kolkata alone: Monday 17:00 in Warsaw (15:00 UTC).
    expect(reviewWindowCloses('proposal', {}, FRIDAY_WARSAW_15, [warsaw, kolkata])).toBe(
      Date.UTC(2026, 2, 30, 15, 0)
    );
  });

  it('proposal opened at the start of a working day: exactly 24 hours', () => {
    const tuesday9 = Date.UTC(2026, 5, 9, 7, 0); // 09:00 CEST
    // Tuesday 09:00–17:00 is a full working day from now, and 24 hours later
    // (Wednesday 09:00) is inside working time.
    expect(reviewWindowCloses('proposal', {}, tuesday9, [warsaw])).toBe(tuesday9 + 24 * HOUR);
    // A minute later Tuesday is no longer full: the end of Wednesday.
    expect(reviewWindowCloses('proposal', {}, tuesday9 + 60_000, [warsaw])).toBe(
      Date.UTC(2026, 5, 10, 15, 0)
    );
  });

  it('other kinds get 3 business days (design feedback)', () => {
    for (const kind of ['adr', 'note', 'retro', 'weekly', 'handoff'] as const) {
      expect(reviewWindowCloses(kind, {}, FRIDAY_WARSAW_15, [warsaw]), kind).toBe(
        Date.UTC(2026, 3, 1, 13, 0)
      );
    }
  });

  it('needs at least one person’s working time', () => {
    expect(() => reviewWindowCloses('rfc', { scope: 'small' }, FRIDAY_WARSAW_15, [])).toThrow();
    expect(() => reviewWindowCloses('prfaq', {}, FRIDAY_WARSAW_15, [])).toThrow();
  });
});

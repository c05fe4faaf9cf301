/**
 * What each kind of document is made of (DOMAIN.md): the sections its
 * template lays out in the body, with guidance shown as placeholder text, the
 * structured fields the app understands, and how long its review window is.
 * Pure: no DOM, no Svelte.
 */
import type { DocumentKind } from './schema.js';
import type { WorkingTime } from './people.js';
import { addWorkingDays, computeReplyBy, withinWorkingTime } from './replyBy.js';

export interface Section {
  heading: string;
  /** Shown in the empty paragraph under the heading until someone types. */
  guidance: string;
}

export type FieldDef =
  | { type: 'text'; name: string; label: string; multiline?: boolean; hint?: string }
  | { type: 'choice'; name: string; label: string; options: { value: string; label: string }[] }
  | { type: 'person'; name: string; label: string; hint?: string }
  | { type: 'people'; name: string; label: string; hint?: string }
  | { type: 'date'; name: string; label: string }
  | { type: 'doc'; name: string; label: string; hint?: string }
  | { type: 'options'; name: 'options'; label: string }
  | { type: 'faq'; name: string; label: string }
  | { type: 'retro'; name: 'retro'; label: string }
  | { type: 'actions'; name: 'actions'; label: string }
  | { type: 'reactions'; name: 'reactions'; label: string };

export interface KindSpec {
  sections: Section[];
  fields: FieldDef[];
  /** Who is asked to respond when a review opens, from the fields (person ids). */
  reviewersFrom?: string[];
  /** Sections an RFC must have; the panel shows which are missing. */
  requiredSections?: string[];
}

/** Every kind opens with a TL;DR, because readers skim first. */
export const TLDR: FieldDef = {
  type: 'text',
  name: 'tldr',
  label: 'TL;DR',
  multiline: true,
  hint: 'One or two sentences: what this is and what you need from readers.'
};

const RFC_SECTIONS: Section[] = [
  { heading: 'Problem', guidance: 'What is wrong today, for whom, and how we know.' },
  {
    heading: 'Options considered',
    guidance: 'Each option with its pros, cons and risks — including doing nothing.'
  },
  { heading: 'Proposed implementation', guidance: 'What you would build and how it fits in.' },
  {
    heading: 'Performance impact',
    guidance: 'Latency, memory, cost: numbers where you have them.'
  },
  { heading: 'Security implications', guidance: 'New data, new access, new attack surface.' },
  {
    heading: 'Operational risks',
    guidance: 'What can go wrong in production and how we would notice.'
  }
];

export const KINDS: Record<DocumentKind, KindSpec> = {
  note: { sections: [], fields: [TLDR] },
  proposal: {
    sections: [
      { heading: 'Problem statement', guidance: 'The decision to be made, in one paragraph.' },
      { heading: 'Context', guidance: 'What a reader in another time zone needs to know first.' },
      {
        heading: 'Options considered',
        guidance: 'Describe each option; list them with RICE inputs in the fields panel.'
      },
      { heading: 'Recommendation', guidance: 'Which option you recommend, and why.' }
    ],
    fields: [
      TLDR,
      { type: 'person', name: 'driver', label: 'Driver', hint: 'Owns getting the decision made.' },
      { type: 'person', name: 'approver', label: 'Approver', hint: 'Makes the call.' },
      { type: 'people', name: 'contributors', label: 'Contributors', hint: 'Give input.' },
      { type: 'people', name: 'informed', label: 'Informed', hint: 'Told the outcome.' },
      { type: 'options', name: 'options', label: 'Options (RICE)' },
      { type: 'text', name: 'decision', label: 'Decision', multiline: true },
      { type: 'text', name: 'rationale', label: 'Rationale', multiline: true },
      { type: 'date', name: 'decisionDate', label: 'Decision date' },
      { type: 'date', name: 'reviewDate', label: 'Revisit on' }
    ],
    reviewersFrom: ['approver', 'contributors']
  },
  rfc: {
    sections: RFC_SECTIONS,
    fields: [
      TLDR,
      {
        type: 'choice',
        name: 'scope',
        label: 'Scope',
        options: [
          { value: 'small', label: 'Small — 3 business days of review' },
          { value: 'medium', label: 'Medium — 4 business days of review' },
          { value: 'large', label: 'Large — 5 business days of review' }
        ]
      },
      { type: 'people', name: 'reviewers', label: 'Reviewers' }
    ],
    reviewersFrom: ['reviewers'],
    requiredSections: RFC_SECTIONS.map((s) => s.heading)
  },
  adr: {
    sections: [
      { heading: 'Context', guidance: 'The forces at play: technical, political, practical.' },
      { heading: 'Decision', guidance: 'We will … (active voice, one decision).' },
      { heading: 'Consequences', guidance: 'What becomes easier, what becomes harder.' }
    ],
    fields: [
      TLDR,
      { type: 'date', name: 'decisionDate', label: 'Date' },
      {
        type: 'doc',
        name: 'supersededBy',
        label: 'Superseded by',
        hint: 'The ADR that replaced this one.'
      },
      {
        type: 'doc',
        name: 'decidedIn',
        label: 'Decided in',
        hint: 'The decision record behind this ADR.'
      },
      { type: 'people', name: 'reviewers', label: 'Reviewers' }
    ],
    reviewersFrom: ['reviewers']
  },
  prfaq: {
    sections: [{ heading: 'Notes', guidance: 'Anything longer than the fields beside can hold.' }],
    fields: [
      TLDR,
      { type: 'text', name: 'headline', label: 'Headline' },
      { type: 'text', name: 'subheading', label: 'Sub-heading' },
      { type: 'text', name: 'summary', label: 'Summary paragraph', multiline: true },
      { type: 'text', name: 'problem', label: 'The problem', multiline: true },
      { type: 'text', name: 'solution', label: 'The solution', multiline: true },
      { type: 'text', name: 'leaderQuote', label: 'Quote from a leader', multiline: true },
      { type: 'text', name: 'gettingStarted', label: 'How to get started', multiline: true },
      { type: 'text', name: 'customerQuote', label: 'Customer quote', multiline: true },
      { type: 'faq', name: 'faqExternal', label: 'External FAQ (customers)' },
      { type: 'faq', name: 'faqInternal', label: 'Internal FAQ (stakeholders)' },
      {
        type: 'choice',
        name: 'reviewHours',
        label: 'Review window',
        options: [
          { value: '48', label: '48 hours' },
          { value: '72', label: '72 hours' }
        ]
      },
      { type: 'people', name: 'reviewers', label: 'Stakeholders' }
    ],
    reviewersFrom: ['reviewers']
  },
  retro: {
    sections: [{ heading: 'About', guidance: 'Which project, which period.' }],
    fields: [
      TLDR,
      { type: 'people', name: 'team', label: 'Team' },
      { type: 'retro', name: 'retro', label: 'Entries' },
      { type: 'actions', name: 'actions', label: 'Agreed actions' }
    ],
    reviewersFrom: ['team']
  },
  weekly: {
    sections: [{ heading: 'Notes', guidance: 'Detail for anyone who wants more than the fields.' }],
    fields: [
      TLDR,
      {
        type: 'choice',
        name: 'health',
        label: 'Status',
        options: [
          { value: 'green', label: 'Green — on track' },
          { value: 'yellow', label: 'Yellow — at risk' },
          { value: 'red', label: 'Red — off track' }
        ]
      },
      { type: 'text', name: 'shipped', label: 'Shipped', multiline: true },
      { type: 'text', name: 'decisions', label: 'Decisions made', multiline: true },
      { type: 'text', name: 'risks', label: 'Risks', multiline: true },
      { type: 'text', name: 'asks', label: 'Asks', multiline: true },
      { type: 'text', name: 'next', label: 'Next', multiline: true },
      { type: 'reactions', name: 'reactions', label: 'Reactions' }
    ]
  },
  handoff: {
    sections: [
      { heading: 'Details', guidance: 'Links, commands, anything the next person needs.' }
    ],
    fields: [
      TLDR,
      { type: 'person', name: 'handoffTo', label: 'Handing off to' },
      { type: 'text', name: 'whereItStands', label: 'Where it stands', multiline: true },
      { type: 'text', name: 'doneToday', label: 'Done today', multiline: true },
      {
        type: 'text',
        name: 'firstThing',
        label: 'First thing for the next person',
        multiline: true
      },
      { type: 'text', name: 'blockers', label: 'Blockers', multiline: true }
    ]
  }
};

/** Text fields of a kind, in order (Markdown front matter, export). */
export function textFields(kind: DocumentKind): string[] {
  return KINDS[kind].fields.filter((f) => f.type === 'text').map((f) => f.name);
}

/** Guidance for the empty paragraph under a heading of this kind's template. */
export function guidanceFor(kind: DocumentKind, heading: string): string | null {
  return KINDS[kind].sections.find((s) => s.heading === heading.trim())?.guidance ?? null;
}

/** The template's body as ProseMirror JSON: each section a heading and an empty paragraph. */
export function templateContent(kind: DocumentKind): { type: string; content?: unknown[] }[] {
  return KINDS[kind].sections.flatMap((section) => [
    { type: 'heading', attrs: { level: 2 }, content: [{ type: 'text', text: section.heading }] },
    { type: 'paragraph' }
  ]);
}

/** RFC sections missing from the body's headings (case and spacing ignored). */
export function missingSections(kind: DocumentKind, headings: readonly string[]): string[] {
  const required = KINDS[kind].requiredSections ?? [];
  const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();
  const present = new Set(headings.map(norm));
  return required.filter((heading) => !present.has(norm(heading)));
}

const HOUR = 3_600_000;
const RFC_DAYS: Record<string, number> = { small: 3, medium: 4, large: 5 };

/**
 * When a review opened now would close, by the kind's rule, respecting the
 * working time of everyone asked (the latest of theirs):
 * - RFC: 3, 4 or 5 of their business days by scope (medium when unset);
 * - PR/FAQ: 48 or 72 hours (72 when unset);
 * - decision record: the 24-hour decision rule;
 * - anything else: 3 business days (design feedback).
 */
export function reviewWindowCloses(
  kind: DocumentKind,
  scalars: { scope?: unknown; reviewHours?: unknown },
  now: number,
  people: readonly WorkingTime[]
): number {
  if (people.length === 0)
    throw new Error('A review window needs at least one person’s working time.');
  switch (kind) {
    case 'prfaq':
      return now + (scalars.reviewHours === '48' ? 48 : 72) * HOUR;
    case 'proposal':
      return computeReplyBy('decision', now, people);
    case 'rfc': {
      const days = RFC_DAYS[String(scalars.scope)] ?? 4;
      return Math.max(
        ...people.map((time) => withinWorkingTime(addWorkingDays(now, days, time), time))
      );
    }
    default:
      return computeReplyBy('3bd', now, people);
  }
}

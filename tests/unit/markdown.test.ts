import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getSchema, type JSONContent } from '@tiptap/core';
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import {
  MAX_MARKDOWN_BYTES,
  MarkdownImportError,
  exportMarkdown,
  importIntoDoc,
  parseMarkdownFile,
  type ParsedMarkdown
} from '../../src/lib/editor/markdown.js';
import { schemaExtensions } from '../../src/lib/editor/schemaExtensions.js';
import {
  DOCUMENT_KINDS,
  getBody,
  initMeta,
  readMeta,
  type DocumentKind
} from '../../src/lib/model/schema.js';
import {
  addOption,
  readFields,
  readLifecycle,
  setDaciRole,
  setField,
  setStatus,
  setTextField,
  toggleDocReaction
} from '../../src/lib/model/documentFields.js';
import { addListItem, addToSet, setRetroPart } from '../../src/lib/model/fields.js';

const schema = getSchema(schemaExtensions());
const T0 = Date.UTC(2026, 2, 2, 9, 0);
const HOUR = 3_600_000;

const PEOPLE = new Map([
  ['u_ana', { name: 'Ana Souza' }],
  ['u_bo', { name: 'Bo Lindqvist' }],
  ['u_chen', { name: 'Chen Wei' }],
  ['u_dee', { name: 'Dee Okafor' }]
]);

// ------------------------------------------------------------------ bodies

const text = (value: string, marks?: JSONContent['marks']): JSONContent =>
  marks ? { type: 'text', text: value, marks } : { type: 'text', text: value };
const paragraph = (...content: JSONContent[]): JSONContent =>
  content.length > 0 ? { type: 'paragraph', content } : { type: 'paragraph' };
const heading = (level: number, value: string): JSONContent => ({
  type: 'heading',
  attrs: { level },
  content: [text(value)]
});
const item = (type: 'listItem' | 'taskItem', value: string, checked?: boolean): JSONContent => ({
  type,
  ...(type === 'taskItem' ? { attrs: { checked: checked ?? false } } : {}),
  content: [paragraph(text(value))]
});
const link = (href: string) => [{ type: 'link', attrs: { href } }];

function bodyFor(kind: DocumentKind): JSONContent {
  const content: JSONContent[] = [
    heading(2, 'Context'),
    paragraph(
      text('We ship the '),
      text('offline', [{ type: 'bold' }]),
      text(' editor to '),
      text('every', [{ type: 'italic' }]),
      text(' team; see '),
      text('the brief', link('https://example.com/brief?id=7&lang=en')),
      text(' — costs < 3 € & rising, 🎉.')
    ),
    paragraph(text('Stars * and under_scores and [brackets] stay literal.')),
    heading(3, 'What we know'),
    {
      type: 'bulletList',
      content: [
        item('listItem', 'Relay runs on one box'),
        {
          type: 'listItem',
          content: [
            paragraph(text('Clients sync through Yjs')),
            { type: 'bulletList', content: [item('listItem', 'nested point')] }
          ]
        }
      ]
    },
    {
      type: 'taskList',
      content: [
        item('taskItem', 'Write the migration', true),
        item('taskItem', 'Tell support', false)
      ]
    },
    {
      type: 'orderedList',
      attrs: { start: 1 },
      content: [item('listItem', 'first'), item('listItem', 'second')]
    },
    { type: 'blockquote', content: [paragraph(text('Quoted from the incident review.'))] },
    heading(2, 'Decision'),
    paragraph(text('Plain closing paragraph with '), text('code', [{ type: 'code' }]), text('.'))
  ];
  if (kind === 'rfc') {
    content.push(
      {
        type: 'table',
        content: [
          {
            type: 'tableRow',
            content: ['Option', 'Latency'].map((value) => ({
              type: 'tableHeader',
              content: [paragraph(text(value))]
            }))
          },
          {
            type: 'tableRow',
            content: ['Polling', '2 s'].map((value) => ({
              type: 'tableCell',
              content: [paragraph(text(value))]
            }))
          },
          {
            type: 'tableRow',
            content: ['WebSocket', '40 ms'].map((value) => ({
              type: 'tableCell',
              content: [paragraph(text(value))]
            }))
          }
        ]
      },
      {
        type: 'codeBlock',
        attrs: { language: 'ts' },
        content: [
          text(
            'const relay = connect(url);\n\n// keep *stars* and _unders_\nrelay.on("sync", done);'
          )
        ]
      }
    );
  }
  return { type: 'doc', content };
}

// ------------------------------------------------------------------ fields

function fill(doc: Y.Doc, kind: DocumentKind): void {
  const by = 'u_ana';
  setTextField(doc, 'tldr', `The ${kind}: what it is and what we need from you.`);
  switch (kind) {
    case 'note':
      break;
    case 'proposal':
      setDaciRole(doc, 'driver', 'u_ana', by, T0);
      setDaciRole(doc, 'approver', 'u_bo', by, T0);
      addToSet(doc, 'contributors', 'u_chen', T0);
      addToSet(doc, 'contributors', 'u_dee', T0);
      addToSet(doc, 'informed', 'u_dee', T0);
      addOption(doc, 'opt_a', {
        title: 'Keep polling',
        pros: 'Nothing to build',
        cons: 'Slow\nand costly',
        risks: '',
        reach: 1200,
        impact: 0.5,
        confidence: 80,
        effort: 1
      });
      addOption(doc, 'opt_b', {
        title: 'WebSocket relay',
        pros: 'Fast: 40 ms',
        cons: 'A server to run',
        risks: 'Ops load',
        reach: 5000,
        impact: 2,
        confidence: 50,
        effort: 3
      });
      setTextField(doc, 'decision', 'Go with the WebSocket relay.');
      setTextField(doc, 'rationale', 'Latency matters most.\n\nOps load is acceptable.');
      setField(doc, kind, 'decisionDate', '2026-03-04', by, T0);
      setField(doc, kind, 'reviewDate', '2026-09-01', by, T0);
      setStatus(doc, kind, 'decided', 'u_bo', T0 + HOUR, {
        outcome: 'Decided: WebSocket relay, revisit in September.'
      });
      break;
    case 'rfc':
      setField(doc, kind, 'scope', 'large', by, T0);
      addToSet(doc, 'reviewers', 'u_bo', T0);
      addToSet(doc, 'reviewers', 'u_chen', T0);
      setStatus(doc, kind, 'review', by, T0, { reviewClosesAt: T0 + 5 * 24 * HOUR });
      break;
    case 'adr':
      setField(doc, kind, 'decisionDate', '2026-03-05', by, T0);
      setField(doc, kind, 'decidedIn', 'doc_proposal_1', by, T0);
      addToSet(doc, 'reviewers', 'u_bo', T0);
      setStatus(doc, kind, 'decided', 'u_bo', T0 + 2 * HOUR, {
        outcome: 'Accepted.',
        adrNumber: 7
      });
      break;
    case 'prfaq':
      setTextField(doc, 'headline', 'Driftwrite works on the plane');
      setTextField(doc, 'subheading', 'Write anywhere: yes, even at 10,000 m');
      setTextField(doc, 'summary', 'Teams across time zones write together.');
      setTextField(doc, 'problem', 'Docs die in flight mode.');
      setTextField(doc, 'solution', 'Local-first editing that merges.');
      setTextField(doc, 'leaderQuote', '“We stopped losing drafts.” — CTO');
      setTextField(doc, 'gettingStarted', 'Open the app; that is all.');
      setTextField(doc, 'customerQuote', '"It just syncs."');
      addListItem(doc, 'faqExternal', {
        id: 'faq_1',
        texts: { question: 'Does it cost extra?', answer: 'No.' }
      });
      addListItem(doc, 'faqExternal', {
        id: 'faq_2',
        texts: {
          question: 'What about conflicts?',
          answer: 'They merge:\n- text by character\n- fields by value'
        }
      });
      addListItem(doc, 'faqInternal', {
        id: 'faq_3',
        texts: { question: 'Who runs the relay?', answer: '' }
      });
      setField(doc, kind, 'reviewHours', '48', by, T0);
      addToSet(doc, 'reviewers', 'u_dee', T0);
      break;
    case 'retro':
      addToSet(doc, 'team', 'u_ana', T0);
      addToSet(doc, 'team', 'u_bo', T0);
      setRetroPart(doc, 'u_ana', 'wentWell', 'Shipped on time');
      setRetroPart(doc, 'u_ana', 'didNot', 'Too many meetings');
      setRetroPart(doc, 'u_ana', 'change', 'Async reviews');
      setRetroPart(doc, 'u_bo', 'wentWell', 'Pairing');
      addListItem(doc, 'actions', {
        id: 'act_1',
        values: { owner: 'u_bo', due: '2026-03-20' },
        texts: { text: 'Move stand-up to writing' }
      });
      setStatus(doc, kind, 'archived', by, T0);
      break;
    case 'weekly':
      setField(doc, kind, 'health', 'yellow', by, T0);
      setTextField(doc, 'shipped', '- Offline mode\n- Markdown export');
      setTextField(doc, 'decisions', 'Relay stays single-box.');
      setTextField(doc, 'risks', 'key: value lines # are just text');
      setTextField(doc, 'asks', 'Review the RFC by Friday.');
      setTextField(doc, 'next', '  indented first line\ntrailing newline\n');
      break;
    case 'handoff':
      setField(doc, kind, 'handoffTo', 'u_chen', by, T0);
      setTextField(doc, 'whereItStands', 'Relay deployed to staging.');
      setTextField(doc, 'doneToday', 'Fixed the reconnect loop.');
      setTextField(doc, 'firstThing', 'Check the overnight error log.');
      setTextField(doc, 'blockers', 'None.');
      break;
  }
}

function buildDoc(kind: DocumentKind): Y.Doc {
  const doc = new Y.Doc();
  initMeta(doc, {
    title: `A ${kind}: offline sync`,
    kind,
    createdAt: T0 - 24 * HOUR,
    createdBy: 'u_ana'
  });
  prosemirrorJSONToYXmlFragment(schema, bodyFor(kind), getBody(doc));
  fill(doc, kind);
  return doc;
}

function bodyJSON(doc: Y.Doc): unknown {
  return yXmlFragmentToProseMirrorRootNode(getBody(doc), schema).toJSON();
}

function options(kind: DocumentKind) {
  return { adrNumber: kind === 'adr' ? 7 : null, people: PEOPLE };
}

// ------------------------------------------------------------------- tests

describe('Markdown round trip', () => {
  it.each(DOCUMENT_KINDS)('%s: export → import → export gives the same bytes', (kind) => {
    const original = buildDoc(kind);
    const first = exportMarkdown(original, options(kind));

    const copy = new Y.Doc();
    importIntoDoc(copy, parseMarkdownFile(new TextEncoder().encode(first)), 'u_dee', T0 + 9 * HOUR);
    const second = exportMarkdown(copy, options(kind));

    expect(second).toBe(first);
    expect(readFields(copy, kind)).toEqual(readFields(original, kind));
    expect(bodyJSON(copy)).toEqual(bodyJSON(original));
    expect(readMeta(copy)).toMatchObject({ kind, title: `A ${kind}: offline sync` });
    expect(readLifecycle(copy).status).toBe(readLifecycle(original).status);
    // The body is real Markdown, not escaped HTML or JSON.
    expect(first).toContain('\n## Context\n');
    expect(first).toContain('**offline**');
    expect(first).toContain('*every*');
    expect(first).toContain('[the brief](https://example.com/brief?id=7&lang=en)');
    expect(first).toContain('- [x] Write the migration');
    expect(first).toContain('- [ ] Tell support');
    if (kind === 'rfc') {
      expect(first).toMatch(/\| Option +\| Latency +\|/);
      expect(first).toContain('```ts\nconst relay = connect(url);');
    }
  });

  it('writes the front matter in a fixed order, with names beside ids', () => {
    const file = exportMarkdown(buildDoc('adr'), options('adr'));
    expect(file.slice(0, file.indexOf('\n## Context'))).toBe(
      [
        '---',
        'kind: adr',
        'title: "A adr: offline sync"',
        'status: decided',
        'decidedAt: 2026-03-02T11:00:00.000Z',
        'decidedBy: u_bo # Bo Lindqvist',
        'outcome: Accepted.',
        'adr: 7',
        'tldr: "The adr: what it is and what we need from you."',
        'decisionDate: 2026-03-05',
        'decidedIn: doc_proposal_1',
        'reviewers:',
        '  - u_bo # Bo Lindqvist',
        '---',
        ''
      ].join('\n')
    );
  });

  it('writes lists as plain objects in a fixed key order', () => {
    const file = exportMarkdown(buildDoc('proposal'), options('proposal'));
    expect(file).toContain(
      [
        'options:',
        '  - id: opt_a',
        '    title: Keep polling',
        '    pros: Nothing to build',
        '    cons: |-',
        '      Slow',
        '      and costly',
        '    risks: ""',
        '    reach: 1200',
        '    impact: 0.5',
        '    confidence: 80',
        '    effort: 1'
      ].join('\n')
    );
    expect(file).not.toContain('removedAt');
    expect(file).toContain('driver: u_ana # Ana Souza');
    expect(file).toContain('contributors:\n  - u_chen # Chen Wei\n  - u_dee # Dee Okafor\n');
  });

  it('leaves out empty fields, and the ADR number unless given', () => {
    const doc = new Y.Doc();
    initMeta(doc, { title: 'Bare', kind: 'adr', createdAt: T0, createdBy: 'u_ana' });
    expect(exportMarkdown(doc)).toBe('---\nkind: adr\ntitle: Bare\nstatus: draft\n---\n');
  });

  it('does not export reactions (who clicked what is not content)', () => {
    const doc = buildDoc('weekly');
    toggleDocReaction(doc, 'u_bo', '👍', T0);
    expect(exportMarkdown(doc)).not.toContain('👍');
  });

  it('gives the same bytes for the same document on every replica', () => {
    const a = buildDoc('retro');
    const b = new Y.Doc();
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(exportMarkdown(b, { people: PEOPLE })).toBe(exportMarkdown(a, { people: PEOPLE }));
  });
});

describe('body edge cases', () => {
  const cell = (type: string, value: string, align: string | null = null): JSONContent => ({
    type,
    attrs: { align },
    content: [paragraph(text(value))]
  });
  const table = (rows: JSONContent[][]): JSONContent => ({
    type: 'table',
    content: rows.map((content) => ({ type: 'tableRow', content }))
  });

  function roundTrip(content: JSONContent[]) {
    const doc = new Y.Doc();
    initMeta(doc, { title: 'Edge', kind: 'note', createdAt: T0, createdBy: 'u_ana' });
    prosemirrorJSONToYXmlFragment(schema, { type: 'doc', content }, getBody(doc));
    const first = exportMarkdown(doc);
    const copy = new Y.Doc();
    importIntoDoc(copy, parseMarkdownFile(first), 'u_ana', T0);
    return { first, second: exportMarkdown(copy), before: bodyJSON(doc), after: bodyJSON(copy) };
  }

  it('round-trips a body that opens with a table, column alignment included', () => {
    const result = roundTrip([
      table([
        [cell('tableHeader', 'Item', 'left'), cell('tableHeader', 'Cost', 'right')],
        [cell('tableCell', 'Relay', 'left'), cell('tableCell', '40 €', 'right')]
      ]),
      paragraph(text('After the table.'))
    ]);
    expect(result.first).toContain('---\n\n| Item');
    expect(result.first).toMatch(/\| :-+ \| -+: \|/);
    expect(result.second).toBe(result.first);
    expect(result.after).toEqual(result.before);
  });

  it('round-trips hard breaks, multi-paragraph list items and marks inside links', () => {
    const result = roundTrip([
      paragraph(text('line one'), { type: 'hardBreak' }, text('line two')),
      {
        type: 'bulletList',
        content: [{ type: 'listItem', content: [paragraph(text('one')), paragraph(text('two'))] }]
      },
      paragraph(text('bold link', [{ type: 'bold' }, ...link('https://example.com')]))
    ]);
    expect(result.second).toBe(result.first);
    expect(result.after).toEqual(result.before);
  });

  // Known gaps of @tiptap/markdown 3.31.3's serializer, which escapes inline
  // syntax only. `it.fails` passes while the gap is there; when an upgrade
  // fixes one, the test turns red as a reminder to make it a plain `it`.
  it.fails('keeps a “|” inside a table cell (3.31.3 splits the cell)', () => {
    const result = roundTrip([
      table([
        [cell('tableHeader', 'a'), cell('tableHeader', 'b')],
        [cell('tableCell', 'x | y'), cell('tableCell', '2')]
      ])
    ]);
    expect(result.after).toEqual(result.before);
  });

  it.fails('keeps a paragraph that starts like a list (3.31.3 makes it a list)', () => {
    const result = roundTrip([paragraph(text('1. not a list'))]);
    expect(result.after).toEqual(result.before);
  });
});

describe('importing plain Markdown', () => {
  it('imports a file without front matter as a note titled by its first heading', () => {
    const parsed = parseMarkdownFile('# Trip notes\n\nWe landed **late**.\n\n## Day one\n');
    expect(parsed.kind).toBe('note');
    expect(parsed.title).toBe('Trip notes');
    expect(parsed.fields).toEqual({});
    // The heading became the title, so it is not repeated in the body.
    expect(parsed.body.content?.[0]).toMatchObject({ type: 'paragraph' });

    const doc = new Y.Doc();
    importIntoDoc(doc, parsed, 'u_ana', T0);
    expect(readMeta(doc)).toMatchObject({
      title: 'Trip notes',
      kind: 'note',
      createdAt: T0,
      createdBy: 'u_ana'
    });
    expect(exportMarkdown(doc)).toBe(
      '---\nkind: note\ntitle: Trip notes\nstatus: draft\n---\n\nWe landed **late**.\n\n## Day one\n'
    );
  });

  it('imports a file with no heading as an untitled note', () => {
    expect(parseMarkdownFile('Just a line.\n')).toMatchObject({ kind: 'note', title: '' });
  });

  it('accepts a byte order mark and Windows line ends', () => {
    const parsed = parseMarkdownFile(
      '\uFEFF---\r\nkind: weekly\r\nhealth: green\r\n---\r\n\r\nHi\r\n'
    );
    expect(parsed).toMatchObject({ kind: 'weekly', fields: { health: 'green' } });
  });

  it('fits Markdown the editor cannot hold: deep headings, stray inline content', () => {
    const parsed = parseMarkdownFile(
      '---\nkind: note\ntitle: x\n---\n\n#### Deep\n\n![alt text](a.png)\n'
    );
    expect(parsed.body.content?.[0]).toMatchObject({ type: 'heading', attrs: { level: 3 } });
    expect(() => schema.nodeFromJSON(parsed.body).check()).not.toThrow();
  });

  it('keeps the status it names and hands back the ADR number without writing it', () => {
    const parsed = parseMarkdownFile(
      '---\nkind: adr\ntitle: Use Yjs\nstatus: decided\nadr: 12\n---\n'
    );
    expect(parsed).toMatchObject({ status: 'decided', adrNumber: 12 });
    const doc = new Y.Doc();
    importIntoDoc(doc, parsed, 'u_ana', T0);
    expect(readLifecycle(doc)).toMatchObject({ status: 'decided', adrNumber: null });
  });
});

describe('refusals', () => {
  /** Imports into a document that already has an unrelated root; returns the refusal. */
  function refuse(input: Uint8Array | string | (() => ParsedMarkdown)): MarkdownImportError {
    const doc = new Y.Doc();
    doc.getMap('unrelated').set('x', 1);
    const before = Y.encodeStateAsUpdate(doc);
    let caught: unknown;
    try {
      const parsed = typeof input === 'function' ? input() : parseMarkdownFile(input);
      importIntoDoc(doc, parsed, 'u_ana', T0);
    } catch (error) {
      caught = error;
    }
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
    expect(caught).toBeInstanceOf(MarkdownImportError);
    return caught as MarkdownImportError;
  }

  it('refuses bytes that are not UTF-8', () => {
    expect(refuse(new Uint8Array([0xff, 0xfe, 0x00])).message).toMatch(/not UTF-8 text/);
  });

  it('refuses a file over 5 MB before reading it', () => {
    const bytes = new Uint8Array(MAX_MARKDOWN_BYTES + 1).fill(0x61);
    expect(refuse(bytes).message).toMatch(/larger than 5 MB/);
    expect(refuse('a'.repeat(MAX_MARKDOWN_BYTES + 1)).message).toMatch(/larger than 5 MB/);
    // Exactly 5 MB is allowed.
    expect(() => parseMarkdownFile(new Uint8Array(MAX_MARKDOWN_BYTES).fill(0x61))).not.toThrow();
  });

  it('refuses a kind it does not know, naming it and the known ones', () => {
    const message = refuse('---\nkind: memo\ntitle: Lunch\n---\n\nHello\n').message;
    expect(message).toContain('“memo” is not a kind of document this app knows');
    expect(message).toContain('note, proposal, rfc, adr, prfaq, retro, weekly, handoff');
  });

  it('refuses front matter without a kind', () => {
    expect(refuse('---\ntitle: Lunch\n---\n').message).toMatch(
      /does not say what kind of document this is.*kind: note/
    );
  });

  it('refuses front matter that is not YAML, with the line', () => {
    const message = refuse('---\nkind: note\ntitle: [unclosed\n---\n').message;
    expect(message).toMatch(/^The front matter is not valid YAML \(line \d+ of the file\)/);
  });

  it('refuses front matter that is not a set of names and values', () => {
    expect(refuse('---\n- a\n- b\n---\n').message).toMatch(/“name: value” lines/);
  });

  it('refuses front matter that never closes', () => {
    expect(refuse('---\nkind: note\n\nbody\n').message).toMatch(/never closes it/);
  });

  it('refuses an impossible date in a date field', () => {
    const message = refuse('---\nkind: adr\ntitle: X\ndecisionDate: 2026-02-30\n---\n').message;
    expect(message).toBe('Date: “2026-02-30” is not a real day. Write a date like 2026-12-03.');
  });

  it('refuses a bad date even when the parsed file was built by hand', () => {
    const message = refuse(() => ({
      kind: 'proposal',
      title: 'X',
      fields: { tldr: 'ok', decisionDate: '2026-13-01' },
      body: bodyFor('proposal')
    })).message;
    expect(message).toMatch(/Decision date: “2026-13-01” is not a real day/);
  });

  it('refuses a field value of the wrong type', () => {
    expect(refuse('---\nkind: note\ntldr:\n  - a\n  - b\n---\n').message).toBe(
      'TL;DR should be text, not a list.'
    );
    expect(refuse('---\nkind: proposal\ncontributors: u_ana\n---\n').message).toMatch(
      /Contributors should be a list/
    );
    expect(refuse('---\nkind: rfc\nscope: huge\n---\n').message).toBe(
      'Scope: “huge” is not one of its choices (small, medium, large).'
    );
    expect(
      refuse('---\nkind: proposal\noptions:\n  - title: A\n    impact: 7\n---\n').message
    ).toMatch(/Option “A”/);
  });

  it('refuses a status it does not know', () => {
    expect(refuse('---\nkind: adr\nstatus: accepted\n---\n').message).toMatch(
      /“accepted” is not a status.*draft, review, decided/
    );
  });

  it('refuses to import into a document that already has text', () => {
    const doc = buildDoc('note');
    const before = Y.encodeStateAsUpdate(doc);
    expect(() => importIntoDoc(doc, parseMarkdownFile('Hello\n'), 'u_ana', T0)).toThrow(
      /already has text/
    );
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });
});

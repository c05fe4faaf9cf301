/**
 * Markdown out and in: a document as a Markdown file whose YAML front matter
 * holds its kind, title, lifecycle and fields (so ADRs can live in a code
 * repository), and a Markdown file back as a new document of the kind its
 * front matter names. Pure: no DOM, no Svelte; runs in the browser and in Node.
 *
 * The body goes through tiptap's own Markdown package (`MarkdownManager`,
 * headless: no Editor, no DOM) with the schema every client agrees on; the
 * front matter through the `yaml` library. Nothing here writes or reads
 * Markdown syntax by hand.
 */
import type * as Y from 'yjs';
import YAML from 'yaml';
import { getSchema, type JSONContent } from '@tiptap/core';
import type { Node as PMNode, Schema } from '@tiptap/pm/model';
import { MarkdownManager } from '@tiptap/markdown';
import { prosemirrorJSONToYXmlFragment, yXmlFragmentToProseMirrorRootNode } from '@tiptap/y-tiptap';
import { schemaExtensions } from './schemaExtensions.js';
import {
  DOCUMENT_KINDS,
  getBody,
  getMetaMap,
  initMeta,
  isDocumentKind,
  readMeta,
  type DocumentKind
} from '../model/schema.js';
import { KINDS, type FieldDef } from '../model/kinds.js';
import { isIsoDate, readFields, readLifecycle, writeFields } from '../model/documentFields.js';
import { FieldError, fieldText, setScalar, updateText } from '../model/fields.js';
import { STATUSES, isStatus, type Status } from '../model/lifecycle.js';
import { riceInputError } from '../model/documentFields.js';

import { MAX_MARKDOWN_BYTES, MarkdownImportError } from './markdownImportError.js';

export { MAX_MARKDOWN_BYTES, MarkdownImportError };

export interface ExportOptions {
  /** The ADR's number in its workspace (adrNumbers in adr.ts); written as `adr:`. */
  adrNumber?: number | null;
  /** Names to show beside person ids, as YAML comments (ids are what is read back). */
  people?: ReadonlyMap<string, { name: string }>;
}

/** Lifecycle details a file may carry besides its status. */
export interface ImportedLifecycle {
  decidedAt?: number;
  decidedBy?: string;
  outcome?: string;
  reviewClosesAt?: number;
}

export interface ParsedMarkdown {
  kind: DocumentKind;
  title: string;
  /** Field values by name, checked and in the shapes writeFields takes. */
  fields: Record<string, unknown>;
  status?: Status;
  lifecycle?: ImportedLifecycle;
  /** The `adr:` number the file was exported with; not written (numbers belong to a workspace). */
  adrNumber?: number;
  /** The body as ProseMirror JSON, already checked against the schema. */
  body: JSONContent;
}

// ------------------------------------------------------------------- tools

let tools: { schema: Schema; markdown: MarkdownManager } | null = null;

/**
 * One schema and one MarkdownManager per process. A manager registers its
 * tokenizers (task lists, tables, …) on marked's shared instance, so making a
 * new one per call would pile up duplicate tokenizers.
 */
function markdownTools(): { schema: Schema; markdown: MarkdownManager } {
  if (!tools) {
    const extensions = schemaExtensions();
    tools = { schema: getSchema(extensions), markdown: new MarkdownManager({ extensions }) };
  }
  return tools;
}

// ------------------------------------------------------------------ export

/** Keys of list items in the order they are written; other keys follow, sorted. */
const ITEM_KEY_ORDER: Record<string, string[]> = {
  options: ['id', 'title', 'pros', 'cons', 'risks', 'reach', 'impact', 'confidence', 'effort'],
  faq: ['id', 'question', 'answer'],
  actions: ['id', 'text', 'owner', 'due'],
  retro: ['person', 'wentWell', 'didNot', 'change']
};

/** Keys inside list items that hold a person id (shown with a name comment). */
const PERSON_ITEM_KEYS = ['owner', 'person'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function orderedItem(listType: string, item: Record<string, unknown>): Record<string, unknown> {
  const order = ITEM_KEY_ORDER[listType] ?? ['id'];
  const keys = [
    ...order.filter((key) => key in item),
    ...Object.keys(item)
      .filter((key) => !order.includes(key) && key !== 'removedAt')
      .sort()
  ];
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const value = item[key];
    if (value !== undefined && value !== null) out[key] = value;
  }
  return out;
}

/** A field's value as written in front matter, or undefined when it is empty. */
function exportValue(def: FieldDef, value: unknown): unknown {
  switch (def.type) {
    case 'text':
    case 'choice':
    case 'person':
    case 'date':
    case 'doc':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'people':
      return Array.isArray(value) && value.length > 0 ? [...value] : undefined;
    case 'options':
    case 'faq':
    case 'actions':
    case 'retro': {
      if (!Array.isArray(value) || value.length === 0) return undefined;
      const listType = def.type === 'faq' ? 'faq' : def.type;
      return value.map((item) => orderedItem(listType, item as Record<string, unknown>));
    }
    case 'reactions':
      // Reactions are who clicked what, not content; they are not imported either.
      return undefined;
  }
}

/**
 * The document as a Markdown file: YAML front matter (kind, title, status,
 * decision, review window, ADR number, then every non-empty field in the
 * kind's order), a blank line, then the body. The same document always gives
 * the same bytes.
 */
export function exportMarkdown(doc: Y.Doc, options: ExportOptions = {}): string {
  const { schema, markdown } = markdownTools();
  const meta = readMeta(doc);
  const kind = meta.kind;
  const life = readLifecycle(doc);

  const front: Record<string, unknown> = { kind, title: meta.title, status: life.status };
  const decided = life.status !== 'draft' && life.status !== 'review';
  if (decided && life.decidedAt !== null) {
    front.decidedAt = iso(life.decidedAt);
    if (life.decidedBy) front.decidedBy = life.decidedBy;
    if (life.outcome) front.outcome = life.outcome;
  }
  if (life.reviewClosesAt !== null) front.reviewClosesAt = iso(life.reviewClosesAt);
  const adr = options.adrNumber;
  if (kind === 'adr' && typeof adr === 'number' && Number.isInteger(adr) && adr > 0)
    front.adr = adr;

  const values = readFields(doc, kind);
  const personKeys = new Set(['decidedBy']);
  for (const def of KINDS[kind].fields) {
    const value = exportValue(def, values[def.name]);
    if (value === undefined) continue;
    front[def.name] = value;
    if (def.type === 'person' || def.type === 'people') personKeys.add(def.name);
  }

  const yaml = new YAML.Document(front);
  if (options.people) addNameComments(yaml, personKeys, options.people);
  const frontText = yaml.toString({ lineWidth: 0 });

  const json = yXmlFragmentToProseMirrorRootNode(getBody(doc), schema).toJSON() as JSONContent;
  // Blank lines at either end would come back as empty paragraphs (a table
  // first in the body renders with one), so the file would change each trip.
  const body = markdown.serialize(json).replace(/^\n+|\n+$/g, '');
  return `---\n${frontText}---\n${body ? `\n${body}\n` : ''}`;
}

/** Puts `# Name` after each person id, so a reader of the file knows who it is. */
function addNameComments(
  yaml: YAML.Document,
  personKeys: ReadonlySet<string>,
  people: ReadonlyMap<string, { name: string }>
): void {
  const label = (node: unknown) => {
    if (!YAML.isScalar(node) || typeof node.value !== 'string') return;
    const name = people.get(node.value)?.name.replace(/\s+/g, ' ').trim();
    if (name) node.comment = ` ${name}`;
  };
  for (const key of personKeys) {
    const node = yaml.get(key, true);
    if (YAML.isSeq(node)) node.items.forEach(label);
    else label(node);
  }
  for (const listName of ['actions', 'retro']) {
    const list = yaml.get(listName, true);
    if (!YAML.isSeq(list)) continue;
    for (const item of list.items) {
      if (!YAML.isMap(item)) continue;
      for (const key of PERSON_ITEM_KEYS) label(item.get(key, true));
    }
  }
}

// ------------------------------------------------------------------ import

const FRONT_MATTER = /^---[ \t]*\n(?:([\s\S]*?)\n)?(?:---|\.\.\.)[ \t]*(?:\n|$)/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function decode(input: Uint8Array | string): string {
  if (typeof input === 'string') {
    // Every UTF-16 unit is at least one UTF-8 byte, so only short strings need measuring.
    if (
      input.length > MAX_MARKDOWN_BYTES ||
      new TextEncoder().encode(input).length > MAX_MARKDOWN_BYTES
    )
      throw tooLarge();
    return input;
  }
  if (input.byteLength > MAX_MARKDOWN_BYTES) throw tooLarge();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    throw new MarkdownImportError(
      'This file is not UTF-8 text, so it cannot be a Markdown file. Save it as UTF-8 and try again.'
    );
  }
}

function tooLarge(): MarkdownImportError {
  return new MarkdownImportError(
    'This file is larger than 5 MB. A document that big would be slow for everyone; split it first.'
  );
}

/**
 * Reads a Markdown file (bytes or text) into what importIntoDoc writes.
 * Everything is checked here; a problem throws MarkdownImportError.
 */
export function parseMarkdownFile(input: Uint8Array | string): ParsedMarkdown {
  const text = decode(input)
    .replace(/^\uFEFF/, '')
    .replace(/\r\n?/g, '\n');
  const match = FRONT_MATTER.exec(text);
  if (!match) {
    if (/^---[ \t]*\n/.test(text))
      throw new MarkdownImportError(
        'The file starts front matter with “---” but never closes it with another “---” line.'
      );
    const { body, heading } = parseBody(text, true);
    return { kind: 'note', title: heading ?? '', fields: {}, body };
  }

  const data = parseFrontMatter(match[1] ?? '');
  const kind = data.kind;
  if (kind === undefined || kind === null || kind === '')
    throw new MarkdownImportError(
      `The front matter does not say what kind of document this is. Add a line like “kind: note”; the kinds are ${listKinds()}.`
    );
  if (!isDocumentKind(kind))
    throw new MarkdownImportError(
      `“${String(kind)}” is not a kind of document this app knows. The kinds are ${listKinds()}.`
    );

  let title: string | undefined;
  if (typeof data.title === 'string') title = data.title;
  else if (typeof data.title === 'number') title = String(data.title);
  else if (data.title !== undefined && data.title !== null)
    throw new MarkdownImportError('The title in the front matter should be a line of text.');

  let status: Status | undefined;
  if (data.status !== undefined && data.status !== null) {
    if (!isStatus(data.status))
      throw new MarkdownImportError(
        `“${String(data.status)}” is not a status this app knows. The statuses are ${STATUSES.join(', ')}.`
      );
    status = data.status;
  }

  const lifecycle: ImportedLifecycle = {};
  const decidedAt = timestamp(data.decidedAt, 'decidedAt');
  if (decidedAt !== undefined) lifecycle.decidedAt = decidedAt;
  const reviewClosesAt = timestamp(data.reviewClosesAt, 'reviewClosesAt');
  if (reviewClosesAt !== undefined) lifecycle.reviewClosesAt = reviewClosesAt;
  if (data.decidedBy !== undefined && data.decidedBy !== null)
    lifecycle.decidedBy = personId(data.decidedBy, 'decidedBy');
  if (data.outcome !== undefined && data.outcome !== null)
    lifecycle.outcome = textValue(data.outcome, 'outcome');

  let adrNumber: number | undefined;
  if (data.adr !== undefined && data.adr !== null) {
    if (typeof data.adr !== 'number' || !Number.isInteger(data.adr) || data.adr < 1)
      throw new MarkdownImportError('“adr” should be the ADR’s number, like 7.');
    adrNumber = data.adr;
  }

  const fields = checkFields(kind, data);
  const { body, heading } = parseBody(
    match[0].length < text.length ? text.slice(match[0].length) : '',
    title === undefined
  );

  const parsed: ParsedMarkdown = { kind, title: title ?? heading ?? '', fields, body };
  if (status) parsed.status = status;
  if (Object.keys(lifecycle).length > 0) parsed.lifecycle = lifecycle;
  if (adrNumber !== undefined) parsed.adrNumber = adrNumber;
  return parsed;
}

function listKinds(): string {
  return DOCUMENT_KINDS.join(', ');
}

function parseFrontMatter(source: string): Record<string, unknown> {
  const yaml = YAML.parseDocument(source, { prettyErrors: true });
  if (yaml.errors.length > 0) {
    const error = yaml.errors[0];
    // +1: the opening “---” is the file's first line.
    const line = error.linePos ? ` (line ${error.linePos[0].line + 1} of the file)` : '';
    const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new MarkdownImportError(`The front matter is not valid YAML${line}: ${reason}`);
  }
  let data: unknown;
  try {
    data = yaml.toJS();
  } catch (error) {
    throw new MarkdownImportError(
      `The front matter could not be read: ${(error as Error).message.split('\n')[0]}`
    );
  }
  if (data === null || data === undefined)
    throw new MarkdownImportError(
      `The front matter is empty. It needs at least a line like “kind: note”; the kinds are ${listKinds()}.`
    );
  if (typeof data !== 'object' || Array.isArray(data))
    throw new MarkdownImportError(
      'The front matter should be a list of “name: value” lines, like “kind: adr”.'
    );
  return data as Record<string, unknown>;
}

function timestamp(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms =
    value instanceof Date
      ? value.getTime()
      : typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)
        ? Date.parse(value)
        : NaN;
  if (!Number.isFinite(ms))
    throw new MarkdownImportError(
      `“${key}” should be a moment like 2026-03-04T09:30:00.000Z, not “${String(value)}”.`
    );
  return ms;
}

function textValue(value: unknown, label: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new MarkdownImportError(`${label} should be text, not ${describe(value)}.`);
}

function personId(value: unknown, label: string): string {
  if (typeof value === 'string' && ID.test(value)) return value;
  throw new MarkdownImportError(
    `${label} should be a person’s id (letters, digits, - and _), not ${describe(value)}.`
  );
}

function dateValue(value: unknown, label: string): string {
  const day =
    value instanceof Date && Number.isFinite(value.getTime())
      ? value.toISOString().slice(0, 10)
      : value;
  if (isIsoDate(day)) return day;
  throw new MarkdownImportError(
    `${label}: ${describe(value)} is not a real day. Write a date like 2026-12-03.`
  );
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return `“${value.toISOString()}”`;
  if (typeof value === 'object') return 'a group of values';
  return `“${String(value)}”`;
}

function listOf(value: unknown, label: string): unknown[] {
  if (Array.isArray(value)) return value;
  throw new MarkdownImportError(`${label} should be a list (lines starting with “- ”).`);
}

function itemOf(value: unknown, label: string): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw new MarkdownImportError(
    `Each entry of ${label} should be a group of “name: value” lines, not ${describe(value)}.`
  );
}

/** The value of `key` in a list item as text, or undefined when absent. */
function itemText(item: Record<string, unknown>, key: string, label: string): string | undefined {
  const value = item[key];
  return value === undefined || value === null ? undefined : textValue(value, `${label}: ${key}`);
}

/**
 * Checks every field of the kind and returns it in the shapes writeFields
 * takes (unknown keys dropped). Rules are writeFields' own, plus the shapes
 * it assumes, so writeFields never refuses what passes here.
 */
function checkFields(kind: DocumentKind, data: Record<string, unknown>): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const def of KINDS[kind].fields) {
    const value = data[def.name];
    if (value === undefined || value === null) continue;
    const label = def.label;
    switch (def.type) {
      case 'text':
        fields[def.name] = textValue(value, label);
        break;
      case 'choice': {
        const choice = typeof value === 'number' ? String(value) : value;
        if (typeof choice !== 'string' || !def.options.some((o) => o.value === choice))
          throw new MarkdownImportError(
            `${label}: ${describe(value)} is not one of its choices (${def.options.map((o) => o.value).join(', ')}).`
          );
        fields[def.name] = choice;
        break;
      }
      case 'person':
        fields[def.name] = personId(value, label);
        break;
      case 'doc':
        if (typeof value !== 'string' || !ID.test(value))
          throw new MarkdownImportError(
            `${label} should be a document’s id, not ${describe(value)}.`
          );
        fields[def.name] = value;
        break;
      case 'date':
        fields[def.name] = dateValue(value, label);
        break;
      case 'people':
        fields[def.name] = listOf(value, label).map((id) => personId(id, label));
        break;
      case 'options':
        fields[def.name] = checkList(value, label, (item, i) => {
          const out: Record<string, unknown> = {};
          for (const key of ['title', 'pros', 'cons', 'risks']) {
            const text = itemText(item, key, `${label} ${i + 1}`);
            if (text !== undefined) out[key] = text;
          }
          const rice: Record<string, number> = {};
          for (const key of ['reach', 'impact', 'confidence', 'effort']) {
            const n = item[key];
            if (n === undefined || n === null) continue;
            if (typeof n !== 'number' || !Number.isFinite(n))
              throw new MarkdownImportError(
                `${label} ${i + 1}: ${key} should be a number, not ${describe(n)}.`
              );
            rice[key] = n;
          }
          // Each given input on its own: an option can be scored later.
          for (const [key, n] of Object.entries(rice)) {
            const error = riceInputError(key as 'reach' | 'impact' | 'confidence' | 'effort', n);
            if (error)
              throw new MarkdownImportError(`Option “${String(out.title ?? i + 1)}”: ${error}`);
          }
          return { ...out, ...rice };
        });
        break;
      case 'faq':
        fields[def.name] = checkList(value, label, (item, i) => {
          const out: Record<string, unknown> = {};
          for (const key of ['question', 'answer']) {
            const text = itemText(item, key, `${label} ${i + 1}`);
            if (text !== undefined) out[key] = text;
          }
          return out;
        });
        break;
      case 'actions':
        fields[def.name] = checkList(value, label, (item, i) => {
          const out: Record<string, unknown> = {};
          const text = itemText(item, 'text', `${label} ${i + 1}`);
          if (text !== undefined) out.text = text;
          if (item.owner !== undefined && item.owner !== null)
            out.owner = personId(item.owner, `${label} ${i + 1}: owner`);
          if (item.due !== undefined && item.due !== null)
            out.due = dateValue(item.due, `${label} ${i + 1}: due`);
          return out;
        });
        break;
      case 'retro': {
        const seen = new Set<string>();
        fields[def.name] = listOf(value, label).map((raw, i) => {
          const item = itemOf(raw, label);
          const person = personId(item.person, `${label} ${i + 1}: person`);
          if (seen.has(person))
            throw new MarkdownImportError(`${label}: ${person} has two entries; merge them first.`);
          seen.add(person);
          const entry: Record<string, string> = { person };
          for (const part of ['wentWell', 'didNot', 'change'])
            entry[part] = itemText(item, part, `${label} ${i + 1}`) ?? '';
          return entry;
        });
        break;
      }
      case 'reactions':
        break;
    }
  }
  return fields;
}

/** A list of items, each checked by `check`; ids kept when valid and unique. */
function checkList(
  value: unknown,
  label: string,
  check: (item: Record<string, unknown>, index: number) => Record<string, unknown>
): Record<string, unknown>[] {
  const ids = new Set<string>();
  return listOf(value, label).map((raw, i) => {
    const item = itemOf(raw, label);
    const out = check(item, i);
    const id = item.id;
    if (typeof id === 'string' && ID.test(id) && !ids.has(id)) {
      ids.add(id);
      return { id, ...out };
    }
    return out;
  });
}

/** Heading levels the schema allows (schemaExtensions: 1 to 3). */
const MAX_HEADING_LEVEL = 3;

/**
 * Fits the parser's JSON to the schema where Markdown can say more than the
 * editor holds: deeper headings become level 3, and inline content left
 * directly in a block container (an image's alt text, for one) is wrapped in
 * a paragraph.
 */
function fitToSchema(node: JSONContent, schema: Schema): JSONContent {
  const out: JSONContent = { ...node };
  if (node.type === 'heading') {
    const level = Number(node.attrs?.level);
    out.attrs = {
      ...node.attrs,
      level: Number.isInteger(level) ? Math.min(Math.max(level, 1), MAX_HEADING_LEVEL) : 1
    };
  }
  if (!node.content) return out;
  const type = node.type ? schema.nodes[node.type] : undefined;
  const children = node.content.map((child) => fitToSchema(child, schema));
  if (!type || type.inlineContent || type.isLeaf) {
    out.content = children;
    return out;
  }
  const content: JSONContent[] = [];
  let run: JSONContent[] = [];
  const flush = () => {
    if (run.length > 0) content.push({ type: 'paragraph', content: run });
    run = [];
  };
  for (const child of children) {
    const childType = child.type ? schema.nodes[child.type] : undefined;
    if (childType?.isInline) run.push(child);
    else {
      flush();
      content.push(child);
    }
  }
  flush();
  out.content = content;
  return out;
}

function bodyNode(json: JSONContent, schema: Schema): PMNode {
  try {
    const node = schema.nodeFromJSON(fitToSchema(json, schema));
    node.check();
    return node;
  } catch (error) {
    throw new MarkdownImportError(
      `The text of this file has a structure the editor cannot hold (${(error as Error).message}).`
    );
  }
}

/**
 * The body as checked ProseMirror JSON. With `takeHeading`, a level-1 heading
 * that opens the body is taken out and returned as the title.
 */
function parseBody(
  source: string,
  takeHeading: boolean
): { body: JSONContent; heading: string | undefined } {
  const { schema, markdown } = markdownTools();
  if (source.trim() === '') return { body: { type: 'doc', content: [] }, heading: undefined };
  let json: JSONContent;
  try {
    json = markdown.parse(source);
  } catch (error) {
    throw new MarkdownImportError(
      `The Markdown could not be read: ${(error as Error).message.split('\n')[0]}`
    );
  }
  const node = bodyNode(json, schema);
  const body = node.toJSON() as JSONContent;
  const first = node.firstChild;
  if (takeHeading && first?.type.name === 'heading' && first.attrs.level === 1) {
    body.content = (body.content ?? []).slice(1);
    return { body, heading: first.textContent };
  }
  let heading: string | undefined;
  node.descendants((child) => {
    if (heading !== undefined) return false;
    if (takeHeading && child.type.name === 'heading' && child.attrs.level === 1)
      heading = child.textContent;
    return heading === undefined;
  });
  return { body, heading };
}

/**
 * Writes a parsed file into a new, empty document: meta (via initMeta), the
 * fields (via writeFields), the body, the status when known and lifecycle
 * details. Everything is checked before the first write: a refused file
 * leaves the document exactly as it was.
 */
export function importIntoDoc(doc: Y.Doc, parsed: ParsedMarkdown, by: string, now: number): void {
  const { schema } = markdownTools();
  const kind = parsed.kind;
  if (!isDocumentKind(kind))
    throw new MarkdownImportError(
      `“${String(kind)}” is not a kind of document this app knows. The kinds are ${listKinds()}.`
    );
  if (getBody(doc).length > 0)
    throw new MarkdownImportError(
      'This document already has text. Import into a new document instead.'
    );
  const existingKind = getMetaMap(doc).get('kind');
  if (existingKind !== undefined && existingKind !== kind)
    throw new MarkdownImportError(
      `This document is a ${String(existingKind)}, the file a ${kind}. Import into a new document instead.`
    );
  if (parsed.status !== undefined && !isStatus(parsed.status))
    throw new MarkdownImportError(
      `“${String(parsed.status)}” is not a status this app knows. The statuses are ${STATUSES.join(', ')}.`
    );
  const fields = checkFields(kind, parsed.fields);
  const content = parsed.body.content ?? [];
  const body = content.length > 0 ? bodyNode(parsed.body, schema) : null;
  const life = parsed.lifecycle ?? {};

  try {
    doc.transact(() => {
      // First: writeFields checks everything before it writes anything.
      writeFields(doc, kind, fields, by, now);
      initMeta(doc, {
        title: typeof parsed.title === 'string' ? parsed.title : '',
        kind,
        createdAt: now,
        createdBy: by
      });
      if (body) prosemirrorJSONToYXmlFragment(schema, body.toJSON(), getBody(doc));
      if (parsed.status && parsed.status !== 'draft')
        setScalar(doc, 'status', parsed.status, by, now);
      if (life.decidedAt !== undefined) setScalar(doc, 'decidedAt', life.decidedAt, by, now);
      if (life.decidedBy !== undefined) setScalar(doc, 'decidedBy', life.decidedBy, by, now);
      if (life.reviewClosesAt !== undefined)
        setScalar(doc, 'reviewClosesAt', life.reviewClosesAt, by, now);
      if (life.outcome) updateText(fieldText(doc, 'outcome'), life.outcome);
    });
  } catch (error) {
    if (error instanceof FieldError) throw new MarkdownImportError(error.message);
    throw error;
  }
}

/**
 * A document's structured fields as one plain value (for the panel, the
 * list's summary and Markdown front matter), and the lifecycle operations
 * that change several of them at once. Pure: no DOM, no Svelte.
 */
import * as Y from 'yjs';
import type { DocumentKind } from './schema.js';
import { KINDS, type FieldDef } from './kinds.js';
import {
  FieldError,
  addListItem,
  fieldList,
  fieldText,
  fieldsMap,
  readList,
  readRetroEntries,
  readScalar,
  readSet,
  setRetroPart,
  setScalar,
  addToSet,
  updateText,
  RETRO_PARTS,
  type ListItem,
  type RetroEntry
} from './fields.js';
import { checkTransition, isStatus, type Status } from './lifecycle.js';
import { riceError } from './rice.js';

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether a 'YYYY-MM-DD' string names a real calendar day. */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== 'string' || !ISO_DATE.test(value)) return false;
  const [y, m, d] = value.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export interface Lifecycle {
  status: Status;
  reviewOpenedAt: number | null;
  reviewOpenedBy: string | null;
  reviewClosesAt: number | null;
  decidedAt: number | null;
  decidedBy: string | null;
  outcome: string;
  adrNumber: number | null;
}

export function readLifecycle(doc: Y.Doc): Lifecycle {
  const map = fieldsMap(doc);
  const num = (key: string) => {
    const value = map.get(key);
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  const str = (key: string) => {
    const value = map.get(key);
    return typeof value === 'string' ? value : null;
  };
  const status = map.get('status');
  return {
    status: isStatus(status) ? status : 'draft',
    reviewOpenedAt: num('reviewOpenedAt'),
    reviewOpenedBy: str('reviewOpenedBy'),
    reviewClosesAt: num('reviewClosesAt'),
    decidedAt: num('decidedAt'),
    decidedBy: str('decidedBy'),
    outcome: fieldText(doc, 'outcome').toString(),
    adrNumber: num('adrNumber')
  };
}

/** Every field of a kind as plain values, keyed by field name. */
export type FieldValues = Record<string, unknown>;

function readField(doc: Y.Doc, def: FieldDef): unknown {
  switch (def.type) {
    case 'text':
      return fieldText(doc, def.name).toString();
    case 'choice':
    case 'person':
    case 'date':
    case 'doc': {
      const value = readScalar(doc, def.name);
      return typeof value === 'string' ? value : null;
    }
    case 'people':
      return readSet(doc, def.name);
    case 'options':
    case 'faq':
    case 'actions':
      return readList(doc, def.name);
    case 'retro':
      return readRetroEntries(doc);
    case 'reactions':
      return readReactionsField(doc);
  }
}

export function readFields(doc: Y.Doc, kind: DocumentKind): FieldValues {
  const values: FieldValues = {};
  for (const def of KINDS[kind].fields) values[def.name] = readField(doc, def);
  return values;
}

// ------------------------------------------------------------ single values

/** Sets a single-value field after checking it fits the field's definition. */
export function setField(
  doc: Y.Doc,
  kind: DocumentKind,
  name: string,
  value: string | null,
  by: string,
  now: number
): void {
  const def = KINDS[kind].fields.find((f) => f.name === name);
  if (!def) throw new FieldError(`A ${kind} has no field “${name}”.`);
  if (value !== null) {
    if (def.type === 'date' && !isIsoDate(value))
      throw new FieldError(`“${value}” is not a date: use a real day like 2026-12-03.`);
    if (def.type === 'choice' && !def.options.some((o) => o.value === value))
      throw new FieldError(`“${value}” is not one of the choices for ${def.label}.`);
    if ((def.type === 'person' || def.type === 'doc') && !/^[A-Za-z0-9_-]{1,64}$/.test(value))
      throw new FieldError(`That is not a ${def.type === 'person' ? 'person' : 'document'}.`);
  }
  if (!['date', 'choice', 'person', 'doc'].includes(def.type))
    throw new FieldError(`${def.label} is not a single value.`);
  setScalar(doc, name, value, by, now);
}

export function setTextField(doc: Y.Doc, name: string, value: string): void {
  updateText(fieldText(doc, name), value);
}

// ----------------------------------------------------------------- options

export interface OptionValues {
  title: string;
  pros: string;
  cons: string;
  risks: string;
  reach?: number;
  impact?: number;
  confidence?: number;
  effort?: number;
}

export function addOption(doc: Y.Doc, id: string, option: OptionValues): void {
  const values: Record<string, number> = {};
  for (const key of ['reach', 'impact', 'confidence', 'effort'] as const) {
    if (option[key] !== undefined) values[key] = option[key] as number;
  }
  // Each given input is checked on its own: an option can be scored later.
  for (const [key, value] of Object.entries(values)) {
    const error = riceInputError(key as 'reach' | 'impact' | 'confidence' | 'effort', value);
    if (error) throw new FieldError(error);
  }
  addListItem(doc, 'options', {
    id,
    values,
    texts: { title: option.title, pros: option.pros, cons: option.cons, risks: option.risks }
  });
}

/** One RICE input of an option, checked on its own (the score needs all four). */
export function riceInputError(
  key: 'reach' | 'impact' | 'confidence' | 'effort',
  value: number
): string | null {
  const probe = { reach: 1, impact: 1, confidence: 100, effort: 1, [key]: value };
  return riceError(probe);
}

// ------------------------------------------------------------------- people

/**
 * DACI: one Driver and one Approver. A second one is refused rather than
 * replacing the first silently; clear the field to pick someone else.
 */
export function setDaciRole(
  doc: Y.Doc,
  role: 'driver' | 'approver',
  person: string | null,
  by: string,
  now: number
): void {
  const current = readScalar(doc, role);
  if (person !== null && typeof current === 'string' && current && current !== person) {
    throw new FieldError(
      `There is one ${role === 'driver' ? 'Driver' : 'Approver'} already: remove them first to pick someone else.`
    );
  }
  setScalar(doc, role, person, by, now);
}

// ---------------------------------------------------------------- reactions

export const REACTIONS_ROOT = 'fields.reactions';

export function readReactionsField(doc: Y.Doc): { emoji: string; people: string[] }[] {
  const byEmoji = new Map<string, string[]>();
  for (const key of doc.getMap(REACTIONS_ROOT).keys()) {
    const split = key.indexOf(':');
    if (split <= 0) continue;
    const emoji = key.slice(split + 1);
    byEmoji.set(emoji, [...(byEmoji.get(emoji) ?? []), key.slice(0, split)].sort());
  }
  return [...byEmoji.entries()]
    .map(([emoji, people]) => ({ emoji, people }))
    .sort((a, b) => (a.emoji < b.emoji ? -1 : 1));
}

export function toggleDocReaction(doc: Y.Doc, person: string, emoji: string, now: number): boolean {
  const map = doc.getMap(REACTIONS_ROOT);
  const key = `${person}:${emoji}`;
  if (map.has(key)) {
    map.delete(key);
    return false;
  }
  map.set(key, now);
  return true;
}

// ---------------------------------------------------------------- lifecycle

export function setStatus(
  doc: Y.Doc,
  kind: DocumentKind,
  to: Status,
  by: string,
  now: number,
  extra: { reviewClosesAt?: number; outcome?: string; adrNumber?: number } = {}
): void {
  const from = readLifecycle(doc).status;
  checkTransition(from, to, kind);
  if (to === 'review') {
    if (!extra.reviewClosesAt || !Number.isFinite(extra.reviewClosesAt))
      throw new FieldError('Pick when the review window closes.');
    if (extra.reviewClosesAt <= now)
      throw new FieldError('The review window has to close in the future.');
  }
  if ((to === 'decided' || to === 'rejected') && !extra.outcome?.trim())
    throw new FieldError('Write the outcome in a sentence or two, for everyone who was not there.');
  doc.transact(() => {
    setScalar(doc, 'status', to, by, now);
    if (to === 'review') {
      setScalar(doc, 'reviewOpenedAt', now, by, now);
      setScalar(doc, 'reviewOpenedBy', by, by, now);
      setScalar(doc, 'reviewClosesAt', extra.reviewClosesAt ?? null, by, now);
    }
    if (to === 'decided' || to === 'rejected') {
      setScalar(doc, 'decidedAt', now, by, now);
      setScalar(doc, 'decidedBy', by, by, now);
      updateText(fieldText(doc, 'outcome'), (extra.outcome ?? '').trim());
      // The number an accepted ADR was seen with never changes again.
      if (kind === 'adr' && to === 'decided' && extra.adrNumber)
        setScalar(doc, 'adrNumber', extra.adrNumber, by, now);
    }
  });
}

// ------------------------------------------------------------------- import

/**
 * Writes imported field values into a new document (Markdown front matter).
 * Unknown fields are ignored; values that break a field's rules are refused
 * with the field named, before anything is written.
 */
export function writeFields(
  doc: Y.Doc,
  kind: DocumentKind,
  values: FieldValues,
  by: string,
  now: number
): void {
  const defs = KINDS[kind].fields;
  const problems: string[] = [];
  for (const def of defs) {
    const value = values[def.name];
    if (value === undefined || value === null) continue;
    if (def.type === 'date' && !isIsoDate(value))
      problems.push(`${def.label}: “${String(value)}” is not a date`);
    if (def.type === 'choice' && !def.options.some((o) => o.value === String(value)))
      problems.push(`${def.label}: “${String(value)}” is not one of its choices`);
    if (def.type === 'options' && Array.isArray(value)) {
      for (const option of value as Partial<OptionValues>[]) {
        // Each given input on its own: an option can be scored later.
        for (const key of ['reach', 'impact', 'confidence', 'effort'] as const) {
          const input = option[key];
          if (input === undefined || input === null) continue;
          const error =
            typeof input === 'number' ? riceInputError(key, input) : `${key} must be a number`;
          if (error) problems.push(`Option “${option.title ?? ''}”: ${error}`);
        }
      }
    }
  }
  if (problems.length > 0) throw new FieldError(problems.join('; '));
  doc.transact(() => {
    for (const def of defs) {
      const value = values[def.name];
      if (value === undefined || value === null) continue;
      switch (def.type) {
        case 'text':
          updateText(fieldText(doc, def.name), String(value));
          break;
        case 'choice':
        case 'person':
        case 'date':
        case 'doc':
          setScalar(doc, def.name, String(value), by, now);
          break;
        case 'people':
          if (Array.isArray(value))
            for (const id of value) addToSet(doc, def.name, String(id), now);
          break;
        case 'options':
        case 'faq':
        case 'actions':
          if (Array.isArray(value)) writeList(doc, def.name, value as ListItem[]);
          break;
        case 'retro':
          if (Array.isArray(value)) {
            for (const entry of value as Partial<RetroEntry>[]) {
              if (!entry.person) continue;
              for (const part of RETRO_PARTS)
                setRetroPart(doc, entry.person, part, String(entry[part] ?? ''));
            }
          }
          break;
        case 'reactions':
          break;
      }
    }
  });
}

const LIST_TEXT_KEYS: Record<string, string[]> = {
  options: ['title', 'pros', 'cons', 'risks'],
  faq: ['question', 'answer'],
  actions: ['text']
};

function writeList(doc: Y.Doc, name: string, items: ListItem[]): void {
  const textKeys =
    LIST_TEXT_KEYS[name] ?? LIST_TEXT_KEYS[name.startsWith('faq') ? 'faq' : name] ?? [];
  const list = fieldList(doc, name);
  for (const [i, item] of items.entries()) {
    const map = new Y.Map<unknown>();
    map.set('id', typeof item.id === 'string' && item.id ? item.id : `imported-${i + 1}`);
    for (const [key, value] of Object.entries(item)) {
      if (key === 'id' || value === null || value === undefined) continue;
      if (textKeys.includes(key)) map.set(key, new Y.Text(String(value)));
      else if (typeof value === 'number' || typeof value === 'string') map.set(key, value);
    }
    list.push([map]);
  }
}

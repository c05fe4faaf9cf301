/**
 * Structured fields of a document, in the document's own room. Pure: no DOM,
 * no Svelte; docs/schema.md describes the same for third-party clients.
 *
 * Where each kind of value lives, chosen so concurrent offline edits merge
 * without loss:
 * - single values (status, scope, dates, Driver, Approver, …): the `fields`
 *   Y.Map. Concurrent sets end with one value everywhere (Yjs decides, the
 *   same on every replica); every set is also appended to the
 *   `fields.history` Y.Array ({ field, value, at, by }), so the value that
 *   lost stays visible in the field's history.
 * - text (TL;DR, decision, press-release parts, …): a top-level Y.Text named
 *   `fields.<name>`. Concurrent edits merge character by character: a
 *   paragraph typed on a plane is never dropped.
 * - sets of people (Contributors, Informed, a retro's team): a top-level Y.Map
 *   `fields.<name>` from person id to the time they were added. Two devices
 *   adding different people both win.
 * - lists (options, FAQ questions, retro actions): a top-level Y.Array
 *   `fields.<name>` of Y.Maps, each made whole by the device that adds it.
 *
 * Top-level types exist by name on every replica, so two devices never create
 * the same container concurrently (a nested container created twice would
 * keep only one of the two).
 */
import * as Y from 'yjs';
import { numberOr, stringOr } from './schema.js';

export const FIELDS_ROOT = 'fields';
export const HISTORY_ROOT = 'fields.history';

/** Refused input: the message is for the user; nothing was stored. */
export class FieldError extends Error {
  override name = 'FieldError';
}

export function fieldsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap(FIELDS_ROOT);
}

export function fieldText(doc: Y.Doc, name: string): Y.Text {
  return doc.getText(`${FIELDS_ROOT}.${name}`);
}

export function fieldSet(doc: Y.Doc, name: string): Y.Map<number> {
  return doc.getMap(`${FIELDS_ROOT}.${name}`);
}

export function fieldList(doc: Y.Doc, name: string): Y.Array<Y.Map<unknown>> {
  return doc.getArray(`${FIELDS_ROOT}.${name}`);
}

export function historyArray(doc: Y.Doc): Y.Array<HistoryEntry> {
  return doc.getArray(HISTORY_ROOT);
}

export interface HistoryEntry {
  field: string;
  value: unknown;
  at: number;
  by: string;
}

export type Scalar = string | number | boolean | null;

export function readScalar(doc: Y.Doc, name: string): unknown {
  return fieldsMap(doc).get(name);
}

/**
 * Sets a single-value field and records it in the history. Writes nothing
 * when the value is unchanged. `null` clears the field.
 */
export function setScalar(doc: Y.Doc, name: string, value: Scalar, by: string, at: number): void {
  const map = fieldsMap(doc);
  const current = map.has(name) ? map.get(name) : null;
  if (current === value) return;
  doc.transact(() => {
    if (value === null) map.delete(name);
    else map.set(name, value);
    historyArray(doc).push([{ field: name, value, at, by }]);
  });
}

/** Every recorded value of a field, oldest first (concurrent sets both appear). */
export function fieldHistory(doc: Y.Doc, name: string): HistoryEntry[] {
  return historyArray(doc)
    .toArray()
    .filter((entry) => entry && typeof entry === 'object' && entry.field === name)
    .map((entry) => ({
      field: entry.field,
      value: entry.value,
      at: numberOr(entry.at, 0),
      by: stringOr(entry.by, '')
    }));
}

/**
 * Replaces a Y.Text's content with `next` by the smallest edit (common
 * prefix and suffix kept), so someone else's concurrent edit elsewhere in the
 * text survives the merge.
 */
export function updateText(text: Y.Text, next: string): void {
  const current = text.toString();
  if (current === next) return;
  let start = 0;
  const max = Math.min(current.length, next.length);
  while (start < max && current.charCodeAt(start) === next.charCodeAt(start)) start++;
  let endCurrent = current.length;
  let endNext = next.length;
  while (
    endCurrent > start &&
    endNext > start &&
    current.charCodeAt(endCurrent - 1) === next.charCodeAt(endNext - 1)
  ) {
    endCurrent--;
    endNext--;
  }
  // Never split a surrogate pair: Yjs would send half of an emoji as U+FFFD.
  if (start > 0 && isHighSurrogate(current.charCodeAt(start - 1))) start--;
  if (endCurrent < current.length && isLowSurrogate(current.charCodeAt(endCurrent))) {
    endCurrent++;
    endNext++;
  }
  const doc = text.doc;
  const apply = () => {
    if (endCurrent > start) text.delete(start, endCurrent - start);
    if (endNext > start) text.insert(start, next.slice(start, endNext));
  };
  if (doc) doc.transact(apply);
  else apply();
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

export function readSet(doc: Y.Doc, name: string): string[] {
  return [...fieldSet(doc, name).keys()].sort();
}

export function addToSet(doc: Y.Doc, name: string, id: string, at: number): void {
  const set = fieldSet(doc, name);
  if (!set.has(id)) set.set(id, at);
}

export function removeFromSet(doc: Y.Doc, name: string, id: string): void {
  const set = fieldSet(doc, name);
  if (set.has(id)) set.delete(id);
}

// ------------------------------------------------------------------ lists

/** A list item: a Y.Map with an `id`, plain values and Y.Text parts. */
export interface ListItem {
  id: string;
  [key: string]: string | number | null;
}

/** Reads list items: Y.Text parts as strings, other values as they are. */
export function readList(doc: Y.Doc, name: string): ListItem[] {
  const items: ListItem[] = [];
  for (const map of fieldList(doc, name).toArray()) {
    if (!(map instanceof Y.Map)) continue;
    const id = map.get('id');
    if (typeof id !== 'string' || map.get('removedAt') !== undefined) continue;
    const item: ListItem = { id };
    // Keys in sorted order: Y.Map iterates in the order this device received
    // them, and every device must read (and export) the same value.
    for (const key of [...map.keys()].sort()) {
      const value = map.get(key);
      if (key === 'id') continue;
      if (value instanceof Y.Text) item[key] = value.toString();
      else if (typeof value === 'string' || typeof value === 'number') item[key] = value;
      else if (value === null) item[key] = null;
    }
    items.push(item);
  }
  return items;
}

/** Adds an item; `texts` become Y.Text parts (merged character by character). */
export function addListItem(
  doc: Y.Doc,
  name: string,
  init: { id: string; values?: Record<string, string | number>; texts?: Record<string, string> }
): void {
  const map = new Y.Map<unknown>();
  map.set('id', init.id);
  for (const [key, value] of Object.entries(init.values ?? {})) map.set(key, value);
  for (const [key, value] of Object.entries(init.texts ?? {})) map.set(key, new Y.Text(value));
  fieldList(doc, name).push([map]);
}

function listItemMap(doc: Y.Doc, name: string, id: string): Y.Map<unknown> {
  for (const map of fieldList(doc, name).toArray()) {
    if (map instanceof Y.Map && map.get('id') === id) return map;
  }
  throw new FieldError('That item is not on this device any more.');
}

export function setListValue(
  doc: Y.Doc,
  name: string,
  id: string,
  key: string,
  value: string | number | null
): void {
  const map = listItemMap(doc, name, id);
  if (map.get(key) === value) return;
  doc.transact(() => {
    if (value === null) map.delete(key);
    else map.set(key, value);
  });
}

export function setListText(
  doc: Y.Doc,
  name: string,
  id: string,
  key: string,
  value: string
): void {
  const map = listItemMap(doc, name, id);
  let text = map.get(key);
  if (!(text instanceof Y.Text)) {
    text = new Y.Text();
    map.set(key, text);
  }
  updateText(text as Y.Text, value);
}

/**
 * Removes an item from view. It stays in the array, marked, so an edit made
 * to it offline elsewhere is not lost, and removal merges like any edit.
 */
export function removeListItem(doc: Y.Doc, name: string, id: string, at: number): void {
  const map = listItemMap(doc, name, id);
  map.set('removedAt', at);
}

// ----------------------------------------------------------------- retro

/** A person's own retro entry: a Y.Map of Y.Texts under their person id. */
export const RETRO_ROOT = 'fields.retro';
export const RETRO_PARTS = ['wentWell', 'didNot', 'change'] as const;
export type RetroPart = (typeof RETRO_PARTS)[number];

export interface RetroEntry {
  person: string;
  wentWell: string;
  didNot: string;
  change: string;
}

export function readRetroEntries(doc: Y.Doc): RetroEntry[] {
  const entries: RetroEntry[] = [];
  doc.getMap(RETRO_ROOT).forEach((value, person) => {
    if (!(value instanceof Y.Map)) return;
    const part = (key: RetroPart) => {
      const text = value.get(key);
      return text instanceof Y.Text ? text.toString() : '';
    };
    entries.push({
      person,
      wentWell: part('wentWell'),
      didNot: part('didNot'),
      change: part('change')
    });
  });
  return entries.sort((a, b) => (a.person < b.person ? -1 : 1));
}

/** Writes one part of the person's own entry (only they write it). */
export function setRetroPart(doc: Y.Doc, person: string, part: RetroPart, value: string): void {
  const root = doc.getMap(RETRO_ROOT);
  doc.transact(() => {
    let entry = root.get(person);
    if (!(entry instanceof Y.Map)) {
      entry = new Y.Map<unknown>();
      for (const key of RETRO_PARTS) (entry as Y.Map<unknown>).set(key, new Y.Text());
      root.set(person, entry);
    }
    const text = (entry as Y.Map<unknown>).get(part);
    if (text instanceof Y.Text) updateText(text, value);
  });
}

/** Whether an entry has anything written in it. */
export function hasContributed(entry: RetroEntry): boolean {
  return [entry.wentWell, entry.didNot, entry.change].some((part) => part.trim().length > 0);
}

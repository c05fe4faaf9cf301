/**
 * Structured fields under a seeded network (tests/support/testNetwork.ts):
 * 3–4 devices hold one document, go offline for stretches and edit its fields
 * concurrently through the same calls the fields panel makes: typing into
 * text fields (updateText), adding options and people, setting single values,
 * editing and removing list items, writing retro entries, reacting. After
 * every flush every device must read the same fields, byte for byte, and
 * nothing anyone wrote may be lost:
 * - every word typed into a text field or an option's title is still there;
 * - every option and person added (and not removed) is there;
 * - every value set is in the field's history, and the field has one value.
 *
 * A failure names its seed; rerun just that one with
 *   FIELDS_SEED=<seed> npx vitest run tests/unit/fieldsConvergence.test.ts
 * and soak more seeds with FIELDS_RUNS=<count>.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as prng from 'lib0/prng';
import {
  addToSet,
  FieldError,
  fieldHistory,
  fieldText,
  readList,
  readRetroEntries,
  readScalar,
  removeFromSet,
  removeListItem,
  setListText,
  setListValue,
  setRetroPart,
  RETRO_PARTS,
  type HistoryEntry
} from '../../src/lib/model/fields.js';
import {
  addOption,
  readFields,
  setDaciRole,
  setField,
  setTextField,
  toggleDocReaction
} from '../../src/lib/model/documentFields.js';
import { DOCUMENT_KINDS } from '../../src/lib/model/schema.js';
import { docRoom } from '../../src/lib/model/rooms.js';
import { TestNetwork, type Prng, type TestPeer } from '../support/testNetwork.js';
import {
  fuzzSuite,
  runSchedule,
  scheduleTotals,
  seededRun,
  weightedOperations
} from '../support/convergenceFuzz.js';

const ROOM = docRoom('main', 'fieldsDoc0000001');
const MINUTE = 60_000;

/** 30 seeds × 150 operations: about three seconds. */
const suite = fuzzSuite({
  name: 'FIELDS',
  file: 'tests/unit/fieldsConvergence.test.ts',
  runs: 30,
  ops: 150
});

// ---------------------------------------------------------------------------
// What was done, to check that none of it is lost

const TEXT_FIELDS = ['tldr', 'decision', 'rationale'] as const;
const SCOPES = ['small', 'medium', 'large'] as const;
const HEALTH = ['green', 'yellow', 'red'] as const;
const EMOJI = ['👍', '🎉', '👀'] as const;

interface FuzzContext {
  gen: Prng;
  now: number;
  ids: number;
  /** Words typed into each text field ("field" or "options/<id>/title"). */
  typed: Map<string, string[]>;
  options: Set<string>;
  removedOptions: Set<string>;
  people: Map<'contributors' | 'informed', Set<string>>;
  removedPeople: Set<string>;
  /** Every set of a single value that wrote something, per field. */
  sets: Map<string, HistoryEntry[]>;
}

const personOf = (peer: TestPeer) => `person-${peer.id}`;

/** A word no one else types: brackets so that "[w1x1]" is not found inside "[w1x12]". */
function newWord(ctx: FuzzContext, peer: TestPeer): string {
  return `[w${peer.id}x${++ctx.ids}]`;
}

function remember(ctx: FuzzContext, where: string, word: string): void {
  ctx.typed.set(where, [...(ctx.typed.get(where) ?? []), word]);
}

/**
 * Where a word may go: the start, the end, or just after a space, so a word
 * is never typed into the middle of another.
 */
function boundary(gen: Prng, current: string): number {
  const spots = [0, current.length];
  for (let i = 0; i < current.length; i++) if (current[i] === ' ') spots.push(i + 1);
  return prng.oneOf(gen, spots);
}

/** Types a word as the panel does: the whole new value, stored by the smallest edit. */
function typeInto(current: string, at: number, word: string): string {
  return `${current.slice(0, at)}${word} ${current.slice(at)}`;
}

function recordSet(
  ctx: FuzzContext,
  peer: TestPeer,
  field: string,
  value: string | null,
  write: () => void
): void {
  const doc = peer.doc(ROOM);
  const before = readScalar(doc, field) ?? null;
  try {
    write();
  } catch (error) {
    if (error instanceof FieldError) return;
    throw error;
  }
  if (before === value) return;
  const entry = { field, value, at: ctx.now, by: personOf(peer) };
  ctx.sets.set(field, [...(ctx.sets.get(field) ?? []), entry]);
}

function liveOptions(peer: TestPeer) {
  return readList(peer.doc(ROOM), 'options');
}

const randomOperation = weightedOperations<FuzzContext>([
  [
    8,
    function typeText(ctx, peer) {
      const field = prng.oneOf(ctx.gen, [...TEXT_FIELDS]);
      const current = fieldText(peer.doc(ROOM), field).toString();
      const word = newWord(ctx, peer);
      setTextField(peer.doc(ROOM), field, typeInto(current, boundary(ctx.gen, current), word));
      remember(ctx, field, word);
    }
  ],
  [
    2,
    function typeEmoji(ctx, peer) {
      // Emoji next to words: updateText must not split a surrogate pair.
      const field = prng.oneOf(ctx.gen, [...TEXT_FIELDS]);
      const current = fieldText(peer.doc(ROOM), field).toString();
      const at = boundary(ctx.gen, current);
      setTextField(peer.doc(ROOM), field, typeInto(current, at, prng.oneOf(ctx.gen, [...EMOJI])));
    }
  ],
  [
    3,
    function addAnOption(ctx, peer) {
      const id = `o${peer.id}x${++ctx.ids}`;
      const word = newWord(ctx, peer);
      const scored = prng.bool(ctx.gen);
      addOption(peer.doc(ROOM), id, {
        title: `${word} `,
        pros: '',
        cons: '',
        risks: '',
        ...(scored
          ? {
              reach: prng.int32(ctx.gen, 0, 1000),
              impact: prng.oneOf(ctx.gen, [3, 2, 1, 0.5, 0.25]),
              confidence: prng.oneOf(ctx.gen, [100, 80, 50]),
              effort: prng.int32(ctx.gen, 1, 12)
            }
          : {})
      });
      ctx.options.add(id);
      remember(ctx, `options/${id}/title`, word);
    }
  ],
  [
    4,
    function editAnOption(ctx, peer) {
      const options = liveOptions(peer);
      if (options.length === 0) return;
      const option = prng.oneOf(ctx.gen, options);
      const doc = peer.doc(ROOM);
      if (prng.bool(ctx.gen)) {
        const current = String(option.title ?? '');
        const word = newWord(ctx, peer);
        setListText(
          doc,
          'options',
          option.id,
          'title',
          typeInto(current, boundary(ctx.gen, current), word)
        );
        remember(ctx, `options/${option.id}/title`, word);
      } else {
        setListValue(doc, 'options', option.id, 'reach', prng.int32(ctx.gen, 0, 5000));
      }
    }
  ],
  [
    1,
    function removeAnOption(ctx, peer) {
      const options = liveOptions(peer);
      if (options.length === 0) return;
      const option = prng.oneOf(ctx.gen, options);
      removeListItem(peer.doc(ROOM), 'options', option.id, ctx.now);
      ctx.removedOptions.add(option.id);
    }
  ],
  [
    3,
    function addPerson(ctx, peer) {
      const field = prng.oneOf(ctx.gen, ['contributors', 'informed'] as const);
      const id = `p${peer.id}x${++ctx.ids}`;
      addToSet(peer.doc(ROOM), field, id, ctx.now);
      ctx.people.get(field)?.add(id);
    }
  ],
  [
    1,
    function removePerson(ctx, peer) {
      const field = prng.oneOf(ctx.gen, ['contributors', 'informed'] as const);
      const present = [...peer.doc(ROOM).getMap<number>(`fields.${field}`).keys()];
      if (present.length === 0) return;
      const id = prng.oneOf(ctx.gen, present);
      removeFromSet(peer.doc(ROOM), field, id);
      ctx.removedPeople.add(id);
    }
  ],
  [
    4,
    function setScalar(ctx, peer) {
      const doc = peer.doc(ROOM);
      const by = personOf(peer);
      switch (prng.int32(ctx.gen, 0, 3)) {
        case 0: {
          const value = prng.oneOf(ctx.gen, [...SCOPES]);
          recordSet(ctx, peer, 'scope', value, () =>
            setField(doc, 'rfc', 'scope', value, by, ctx.now)
          );
          break;
        }
        case 1: {
          const value = prng.oneOf(ctx.gen, [...HEALTH]);
          recordSet(ctx, peer, 'health', value, () =>
            setField(doc, 'weekly', 'health', value, by, ctx.now)
          );
          break;
        }
        case 2: {
          const value = `2026-0${prng.int32(ctx.gen, 1, 9)}-1${prng.int32(ctx.gen, 0, 9)}`;
          recordSet(ctx, peer, 'decisionDate', value, () =>
            setField(doc, 'proposal', 'decisionDate', value, by, ctx.now)
          );
          break;
        }
        default: {
          // DACI: a second Driver is refused; sometimes the current one is cleared first.
          const value = prng.bool(ctx.gen) ? null : personOf(peer);
          recordSet(ctx, peer, 'driver', value, () =>
            setDaciRole(doc, 'driver', value, by, ctx.now)
          );
        }
      }
    }
  ],
  [
    2,
    function writeRetro(ctx, peer) {
      const doc = peer.doc(ROOM);
      const part = prng.oneOf(ctx.gen, [...RETRO_PARTS]);
      const mine = readRetroEntries(doc).find((e) => e.person === personOf(peer));
      const current = mine?.[part] ?? '';
      const word = newWord(ctx, peer);
      setRetroPart(doc, personOf(peer), part, typeInto(current, boundary(ctx.gen, current), word));
      remember(ctx, `retro/${personOf(peer)}/${part}`, word);
    }
  ],
  [
    1,
    function react(ctx, peer) {
      toggleDocReaction(peer.doc(ROOM), personOf(peer), prng.oneOf(ctx.gen, [...EMOJI]), ctx.now);
    }
  ]
]);

// ---------------------------------------------------------------------------
// Comparison

/**
 * JSON with the keys of every object in sorted order. BUG (see "list items
 * read with their keys in the same order" below): readList's key order
 * depends on the order a device received the edits, so the raw JSON of
 * readFields differs between devices holding the same state; once that is
 * fixed, compare JSON.stringify(readFields(...)) directly.
 */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  );
}

/** Every kind's reading of the fields, and the history: equal strings, identical results. */
function fieldsJson(peer: TestPeer): string {
  const doc = peer.doc(ROOM);
  return canonicalJson({
    kinds: Object.fromEntries(DOCUMENT_KINDS.map((kind) => [kind, readFields(doc, kind)])),
    history: ['scope', 'health', 'decisionDate', 'driver'].map((f) => fieldHistory(doc, f))
  });
}

function textAt(peer: TestPeer, where: string): string | null {
  const doc = peer.doc(ROOM);
  const [root, id, key] = where.split('/');
  if (root === 'options') {
    const option = readList(doc, 'options').find((o) => o.id === id);
    return option ? String(option[key] ?? '') : null;
  }
  if (root === 'retro') {
    const entry = readRetroEntries(doc).find((e) => e.person === id);
    return entry ? entry[key as (typeof RETRO_PARTS)[number]] : '';
  }
  return fieldText(doc, root).toString();
}

function byTime(a: HistoryEntry, b: HistoryEntry): number {
  return a.at - b.at || a.by.localeCompare(b.by) || String(a.value).localeCompare(String(b.value));
}

function assertConverged(ctx: FuzzContext, net: TestNetwork, where: string): void {
  expect(net.pendingMessages(), `${where}: network is quiet`).toBe(0);
  expect(net.errors, `${where}: no update failed to apply`).toEqual([]);
  const [first, ...rest] = net.peers;
  const theirs = fieldsJson(first);
  for (const peer of rest) {
    const pair = `${where}: device ${peer.id} vs device ${first.id}`;
    expect(
      Y.equalSnapshots(Y.snapshot(first.doc(ROOM)), Y.snapshot(peer.doc(ROOM))),
      `${pair}, snapshot`
    ).toBe(true);
    const mine = fieldsJson(peer);
    if (mine !== theirs) expect(JSON.parse(mine), `${pair}, fields`).toEqual(JSON.parse(theirs));
    expect(mine, `${pair}, fields byte for byte`).toBe(theirs);
  }

  // Nothing written is lost (checked on one device: they are identical).
  const fields = readFields(first.doc(ROOM), 'proposal');
  for (const [place, words] of ctx.typed) {
    const text = textAt(first, place);
    if (text === null) {
      const id = place.split('/')[1];
      expect(ctx.removedOptions.has(id), `${where}: option ${id} is listed`).toBe(true);
      continue;
    }
    for (const word of words) expect(text, `${where}: ${word} kept in ${place}`).toContain(word);
    expect(text.isWellFormed(), `${where}: ${place} has no split emoji`).toBe(true);
  }
  const optionIds = (fields.options as { id: string }[]).map((o) => o.id).sort();
  expect(optionIds, `${where}: options added and not removed`).toEqual(
    [...ctx.options].filter((id) => !ctx.removedOptions.has(id)).sort()
  );
  for (const [field, added] of ctx.people) {
    expect(fields[field], `${where}: ${field}`).toEqual(
      [...added].filter((id) => !ctx.removedPeople.has(id)).sort()
    );
  }
  for (const [field, sets] of ctx.sets) {
    const history = fieldHistory(first.doc(ROOM), field);
    expect([...history].sort(byTime), `${where}: every set of ${field} in its history`).toEqual(
      [...sets].sort(byTime)
    );
    // The one value everywhere is one of the values set.
    const value = readScalar(first.doc(ROOM), field) ?? null;
    expect(
      sets.map((s) => s.value),
      `${where}: ${field} = ${String(value)}`
    ).toContain(value);
  }
}

// ---------------------------------------------------------------------------
// One run

interface RunStats {
  net: TestNetwork;
  ctx: FuzzContext;
}

function newContext(gen: Prng): FuzzContext {
  return {
    gen,
    now: Date.UTC(2026, 5, 9, 9, 0),
    ids: 0,
    typed: new Map(),
    options: new Set(),
    removedOptions: new Set(),
    people: new Map([
      ['contributors', new Set()],
      ['informed', new Set()]
    ]),
    removedPeople: new Set(),
    sets: new Map()
  };
}

function runSeed(seed: number, ops = suite.ops): RunStats {
  return seededRun(suite, seed, { peers: [3, 4], rooms: [ROOM] }, (run) => {
    const ctx = newContext(run.gen);
    runSchedule(run, {
      ctx,
      ops,
      nextOperation: randomOperation,
      tick: () => (ctx.now += prng.int32(run.gen, 0, 1) * MINUTE),
      offline: 8,
      online: 6,
      check: (where) => assertConverged(ctx, run.net, where)
    });
    return { net: run.net, ctx };
  });
}

describe('fields converge under a seeded network', () => {
  it.each(suite.seeds)('seed %i: every device reads the same fields, nothing lost', (seed) => {
    const { net, ctx } = runSeed(seed);
    const hint = suite.hint(seed);
    expect(net.stats.delivered, `${hint}: messages delivered`).toBeGreaterThan(0);
    expect(ctx.typed.size, `${hint}: text was typed`).toBeGreaterThan(0);
    expect(ctx.options.size, `${hint}: options were added`).toBeGreaterThan(0);
    expect(ctx.sets.size, `${hint}: single values were set`).toBeGreaterThan(0);
    net.destroy();
  });

  it.skipIf(suite.rerunningOneSeed)(
    'the schedule takes devices offline, drops messages and makes concurrent sets',
    () => {
      let lostSets = 0;
      const { reconnects, dropped } = scheduleTotals(runSeed, ({ net, ctx }) => {
        // A set that is not the field's value now but is in its history.
        for (const [field, sets] of ctx.sets) {
          const value = readScalar(net.peers[0].doc(ROOM), field) ?? null;
          lostSets += sets.filter((s) => s.value !== value).length;
        }
      });
      expect(reconnects).toBeGreaterThan(3);
      expect(dropped).toBeGreaterThan(3);
      expect(lostSets).toBeGreaterThan(0);
    }
  );
});

// ---------------------------------------------------------------------------
// Deterministic cases

describe('concurrent field edits, case by case', () => {
  const T0 = Date.UTC(2026, 5, 9, 9, 0);

  function devices(seed: number, peers = 2) {
    const net = new TestNetwork(prng.create(seed), { peers, rooms: [ROOM] });
    const docs = net.peers.map((peer) => peer.doc(ROOM));
    return { net, docs };
  }

  function offline(net: TestNetwork): void {
    for (const peer of net.peers) net.disconnect(peer, 'drop');
  }

  it.each([1, 2, 3, 4])('seed %i: text typed on two offline devices keeps both', (seed) => {
    const { net, docs } = devices(seed);
    const [a, b] = docs;
    setTextField(a, 'tldr', 'We pick a queue.');
    net.flush();
    offline(net);
    setTextField(a, 'tldr', 'Today we pick a queue.');
    setTextField(b, 'tldr', 'We pick a queue. Decide by Friday.');
    net.flush();
    for (const doc of docs) {
      expect(fieldText(doc, 'tldr').toString()).toBe('Today we pick a queue. Decide by Friday.');
    }
    net.destroy();
  });

  it.each([1, 2, 3, 4])(
    'seed %i: options and contributors added on two offline devices both appear',
    (seed) => {
      const { net, docs } = devices(seed);
      const [a, b] = docs;
      offline(net);
      addOption(a, 'optA', { title: 'Kafka', pros: '', cons: '', risks: '' });
      addOption(b, 'optB', { title: 'SQS', pros: '', cons: '', risks: '' });
      addToSet(a, 'contributors', 'cy', T0);
      addToSet(b, 'contributors', 'di', T0);
      net.flush();
      const [first, second] = docs.map((doc) => readFields(doc, 'proposal'));
      expect(first).toEqual(second);
      expect((first.options as { id: string }[]).map((o) => o.id).sort()).toEqual(['optA', 'optB']);
      expect(first.contributors).toEqual(['cy', 'di']);
      net.destroy();
    }
  );

  it.each([1, 2, 3, 4])(
    'seed %i: a scalar set on three offline devices: one value, every set in history',
    (seed) => {
      const { net, docs } = devices(seed, 3);
      offline(net);
      docs.forEach((doc, i) => setField(doc, 'rfc', 'scope', SCOPES[i], `person-${i}`, T0 + i));
      net.flush();
      const values = docs.map((doc) => readFields(doc, 'rfc').scope);
      expect(new Set(values).size).toBe(1);
      expect(SCOPES).toContain(values[0]);
      for (const doc of docs) {
        expect(
          fieldHistory(doc, 'scope')
            .map((h) => [h.value, h.by])
            .sort()
        ).toEqual([
          ['large', 'person-2'],
          ['medium', 'person-1'],
          ['small', 'person-0']
        ]);
      }
      net.destroy();
    }
  );

  it.each([1, 2, 3, 4])(
    'seed %i: an option removed on one device while edited on another stays removed',
    (seed) => {
      const { net, docs } = devices(seed);
      const [a, b] = docs;
      addOption(a, 'opt', { title: 'Kafka', pros: '', cons: '', risks: '' });
      addOption(a, 'keep', { title: 'SQS', pros: '', cons: '', risks: '' });
      net.flush();
      offline(net);
      removeListItem(a, 'options', 'opt', T0);
      setListText(b, 'options', 'opt', 'title', 'Kafka (managed)');
      setListValue(b, 'options', 'opt', 'reach', 500);
      setListText(b, 'options', 'keep', 'pros', 'Cheap');
      net.flush();
      for (const doc of docs) {
        expect(readFields(doc, 'proposal').options).toEqual([
          { id: 'keep', title: 'SQS', pros: 'Cheap', cons: '', risks: '' }
        ]);
      }
      // The edit made offline is kept in the removed item, not thrown away.
      const removed = b
        .getArray<Y.Map<unknown>>('fields.options')
        .toArray()
        .find((m) => m.get('id') === 'opt');
      expect(String(removed?.get('title'))).toBe('Kafka (managed)');
      expect(removed?.get('reach')).toBe(500);
      net.destroy();
    }
  );

  // BUG (src/lib/model/fields.ts, readList): an item's keys are read in the
  // order its Y.Map received them (map.forEach), which depends on how the
  // edits reached the device. An option added by one device (client 1) and
  // given a reach by another (client 2) reads as {id, title, pros, cons,
  // risks, reach} on the devices that took part, but as {id, reach, title,
  // pros, cons, risks} on a device that loads the whole state at once. The
  // same document then exports different front matter on different devices.
  it('list items read with their keys in the same order on every device', () => {
    const a = new Y.Doc();
    a.clientID = 1;
    const b = new Y.Doc();
    b.clientID = 2;
    addOption(a, 'opt', { title: 'Kafka', pros: '', cons: '', risks: '' });
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    setListValue(b, 'options', 'opt', 'reach', 500);
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    // A third device opens the document later and loads everything at once.
    const c = new Y.Doc();
    c.clientID = 3;
    Y.applyUpdate(c, Y.encodeStateAsUpdate(a));
    const json = [a, b, c].map((doc) => JSON.stringify(readFields(doc, 'proposal')));
    expect(canonicalJson(JSON.parse(json[2]))).toBe(canonicalJson(JSON.parse(json[0])));
    expect(json[1]).toBe(json[0]);
    expect(json[2]).toBe(json[0]);
  });
});

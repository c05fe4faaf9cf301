import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { adrNumbers, formatAdrNumber, type AdrEntry } from '../../src/lib/model/adr.js';
import {
  addEntry,
  listEntries,
  syncEntrySummary,
  type IndexEntry
} from '../../src/lib/model/workspaceIndex.js';
import type { DocumentKind } from '../../src/lib/model/schema.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 5, 9, 10, 0);

function adr(id: string, createdAt: number, adrNumber: number | null = null): AdrEntry {
  return { id, createdAt, adrNumber };
}

function numbersOf(entries: readonly AdrEntry[]): Record<string, number> {
  return Object.fromEntries(adrNumbers(entries));
}

function newIndex(clientID: number): Y.Doc {
  const index = new Y.Doc();
  index.clientID = clientID;
  return index;
}

function add(index: Y.Doc, id: string, now: number, kind: DocumentKind = 'adr'): void {
  addEntry(index, {
    id,
    title: `Decision ${id}`,
    kind,
    author: { userId: 'ana', name: 'Ana' },
    now
  });
}

/** Every device numbers the ADRs it lists, deleted ones included. */
function adrsOf(index: Y.Doc): IndexEntry[] {
  return listEntries(index, 'all').filter((e) => e.kind === 'adr');
}

/** Both ways, as two devices coming back online do. */
function merge(a: Y.Doc, b: Y.Doc): void {
  const fromA = Y.encodeStateAsUpdate(a, Y.encodeStateVector(b));
  const fromB = Y.encodeStateAsUpdate(b, Y.encodeStateVector(a));
  Y.applyUpdate(b, fromA);
  Y.applyUpdate(a, fromB);
}

describe('ADR numbers', () => {
  it('number ADRs 1, 2, 3 by creation time', () => {
    expect(numbersOf([adr('c', T0 + 2 * MINUTE), adr('a', T0), adr('b', T0 + MINUTE)])).toEqual({
      a: 1,
      b: 2,
      c: 3
    });
  });

  it('breaks a tie in creation time by id', () => {
    expect(numbersOf([adr('zeta', T0), adr('alpha', T0), adr('mid', T0)])).toEqual({
      alpha: 1,
      mid: 2,
      zeta: 3
    });
  });

  it('does not depend on the order the entries are listed in', () => {
    const entries = [adr('q', T0), adr('p', T0), adr('r', T0 - MINUTE), adr('s', T0 + 1)];
    const expected = numbersOf(entries);
    expect(numbersOf([...entries].reverse())).toEqual(expected);
    expect(numbersOf([entries[2], entries[0], entries[3], entries[1]])).toEqual(expected);
    expect(expected).toEqual({ r: 1, p: 2, q: 3, s: 4 });
  });

  it('never gives two ADRs the same derived number', () => {
    const entries = Array.from({ length: 25 }, (_, i) => adr(`id${i % 7}-${i}`, T0 + (i % 3)));
    const numbers = [...adrNumbers(entries).values()];
    expect(new Set(numbers).size).toBe(entries.length);
    expect([...numbers].sort((a, b) => a - b)).toEqual(
      Array.from({ length: entries.length }, (_, i) => i + 1)
    );
  });

  it('keeps a frozen number and derived numbers skip it', () => {
    expect(numbersOf([adr('a', T0), adr('b', T0 + MINUTE, 1), adr('c', T0 + 2 * MINUTE)])).toEqual({
      b: 1,
      a: 2,
      c: 3
    });
    expect(numbersOf([adr('a', T0), adr('b', T0 + MINUTE, 2), adr('c', T0 + 2 * MINUTE)])).toEqual({
      a: 1,
      b: 2,
      c: 3
    });
    expect(numbersOf([adr('a', T0), adr('b', T0 + MINUTE, 5)])).toEqual({ a: 1, b: 5 });
  });

  it('ignores a frozen number that is not a positive number', () => {
    expect(numbersOf([adr('a', T0, 0), adr('b', T0 + MINUTE, -3)])).toEqual({ a: 1, b: 2 });
  });

  it('a frozen number never changes when an older ADR appears later', () => {
    // On this device: ADR "accepted" created at T0, accepted as ADR-001.
    const before = numbersOf([adr('accepted', T0, 1), adr('newer', T0 + MINUTE)]);
    expect(before).toEqual({ accepted: 1, newer: 2 });
    // A device that was offline since T0 - 1 h syncs an ADR created before it.
    const after = numbersOf([
      adr('accepted', T0, 1),
      adr('newer', T0 + MINUTE),
      adr('older', T0 - 60 * MINUTE)
    ]);
    expect(after.accepted).toBe(1);
    // The older one takes the first free number; the derived ones move, the frozen one not.
    expect(after).toEqual({ accepted: 1, older: 2, newer: 3 });
  });

  it('formats as ADR-001', () => {
    expect(formatAdrNumber(1)).toBe('ADR-001');
    expect(formatAdrNumber(42)).toBe('ADR-042');
    expect(formatAdrNumber(999)).toBe('ADR-999');
    expect(formatAdrNumber(1234)).toBe('ADR-1234');
  });
});

describe('ADR numbers across devices', () => {
  it('two ADRs created offline at the same instant: different numbers, the same on both', () => {
    for (const [clientA, clientB] of [
      [1, 2],
      [2, 1]
    ]) {
      const a = newIndex(clientA);
      const b = newIndex(clientB);
      add(a, 'adrFirstOne00001', T0 - MINUTE);
      merge(a, b);

      // Both offline; each creates an ADR at the very same millisecond.
      add(a, 'zzOnDeviceA00001', T0);
      add(b, 'aaOnDeviceB00001', T0);
      // A note in the same index is not numbered.
      add(b, 'someNote00000001', T0, 'note');
      expect(numbersOf(adrsOf(a))).toEqual({ adrFirstOne00001: 1, zzOnDeviceA00001: 2 });
      expect(numbersOf(adrsOf(b))).toEqual({ adrFirstOne00001: 1, aaOnDeviceB00001: 2 });

      merge(a, b);
      const onA = numbersOf(adrsOf(a));
      const onB = numbersOf(adrsOf(b));
      expect(onA).toEqual(onB);
      expect(onA).toEqual({ adrFirstOne00001: 1, aaOnDeviceB00001: 2, zzOnDeviceA00001: 3 });
    }
  });

  it('merging in either order gives the same numbers', () => {
    const devices = [newIndex(11), newIndex(22), newIndex(33)];
    devices.forEach((index, i) => {
      add(index, `same-instant-${3 - i}`, T0);
      add(index, `later-${i}`, T0 + (i + 1) * MINUTE);
    });
    const [x, y, z] = devices;
    merge(x, y);
    merge(y, z);
    merge(z, x);
    const first = numbersOf(adrsOf(x));
    for (const index of devices) expect(numbersOf(adrsOf(index))).toEqual(first);
    expect(first).toEqual({
      'same-instant-1': 1,
      'same-instant-2': 2,
      'same-instant-3': 3,
      'later-0': 4,
      'later-1': 5,
      'later-2': 6
    });
  });

  it('a number frozen in the index survives an older ADR synced from an offline device', () => {
    const online = newIndex(1);
    const offline = newIndex(2);
    add(online, 'acceptedAdr00001', T0);
    // Accepted as ADR-001: the list mirrors the frozen number.
    syncEntrySummary(online, 'acceptedAdr00001', {
      status: 'decided',
      tldr: 'We use Postgres.',
      reviewClosesAt: null,
      adrNumber: 1,
      people: [],
      links: {}
    });
    add(online, 'newerAdr00000001', T0 + MINUTE);
    // Meanwhile a device that has been offline for days wrote an older one.
    add(offline, 'olderAdr00000001', T0 - 3 * 24 * 60 * MINUTE);
    expect(numbersOf(adrsOf(offline))).toEqual({ olderAdr00000001: 1 });

    merge(online, offline);
    for (const index of [online, offline]) {
      expect(numbersOf(adrsOf(index))).toEqual({
        acceptedAdr00001: 1,
        olderAdr00000001: 2,
        newerAdr00000001: 3
      });
    }
  });
});

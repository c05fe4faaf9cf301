import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import {
  DOC_ROOTS,
  DOCUMENT_KINDS,
  getBody,
  getMetaMap,
  initMeta,
  isDocumentKind,
  isNewerTitle,
  MAX_TITLE_LENGTH,
  normalizeTitle,
  readMeta,
  SCHEMA_VERSION,
  setDocTitle,
  type DocumentMeta
} from '../../src/lib/model/schema.js';

/** Exchanges both docs' missing updates, as a y-websocket handshake would. */
function syncBoth(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

/** The fields initMeta takes, to compare a merged meta with what each device wrote. */
function initFields(meta: DocumentMeta) {
  const { title, kind, createdAt, createdBy, schemaVersion } = meta;
  return { title, kind, createdAt, createdBy, schemaVersion };
}

function docWithClient(clientID: number): Y.Doc {
  const doc = new Y.Doc();
  // Concurrent map writes are won by clientID; fixing it makes the winner known.
  doc.clientID = clientID;
  return doc;
}

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

describe('normalizeTitle', () => {
  it('collapses every run of whitespace to one space and trims', () => {
    expect(normalizeTitle('  Q3   plan\n\tdraft \r\n')).toBe('Q3 plan draft');
    expect(normalizeTitle('a\u00a0\u2003b')).toBe('a b');
  });

  it('gives an empty string for blank input (the UI shows "Untitled")', () => {
    expect(normalizeTitle('')).toBe('');
    expect(normalizeTitle(' \n\t ')).toBe('');
  });

  it('cuts at MAX_TITLE_LENGTH', () => {
    expect(MAX_TITLE_LENGTH).toBe(200);
    expect(normalizeTitle('x'.repeat(500))).toBe('x'.repeat(200));
    expect(normalizeTitle('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('cuts after collapsing, so whitespace does not eat the budget', () => {
    expect(normalizeTitle('a' + ' '.repeat(300) + 'b')).toBe('a b');
  });

  it('keeps non-ASCII titles that fit', () => {
    expect(normalizeTitle(' Décision  東京 🙂 ')).toBe('Décision 東京 🙂');
  });

  it('is idempotent for titles that need no cut', () => {
    for (const raw of ['  a  b ', 'x', '', 'Ünïcode\ttitle']) {
      expect(normalizeTitle(normalizeTitle(raw))).toBe(normalizeTitle(raw));
    }
  });

  // The cut is by code point and before the final trim.
  it('does not end with a space when the cut lands after one', () => {
    const title = normalizeTitle('a'.repeat(199) + ' b');
    expect(title).toBe('a'.repeat(199));
  });

  it('is idempotent when the cut lands after a space', () => {
    const once = normalizeTitle('a'.repeat(199) + ' b');
    expect(normalizeTitle(once)).toBe(once);
  });

  it('does not split a surrogate pair at the cut', () => {
    const title = normalizeTitle('a'.repeat(199) + '🙂');
    expect(hasLoneSurrogate(title)).toBe(false);
  });

  it('a cut title reads the same on every replica', () => {
    // The lone surrogate left by the cut is stored as-is locally but encoded
    // as U+FFFD, so the author and everyone else see different titles while
    // their state vectors are equal: the docs never converge again.
    const author = new Y.Doc();
    const reader = new Y.Doc();
    setDocTitle(author, 'a'.repeat(199) + '🙂');
    syncBoth(author, reader);
    expect(readMeta(reader).title).toBe(readMeta(author).title);
  });
});

describe('readMeta', () => {
  it('fills every default on an empty document (meta not synced yet)', () => {
    const expected: Partial<DocumentMeta> = {
      title: '',
      kind: 'note',
      createdAt: 0,
      createdBy: '',
      schemaVersion: SCHEMA_VERSION
    };
    // toMatchObject: fields added to DocumentMeta later get their own tests.
    expect(readMeta(new Y.Doc())).toMatchObject(expected);
  });

  it('reads what initMeta wrote', () => {
    const doc = new Y.Doc();
    initMeta(doc, { title: 'Plan', kind: 'adr', createdAt: 42, createdBy: 'Ada' });
    expect(readMeta(doc)).toMatchObject({
      title: 'Plan',
      kind: 'adr',
      createdAt: 42,
      createdBy: 'Ada',
      schemaVersion: SCHEMA_VERSION
    });
  });

  it('replaces malformed values (from an old or foreign client) with defaults', () => {
    const doc = new Y.Doc();
    const meta = getMetaMap(doc);
    meta.set('title', 42);
    meta.set('kind', 'spreadsheet');
    meta.set('createdAt', '2024-01-01');
    meta.set('createdBy', null);
    meta.set('schemaVersion', Number.NaN);
    expect(readMeta(doc)).toMatchObject({
      title: '',
      kind: 'note',
      createdAt: 0,
      createdBy: '',
      schemaVersion: SCHEMA_VERSION
    });
  });

  it('rejects non-finite numbers', () => {
    const doc = new Y.Doc();
    getMetaMap(doc).set('createdAt', Number.POSITIVE_INFINITY);
    expect(readMeta(doc).createdAt).toBe(0);
  });

  it('keeps a newer schemaVersion as written, so callers can refuse it', () => {
    const doc = new Y.Doc();
    getMetaMap(doc).set('schemaVersion', SCHEMA_VERSION + 1);
    expect(readMeta(doc).schemaVersion).toBe(SCHEMA_VERSION + 1);
  });

  it('accepts every declared kind', () => {
    for (const kind of DOCUMENT_KINDS) {
      const doc = new Y.Doc();
      getMetaMap(doc).set('kind', kind);
      expect(readMeta(doc).kind).toBe(kind);
      expect(isDocumentKind(kind)).toBe(true);
    }
    expect(isDocumentKind('Note')).toBe(false);
    expect(isDocumentKind(undefined)).toBe(false);
  });
});

describe('roots', () => {
  it('uses the documented root names', () => {
    const doc = new Y.Doc();
    expect(getMetaMap(doc)).toBe(doc.getMap(DOC_ROOTS.meta));
    expect(getBody(doc)).toBe(doc.getXmlFragment(DOC_ROOTS.body));
    expect(DOC_ROOTS).toEqual({ meta: 'meta', body: 'body' });
  });
});

describe('initMeta', () => {
  const init = { title: '  First\ndraft ', kind: 'rfc' as const, createdAt: 10, createdBy: 'Ada' };

  it('writes every field, normalizing the title', () => {
    const doc = new Y.Doc();
    initMeta(doc, init);
    expect(getMetaMap(doc).toJSON()).toMatchObject({
      title: 'First draft',
      kind: 'rfc',
      createdAt: 10,
      createdBy: 'Ada',
      schemaVersion: SCHEMA_VERSION
    });
  });

  it('writes all fields in one transaction (one update)', () => {
    const doc = new Y.Doc();
    let updates = 0;
    doc.on('update', () => updates++);
    initMeta(doc, init);
    expect(updates).toBe(1);
  });

  it('is idempotent: a second call changes nothing and emits no update', () => {
    const doc = new Y.Doc();
    initMeta(doc, init);
    const before = Y.encodeStateVector(doc);
    let updates = 0;
    doc.on('update', () => updates++);
    initMeta(doc, { title: 'Other', kind: 'note', createdAt: 99, createdBy: 'Bob' });
    expect(updates).toBe(0);
    expect(Y.encodeStateVector(doc)).toEqual(before);
    expect(readMeta(doc).title).toBe('First draft');
  });

  it('keeps fields that are already set and fills only the missing ones', () => {
    const doc = new Y.Doc();
    setDocTitle(doc, 'Renamed');
    initMeta(doc, init);
    expect(readMeta(doc)).toMatchObject({ title: 'Renamed', kind: 'rfc', createdBy: 'Ada' });
  });

  it.each([
    [1, 2],
    [2, 1]
  ])(
    'two devices initialising offline (clientIDs %i, %i) merge to one device’s meta, not a mix',
    (idA, idB) => {
      const a = docWithClient(idA);
      const b = docWithClient(idB);
      const initA = { title: 'From A', kind: 'rfc' as const, createdAt: 100, createdBy: 'Ada' };
      const initB = { title: 'From B', kind: 'adr' as const, createdAt: 200, createdBy: 'Bob' };
      initMeta(a, initA);
      initMeta(b, initB);
      syncBoth(a, b);

      const metaA = readMeta(a);
      expect(readMeta(b)).toEqual(metaA);
      expect(getMetaMap(b).toJSON()).toEqual(getMetaMap(a).toJSON());
      // Every field comes from the same initialiser: a title from one device
      // with the creator of the other would be a meta nobody wrote.
      const fromA = { ...initA, schemaVersion: SCHEMA_VERSION };
      const fromB = { ...initB, schemaVersion: SCHEMA_VERSION };
      expect([fromA, fromB]).toContainEqual(initFields(metaA));

      // A later initMeta (the page opened again) must not disturb the result.
      initMeta(a, initA);
      initMeta(b, initB);
      syncBoth(a, b);
      expect(readMeta(a)).toEqual(metaA);
      expect(readMeta(b)).toEqual(metaA);
    }
  );

  it('a device that initialises after syncing keeps the existing meta', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    initMeta(a, init);
    syncBoth(a, b);
    initMeta(b, { title: 'Late', kind: 'note', createdAt: 500, createdBy: 'Bob' });
    syncBoth(a, b);
    expect(readMeta(b)).toEqual(readMeta(a));
    expect(readMeta(a).title).toBe('First draft');
  });
});

describe('setDocTitle', () => {
  it('normalizes and overwrites the title', () => {
    const doc = new Y.Doc();
    initMeta(doc, { title: 'Old', kind: 'note', createdAt: 1, createdBy: 'Ada' });
    setDocTitle(doc, '  New \n title ');
    expect(readMeta(doc).title).toBe('New title');
    setDocTitle(doc, 'y'.repeat(300));
    expect(readMeta(doc).title).toHaveLength(MAX_TITLE_LENGTH);
  });

  it('touches only the title', () => {
    const doc = new Y.Doc();
    initMeta(doc, { title: 'Old', kind: 'weekly', createdAt: 5, createdBy: 'Ada' });
    setDocTitle(doc, 'New');
    expect(readMeta(doc)).toMatchObject({ kind: 'weekly', createdAt: 5, createdBy: 'Ada' });
  });

  it('concurrent renames converge on one title', () => {
    const a = docWithClient(1);
    const b = docWithClient(2);
    initMeta(a, { title: 'Old', kind: 'note', createdAt: 1, createdBy: 'Ada' });
    syncBoth(a, b);
    setDocTitle(a, 'Title A');
    setDocTitle(b, 'Title B');
    syncBoth(a, b);
    expect(readMeta(a).title).toBe(readMeta(b).title);
    expect(['Title A', 'Title B']).toContain(readMeta(a).title);
  });
});

describe('titleAt (which of two titles is newer)', () => {
  afterEach(() => vi.useRealTimers());

  it('readMeta gives 0 when the title has no time (older documents)', () => {
    const doc = new Y.Doc();
    getMetaMap(doc).set('title', 'Legacy');
    expect(readMeta(doc).titleAt).toBe(0);
    getMetaMap(doc).set('titleAt', 'soon');
    expect(readMeta(doc).titleAt).toBe(0);
  });

  it('initMeta stamps the title with titleAt, or createdAt when none is given', () => {
    const stamped = new Y.Doc();
    initMeta(stamped, { title: 'A', titleAt: 7, kind: 'note', createdAt: 3, createdBy: 'Ada' });
    expect(readMeta(stamped).titleAt).toBe(7);
    const unstamped = new Y.Doc();
    initMeta(unstamped, { title: 'A', kind: 'note', createdAt: 3, createdBy: 'Ada' });
    expect(readMeta(unstamped).titleAt).toBe(3);
  });

  it('initMeta keeps an existing title together with its time', () => {
    const doc = new Y.Doc();
    setDocTitle(doc, 'Mine', 50);
    initMeta(doc, { title: 'Other', titleAt: 99, kind: 'note', createdAt: 1, createdBy: 'Bob' });
    expect(readMeta(doc)).toMatchObject({ title: 'Mine', titleAt: 50 });
  });

  it('setDocTitle writes title and time in one update', () => {
    const doc = new Y.Doc();
    let updates = 0;
    doc.on('update', () => updates++);
    setDocTitle(doc, 'New', 1234);
    expect(updates).toBe(1);
    expect(readMeta(doc)).toMatchObject({ title: 'New', titleAt: 1234 });
  });

  it('setDocTitle defaults the time to the clock', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000);
    const doc = new Y.Doc();
    setDocTitle(doc, 'Now');
    expect(readMeta(doc).titleAt).toBe(5_000);
  });

  it('isNewerTitle: the later time wins', () => {
    expect(isNewerTitle({ title: 'a', titleAt: 2 }, { title: 'z', titleAt: 1 })).toBe(true);
    expect(isNewerTitle({ title: 'z', titleAt: 1 }, { title: 'a', titleAt: 2 })).toBe(false);
  });

  it('isNewerTitle: a tie goes to the greater string, the same on every replica', () => {
    expect(isNewerTitle({ title: 'b', titleAt: 1 }, { title: 'a', titleAt: 1 })).toBe(true);
    expect(isNewerTitle({ title: 'a', titleAt: 1 }, { title: 'b', titleAt: 1 })).toBe(false);
  });

  it('isNewerTitle: a title is not newer than itself', () => {
    expect(isNewerTitle({ title: 'a', titleAt: 1 }, { title: 'a', titleAt: 1 })).toBe(false);
  });

  it('isNewerTitle is a strict total order on distinct (title, time) pairs', () => {
    const stamps = [0, 1, 2].flatMap((titleAt) =>
      ['', 'a', 'B', 'b', 'é'].map((title) => ({ title, titleAt }))
    );
    for (const a of stamps) {
      for (const b of stamps) {
        const same = a.title === b.title && a.titleAt === b.titleAt;
        const wins = [isNewerTitle(a, b), isNewerTitle(b, a)].filter(Boolean).length;
        expect(wins, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(same ? 0 : 1);
      }
    }
  });
});

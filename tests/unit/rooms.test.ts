import { describe, expect, it } from 'vitest';
import * as prng from 'lib0/prng';
import {
  DEFAULT_WORKSPACE_ID,
  docRoom,
  indexRoom,
  isValidId,
  isValidRoomName,
  parseRoom
} from '../../src/lib/model/rooms.js';
import { newDocumentId } from '../../src/lib/model/workspaceIndex.js';
import { seededBytes } from '../support/testNetwork.js';

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

describe('isValidRoomName', () => {
  it.each([
    'main',
    'main.index',
    'main.doc.abc',
    'a.b.c.d',
    'A-Z_0-9',
    'x'.repeat(64),
    ['x'.repeat(64), 'y'.repeat(64), 'z'.repeat(64), 'w'.repeat(64)].join('.')
  ])('accepts %j', (room) => {
    expect(isValidRoomName(room)).toBe(true);
  });

  it.each([
    '',
    '.',
    'main.',
    '.index',
    'main..index',
    'a.b.c.d.e',
    'x'.repeat(65),
    'main.doc.' + 'x'.repeat(65),
    'main/doc',
    'main doc',
    'main.doc.a b',
    'main\n',
    '\nmain',
    'main.doc.é',
    '../etc',
    'main%2Findex'
  ])('rejects %j', (room) => {
    expect(isValidRoomName(room)).toBe(false);
  });
});

describe('isValidId', () => {
  it('accepts 1 to 64 URL-safe characters and nothing else', () => {
    expect(isValidId('a')).toBe(true);
    expect(isValidId(ID_ALPHABET)).toBe(true);
    expect(isValidId('')).toBe(false);
    expect(isValidId('x'.repeat(65))).toBe(false);
    expect(isValidId('a.b')).toBe(false);
    expect(isValidId('a\n')).toBe(false);
  });
});

describe('room names', () => {
  it('builds the documented names', () => {
    expect(indexRoom('main')).toBe('main.index');
    expect(docRoom('main', 'abc')).toBe('main.doc.abc');
    expect(isValidRoomName(indexRoom(DEFAULT_WORKSPACE_ID))).toBe(true);
  });

  it('parses index and document rooms', () => {
    expect(parseRoom('main.index')).toEqual({ type: 'index', workspaceId: 'main' });
    expect(parseRoom('main.doc.abc')).toEqual({
      type: 'doc',
      workspaceId: 'main',
      documentId: 'abc'
    });
  });

  it.each(['main', 'main.doc', 'main.index.x', 'main.docs.abc', 'main.doc.a.b', 'a.b.c.d'])(
    'parses %j as other',
    (room) => {
      expect(parseRoom(room)).toEqual({ type: 'other', room });
    }
  );

  it('does not confuse a document whose id is "index" or "doc" with the index', () => {
    expect(parseRoom(docRoom('main', 'index'))).toEqual({
      type: 'doc',
      workspaceId: 'main',
      documentId: 'index'
    });
    expect(parseRoom(docRoom('doc', 'doc'))).toEqual({
      type: 'doc',
      workspaceId: 'doc',
      documentId: 'doc'
    });
  });

  it('round-trips every valid workspace and document id (seeded property test)', () => {
    const seed = 20240611;
    const gen = prng.create(seed);
    const randomId = (): string => {
      const length = prng.int32(gen, 1, 64);
      let id = '';
      for (let i = 0; i < length; i++) id += prng.oneOf(gen, [...ID_ALPHABET]);
      return id;
    };
    for (let i = 0; i < 500; i++) {
      const workspaceId = randomId();
      const documentId = i % 2 === 0 ? randomId() : newDocumentId(seededBytes(gen));
      const where = `seed ${seed}, case ${i}: ${workspaceId} / ${documentId}`;
      expect(isValidId(workspaceId) && isValidId(documentId), where).toBe(true);

      const doc = docRoom(workspaceId, documentId);
      expect(isValidRoomName(doc), where).toBe(true);
      expect(parseRoom(doc), where).toEqual({ type: 'doc', workspaceId, documentId });

      const index = indexRoom(workspaceId);
      expect(isValidRoomName(index), where).toBe(true);
      expect(parseRoom(index), where).toEqual({ type: 'index', workspaceId });
    }
  });

  it('parseRoom does not validate: callers must check isValidRoomName first', () => {
    // The relay does (server/attachRelay.ts, server/relay/Relay.ts); this pins
    // the contract so a caller that skips it sees the empty ids it would get.
    expect(isValidRoomName('.index')).toBe(false);
    expect(parseRoom('.index')).toEqual({ type: 'index', workspaceId: '' });
    expect(parseRoom('main.doc.')).toEqual({ type: 'doc', workspaceId: 'main', documentId: '' });
  });
});

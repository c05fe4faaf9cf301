/**
 * How an update resolves to the writes the policy judges: overwrites whose
 * place travels only as an origin, deletions resolved to the items they
 * remove, content encodings, set-twice, and updates that build on what the
 * room lacks. Also pins the three Yjs internals updateWrites.ts reads (a
 * type's `_map` and `_item`, the store's clients): an upgrade that changes
 * them turns these red.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { writesOf } from '../../server/auth/updateWrites.js';
import {
  checkWrite,
  mayChangeComment,
  mayWriteMember,
  roomPolicy,
  type Write
} from '../../src/lib/model/writePolicy.js';
import { addReply, createDocumentThread, editComment } from '../../src/lib/model/comments.js';
import { getMembersMap, upsertPerson } from '../../src/lib/model/people.js';
import { asJsonContent, encodeBlocks, encodeStructs, reencodeUpdate } from '../support/reencode.js';

const COMMENTS = roomPolicy('comments')!;
const INDEX = roomPolicy('index')!;

/** The relay's view: a document built only by applying updates (roots untyped). */
function relayDoc(source: Y.Doc): Y.Doc {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source));
  return doc;
}

/** The writes of what `change` does to `client`, judged against `relay`. */
function writes(relay: Y.Doc, client: Y.Doc, change: () => void, policy = COMMENTS) {
  const before = Y.encodeStateVector(client);
  change();
  const update = Y.encodeStateAsUpdate(client, before);
  return writesOf(relay, Y.decodeUpdate(update), policy);
}

function verdicts(result: ReturnType<typeof writes>, writer: string): (string | null)[] {
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.writes.map((w) => checkWrite(result.ok ? policyOf(w) : COMMENTS, writer, w));
}

function policyOf(write: Write) {
  return write.root === 'threads' ? COMMENTS : INDEX;
}

function paths(result: ReturnType<typeof writes>): string[] {
  if (!result.ok) throw new Error(JSON.stringify(result));
  return result.writes.map(
    (w) => `${w.op} ${w.root}${w.hops.map((h) => (h.key === null ? '[]' : `.${h.key}`)).join('')}`
  );
}

function threadDoc(): Y.Doc {
  const doc = new Y.Doc();
  createDocumentThread(doc, {
    threadId: 't1',
    commentId: 'c1',
    purpose: 'review',
    title: 'Review',
    author: 'ana',
    text: 'Please look',
    now: 1
  });
  return doc;
}

function firstComment(doc: Y.Doc): Y.Map<unknown> {
  const thread = doc.getMap('threads').get('t1') as Y.Map<unknown>;
  return (thread.get('comments') as Y.Array<Y.Map<unknown>>).get(0);
}

describe('writesOf', () => {
  it('places an overwrite whose key travels only as an origin', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const result = writes(relay, client, () => firstComment(client).set('text', 'rewritten'));
    // The new item carries no parent or key: both come from the old value.
    const item = Y.decodeUpdate(
      Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))
    ).structs.find((s) => s instanceof Y.Item) as Y.Item;
    expect(item.parentSub).toBeNull();
    expect(paths(result)).toEqual(['set threads.t1.comments[].text']);
    expect(verdicts(result, 'ben')[0]).toMatch(/cannot be changed/);
    expect(verdicts(result, 'ana')).toEqual([null]);
  });

  it('resolves deletions to the items they remove', () => {
    const client = threadDoc();
    addReply(client, 't1', { commentId: 'c2', author: 'ben', text: 'Sure', now: 2 });
    const relay = relayDoc(client);
    const removeReply = writes(relay, client, () => {
      const thread = client.getMap('threads').get('t1') as Y.Map<unknown>;
      (thread.get('comments') as Y.Array<unknown>).delete(1, 1);
    });
    // The reply's own keys go with it: only the reply is judged.
    expect(paths(removeReply)).toEqual(['remove threads.t1.comments[]']);
    expect(verdicts(removeReply, 'ben')[0]).toMatch(/cannot be removed/);

    const client2 = threadDoc();
    const relay2 = relayDoc(client2);
    const removeThread = writes(relay2, client2, () => client2.getMap('threads').delete('t1'));
    expect(paths(removeThread)).toEqual(['remove threads.t1']);
    expect(verdicts(removeThread, 'ana')[0]).toMatch(/cannot be removed/);
  });

  it('pairs the old value an overwrite deletes with the set, judged once', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const result = writes(relay, client, () => editComment(client, 't1', 'c1', 'ana', 'Hi', 5));
    expect(paths(result).sort()).toEqual([
      'set threads.t1.comments[].editedAt',
      'set threads.t1.comments[].text'
    ]);
    expect(verdicts(result, 'ana')).toEqual([null, null]);
  });

  it('checks every value set twice in one transaction', () => {
    // Integrated first, so both sets become items: [value set first, then].
    // With garbage collection the first one's content is gone by the time the
    // update is encoded; without it, it travels (deleted) and is judged too.
    for (const [first, second, gc, refused] of [
      ['ben', 'ana', true, true],
      ['ana', 'ben', true, false],
      ['ana', 'ben', false, true]
    ] as const) {
      const client = threadDoc();
      const relay = relayDoc(client);
      client.gc = gc;
      const result = writes(relay, client, () => {
        client.transact(() => {
          const comment = new Y.Map<unknown>();
          comment.set('id', 'c9');
          const thread = client.getMap('threads').get('t1') as Y.Map<unknown>;
          (thread.get('comments') as Y.Array<unknown>).push([comment]);
          comment.set('author', first);
          comment.set('author', second);
        });
      });
      expect(
        verdicts(result, 'ben').some((v) => v !== null),
        `${first}, ${second}`
      ).toBe(refused);
    }
  });

  it('reads values in the older JSON content encoding', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const before = Y.encodeStateVector(client);
    client.transact(() => {
      const comment = new Y.Map<unknown>();
      comment.set('author', 'ana');
      const thread = client.getMap('threads').get('t1') as Y.Map<unknown>;
      (thread.get('comments') as Y.Array<unknown>).push([comment]);
    });
    const json = reencodeUpdate(Y.encodeStateAsUpdate(client, before), asJsonContent);
    expect(
      Y.decodeUpdate(json).structs.some(
        (s) => s instanceof Y.Item && s.content instanceof Y.ContentJSON
      )
    ).toBe(true);
    const result = writesOf(relay, Y.decodeUpdate(json), COMMENTS);
    expect(verdicts(result, 'ben').some((v) => v?.includes('names someone else'))).toBe(true);
    expect(verdicts(result, 'ana')).toEqual([null, null]);
  });

  it('reports an update that builds on content the room lacks', () => {
    const tabA = threadDoc();
    const relay = relayDoc(tabA);
    const tabB = relayDoc(tabA);
    tabA.transact(() =>
      addReply(tabA, 't1', { commentId: 'c2', author: 'ana', text: 'a', now: 2 })
    );
    Y.applyUpdate(tabB, Y.encodeStateAsUpdate(tabA)); // over BroadcastChannel only
    const result = writes(relay, tabB, () =>
      firstComment(tabB).set('text', 'edited after the other tab')
    );
    // tabB's reply builds on tabA's items only where they are concerned; an
    // edit of c1 resolves, one on top of tabA's reply would not:
    expect(result.ok).toBe(true);
    const onTop = writes(relay, tabB, () => {
      const thread = tabB.getMap('threads').get('t1') as Y.Map<unknown>;
      (thread.get('comments') as Y.Array<Y.Map<unknown>>).get(1).set('text', 'x');
    });
    expect(onTop.ok).toBe(false);
  });

  it('places thousands of new items chained by their origins (an offline session)', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const before = Y.encodeStateVector(client);
    // Each reply's origin is the reply before it, new in the same update: a
    // chain of 5,000 (walked recursively, it overflowed the stack).
    for (let i = 0; i < 5000; i++) {
      addReply(client, 't1', { commentId: `r${i}`, author: 'ana', text: `r${i}`, now: i + 2 });
    }
    const result = writesOf(relay, Y.decodeUpdate(Y.encodeStateAsUpdate(client, before)), COMMENTS);
    expect(result.ok).toBe(true);
    expect(verdicts(result, 'ana').every((v) => v === null)).toBe(true);
    expect(verdicts(result, 'ben').some((v) => v !== null)).toBe(true);
  });

  it('reads content made and deleted before it was sent (collected garbage) as nothing', () => {
    // Found by the ownership fuzz: such updates were never judged, so
    // legitimate offline work was set aside for good.
    const client = threadDoc();
    const relay = relayDoc(client);
    const before = Y.encodeStateVector(client);
    client.transact(() =>
      addReply(client, 't1', { commentId: 'gone', author: 'ana', text: 'x', now: 2 })
    );
    const thread = client.getMap('threads').get('t1') as Y.Map<unknown>;
    // A reply may not be removed on the relay, but this one never reached it:
    // Yjs collects it before anything is sent.
    (thread.get('comments') as Y.Array<unknown>).delete(1, 1);
    addReply(client, 't1', { commentId: 'kept', author: 'ana', text: 'kept', now: 3 });
    const update = Y.decodeUpdate(Y.encodeStateAsUpdate(client, before));
    expect(update.structs.some((s) => s instanceof Y.GC)).toBe(true);
    const result = writesOf(relay, update, COMMENTS);
    expect(result.ok).toBe(true);
    expect(verdicts(result, 'ana').every((v) => v === null)).toBe(true);
  });

  it('refuses a struct that continues its client’s previous item somewhere else', () => {
    // Found by the ownership fuzz: Yjs places such a struct where its origin
    // names (here: Ana's text) but links it after the client's previous item.
    const ana = threadDoc();
    const ben = relayDoc(ana);
    addReply(ben, 't1', { commentId: 'c2', author: 'ben', text: 'mine', now: 2 });
    const relay = relayDoc(ben);
    const anaText = Y.decodeUpdate(Y.encodeStateAsUpdate(ana)).structs.find(
      (s): s is Y.Item => s instanceof Y.Item && s.parentSub === 'text'
    )!;
    const benClock = Y.getState(ben.store, ben.clientID);
    // Starts on Ben's last clock (held by the room), so only its second value is new.
    const forged = new Y.Item(
      Y.createID(ben.clientID, benClock - 1),
      null,
      anaText.lastId,
      null,
      null,
      null,
      null,
      new Y.ContentAny(['x', 'hacked by ben'])
    );
    const update = Y.decodeUpdate(encodeStructs([forged], Y.createDeleteSet()));
    expect(writesOf(relay, update, COMMENTS)).toMatchObject({
      ok: false,
      unreadable: expect.stringContaining('another place')
    });
  });

  it('refuses a client’s structs in two blocks (Yjs applies only the last)', () => {
    // Found in review: the first block was judged, the second landed.
    const client = threadDoc();
    const relay = relayDoc(client);
    const before = Y.encodeStateVector(client);
    firstComment(client).set('editedAt', 9);
    const decoded = Y.decodeUpdate(Y.encodeStateAsUpdate(client, before));
    const [item] = decoded.structs;
    const other = new Y.GC(Y.createID(item.id.client + 1, 0), 1);
    const twice = encodeBlocks([[item], [other], [item]], decoded.ds);
    expect(writesOf(relay, Y.decodeUpdate(twice), COMMENTS)).toMatchObject({
      ok: false,
      unreadable: expect.stringContaining('twice')
    });
  });

  it('refuses an item that refers to its own client’s later content', () => {
    // Found in review: Yjs fails halfway through applying it.
    const client = threadDoc();
    const relay = relayDoc(client);
    const clock = Y.getState(client.store, client.clientID);
    const forward = new Y.Item(
      Y.createID(client.clientID, clock),
      null,
      Y.createID(client.clientID, clock + 5),
      null,
      null,
      null,
      null,
      new Y.ContentAny(['x'])
    );
    const update = Y.decodeUpdate(encodeStructs([forward], Y.createDeleteSet()));
    expect(writesOf(relay, update, COMMENTS)).toMatchObject({
      ok: false,
      unreadable: expect.any(String)
    });
  });

  it('judges a value set and deleted in one update as a removal', () => {
    // Found in review: it reopened a resolved thread with nobody's name.
    const client = threadDoc();
    const thread = client.getMap('threads').get('t1') as Y.Map<unknown>;
    thread.set('resolution', { resolved: true, at: 1, by: 'ana' });
    const relay = relayDoc(client);
    const before = Y.encodeStateVector(client);
    const merged = new Y.Doc({ gc: false });
    Y.applyUpdate(merged, Y.encodeStateAsUpdate(client));
    const mine = merged.getMap('threads').get('t1') as Y.Map<unknown>;
    mine.set('resolution', { resolved: false, at: 2, by: 'ben' });
    mine.delete('resolution');
    const update = Y.encodeStateAsUpdate(merged, before);
    const result = writesOf(relay, Y.decodeUpdate(update), COMMENTS);
    expect(paths(result)).toContain('remove threads.t1.resolution');
    expect(verdicts(result, 'ben').some((v) => v?.includes('cannot be removed'))).toBe(true);
  });

  it('lets an offline resolve-and-reopen meet someone else’s resolve (either ends live)', () => {
    const ana = threadDoc();
    const ben = relayDoc(ana);
    (ana.getMap('threads').get('t1') as Y.Map<unknown>).set('resolution', {
      resolved: true,
      at: 1,
      by: 'ana'
    });
    const relay = relayDoc(ana);
    const before = Y.encodeStateVector(ben);
    const thread = ben.getMap('threads').get('t1') as Y.Map<unknown>;
    thread.set('resolution', { resolved: true, at: 2, by: 'ben' });
    thread.set('resolution', { resolved: false, at: 3, by: 'ben' });
    const result = writesOf(relay, Y.decodeUpdate(Y.encodeStateAsUpdate(ben, before)), COMMENTS);
    expect(verdicts(result, 'ben')).toEqual(verdicts(result, 'ben').map(() => null));
  });

  it('drops an item whose parent was deleted and collected, as Yjs does', () => {
    // Found in review: typing into a block someone deleted meanwhile was refused.
    const ana = threadDoc();
    const ben = relayDoc(ana);
    const relay = relayDoc(ana);
    relay.transact(() => relay.getMap('threads').delete('t1'));
    const before = Y.encodeStateVector(ben);
    // A key the thread had no value for: the item names the thread as parent.
    (ben.getMap('threads').get('t1') as Y.Map<unknown>).set('resolution', {
      resolved: true,
      at: 2,
      by: 'ben'
    });
    const result = writesOf(relay, Y.decodeUpdate(Y.encodeStateAsUpdate(ben, before)), COMMENTS);
    expect(result).toEqual({ ok: true, writes: [] });
  });

  it('accepts writing the value a key already holds (two devices initialising one meta)', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const result = writes(relay, client, () =>
      (client.getMap('threads').get('t1') as Y.Map<unknown>).set('createdBy', 'ana')
    );
    expect(verdicts(result, 'ben')).toEqual([null]);
  });

  it('lets typing under an open root through without a write, and judges the same shape elsewhere', () => {
    const DOC = roomPolicy('doc')!;
    const client = new Y.Doc();
    client.getText('body-ish').insert(0, 'hello');
    client.getMap('meta').set('createdBy', 'ana');
    const relay = relayDoc(client);
    const typed = writes(relay, client, () => client.getText('body-ish').insert(5, '!'), DOC);
    expect(typed).toEqual({ ok: true, writes: [] });
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    // An overwrite travels as the same shape (an origin, no parent): judged.
    const forged = writes(relay, client, () => client.getMap('meta').set('createdBy', 'ben'), DOC);
    if (!forged.ok) throw new Error(JSON.stringify(forged));
    expect(forged.writes.map((w) => checkWrite(DOC, 'ben', w))).toEqual([
      expect.stringMatching(/meta\.createdBy cannot be changed/)
    ]);
  });

  it('reports a gap in a client’s clocks', () => {
    const client = threadDoc();
    const relay = relayDoc(client);
    const skipped = Y.encodeStateVector(client);
    firstComment(client).set('text', 'one');
    const afterFirst = Y.encodeStateVector(client);
    firstComment(client).set('text', 'two');
    void skipped;
    const gap = Y.encodeStateAsUpdate(client, afterFirst);
    const result = writesOf(relay, Y.decodeUpdate(gap), COMMENTS);
    expect(result.ok).toBe(false);
  });

  it('reads the member map of a root the relay never typed', () => {
    const client = new Y.Doc();
    upsertPerson(client, {
      id: 'ana',
      name: 'Ana',
      color: '#1f6feb',
      timeZone: 'UTC',
      workStart: '09:00',
      workEnd: '17:00',
      workDays: [1, 2, 3, 4, 5],
      updatedAt: 1
    });
    const relay = relayDoc(client);
    expect(relay.share.get('members')).not.toBeInstanceOf(Y.Map);
    const result = writes(
      relay,
      client,
      () => getMembersMap(client).set('ana', { name: 'Renamed by Ben' }),
      INDEX
    );
    expect(paths(result)).toEqual(['set members.ana']);
    expect(verdicts(result, 'ben')[0]).toMatch(/belongs to someone else/);
    expect(verdicts(result, 'ana')).toEqual([null]);

    // The relay's own keys on the entry stay as the relay wrote them.
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    getMembersMap(client).set('ana', { name: 'Ana', role: 'commenter' });
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    const promote = writes(
      relay,
      client,
      () => getMembersMap(client).set('ana', { name: 'Ana', role: 'editor' }),
      INDEX
    );
    expect(verdicts(promote, 'ana')[0]).toMatch(/members\.ana\.role is kept by the relay/);
    getMembersMap(client).set('ana', { name: 'Ana', role: 'commenter' });
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    const rename = writes(
      relay,
      client,
      () => getMembersMap(client).set('ana', { name: 'Ana B', role: 'commenter' }),
      INDEX
    );
    expect(verdicts(rename, 'ana')).toEqual([null]);
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    // A device that has not heard from the relay yet writes no role at all.
    const fresh = writes(
      relay,
      client,
      () => getMembersMap(client).set('ana', { name: 'Ana from a new device' }),
      INDEX
    );
    expect(verdicts(fresh, 'ana')).toEqual([null]);
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client));
    const leave = writes(relay, client, () => getMembersMap(client).delete('ana'), INDEX);
    expect(verdicts(leave, 'ana')[0]).toMatch(/cannot be removed/);
  });
});

describe('what the app offers, read from the table', () => {
  it('offers Edit and Delete only on one’s own live comments', () => {
    expect(mayChangeComment({ author: 'ana', deletedAt: null }, 'ana')).toBe(true);
    expect(mayChangeComment({ author: 'ana', deletedAt: null }, 'ben')).toBe(false);
    expect(mayChangeComment({ author: 'ana', deletedAt: 5 }, 'ana')).toBe(false);
    expect(mayChangeComment({ author: '', deletedAt: null }, '')).toBe(false);
  });

  it('lets a person write only their own member entry', () => {
    expect(mayWriteMember('ana', 'ana')).toBe(true);
    expect(mayWriteMember('ana', 'ben')).toBe(false);
  });
});

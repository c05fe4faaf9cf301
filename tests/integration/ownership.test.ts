/**
 * Ownership enforced by the relay, from outside: one test per rule of the
 * write policy (src/lib/model/writePolicy.ts, DOMAIN.md "Who owns what in the
 * record"). People join with invites and connect with the published
 * y-websocket client; legitimate writes go through the model's own functions,
 * hostile ones through ordinary Yjs calls (or hand-encoded bytes).
 *
 * A refused update closes only its sender (4403), is not stored and is never
 * forwarded. "Never forwarded" is checked behind a barrier: once the sender
 * has been closed, a legitimate write from another connection is waited for
 * at the observer; the relay forwards in the order it stores, so anything it
 * had accepted before would have arrived first.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import type { WebsocketProvider } from 'y-websocket';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  whenSynced,
  type TestRelay
} from '../support/relay.js';
import { joinAs, upgradeStatus, type Joined } from '../support/access.js';
import { waitFor } from '../support/poll.js';
import { reencodeUpdate } from '../support/reencode.js';
import {
  confirmMessage,
  confirmSeq,
  encodeMessage,
  messageType,
  openReadyRawClient,
  syncType,
  updateMessage,
  type RawClient
} from '../support/rawClient.js';
import { CLOSE, MESSAGE } from '../../src/lib/model/protocol.js';
import { commentsRoom, docRoom, indexRoom, parseRoom } from '../../src/lib/model/rooms.js';
import {
  addReply,
  createDocumentThread,
  deleteComment,
  editComment,
  getThreadsMap,
  readThread,
  setResolved,
  toggleReaction,
  type Ask
} from '../../src/lib/model/comments.js';
import {
  addEntry,
  deleteEntry,
  getDocumentsMap,
  getEntry,
  renameEntry
} from '../../src/lib/model/workspaceIndex.js';
import { getMembersMap, getPerson, upsertPerson } from '../../src/lib/model/people.js';
import { getBody, getMetaMap, initMeta, readMeta } from '../../src/lib/model/schema.js';
import { fieldsMap, historyArray, setScalar } from '../../src/lib/model/fields.js';

const WS = 'main';
const INDEX = indexRoom(WS);
const HOUR = 3_600_000;

const resources = new Resources();
let relay: TestRelay;
/** Editors. */
let ana: Joined;
let dee: Joined;
/** Commenters. */
let ben: Joined;
let cy: Joined;

beforeAll(async () => {
  relay = await startTestRelay({ insecureOpenAccess: false });
  ana = await joinAs(relay, 'editor', 'Ana');
  dee = await joinAs(relay, 'editor', 'Dee');
  ben = await joinAs(relay, 'commenter', 'Ben');
  cy = await joinAs(relay, 'commenter', 'Cy');
});
afterEach(() => resources.disposeAll());
afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

// ---------------------------------------------------------------- connections

interface Client {
  room: string;
  person: Joined;
  provider: WebsocketProvider;
  doc: Y.Doc;
  /** The close code the relay sent, once it closed this connection. */
  closedWith: number | null;
  /** The reason it gave. */
  closeReason: string;
}

/** A published y-websocket client for `person`, synced with the room. */
async function connect(room: string, person: Joined, doc = new Y.Doc()): Promise<Client> {
  const provider = resources.provider(
    connectProvider(relay.wsUrl, room, doc, { token: person.credential })
  );
  const client: Client = { room, person, provider, doc, closedWith: null, closeReason: '' };
  provider.on('connection-close', (event) => {
    if (client.closedWith !== null) return;
    client.closedWith = event?.code ?? 0;
    client.closeReason = event?.reason ?? '';
  });
  await whenSynced(provider, `${person.personId} synced in ${room}`);
  return client;
}

/**
 * Writes `change` in one transaction and waits for the relay to close the
 * sender with 4403, for the reason `because` matches (the policy's words).
 */
async function expectRefused(
  client: Client,
  because: RegExp,
  change: (doc: Y.Doc) => void
): Promise<void> {
  client.doc.transact(() => change(client.doc));
  await waitFor(() => client.closedWith !== null, {
    timeoutMs: 5_000,
    message: `the relay to close ${client.person.personId}'s connection to ${client.room}`
  });
  expect(client.closedWith).toBe(CLOSE.forbidden);
  // Refused by the write policy, for this write, not for anything else a 4403 may mean.
  expect(client.closeReason).toMatch(/^ownership refused: /);
  expect(client.closeReason).toMatch(because);
}

let marks = 0;

/**
 * A legitimate write by `writer` (a new thread, index entry or field, by room
 * kind), waited for at `observer`. Call it only once every hostile sender
 * has been closed: whatever the relay accepted before is forwarded first.
 */
async function barrier(writer: Client, observer: Client): Promise<void> {
  const id = `mark-${++marks}`;
  const now = Date.now();
  const kind = parseRoom(writer.room).type;
  const who = writer.person.personId;
  if (kind === 'comments') {
    createDocumentThread(writer.doc, {
      threadId: id,
      commentId: id,
      purpose: 'review',
      title: 'barrier',
      author: who,
      text: 'barrier',
      now
    });
  } else if (kind === 'index') {
    addEntry(writer.doc, {
      id,
      title: 'barrier',
      kind: 'note',
      author: { userId: who, name: who },
      now
    });
  } else {
    setScalar(writer.doc, id, true, who, now);
  }
  await waitFor(
    () =>
      kind === 'comments'
        ? readThread(observer.doc, id) !== null
        : kind === 'index'
          ? getEntry(observer.doc, id) !== null
          : fieldsMap(observer.doc).get(id) === true,
    { message: `the barrier write ${id} at the observer` }
  );
}

function stored(room: string): Promise<Y.Doc> {
  return docFromStore(relay.store, room);
}

// ---------------------------------------------------------------- comment rooms

function startThread(client: Client, threadId: string, text: string, ask?: Ask): void {
  createDocumentThread(client.doc, {
    threadId,
    commentId: `${threadId}.0`,
    purpose: 'review',
    title: 'Review this',
    author: client.person.personId,
    text,
    ask,
    now: Date.now()
  });
}

function reply(client: Client, threadId: string, commentId: string, text: string, ask?: Ask) {
  addReply(client.doc, threadId, {
    commentId,
    author: client.person.personId,
    text,
    ask,
    now: Date.now()
  });
}

function threadMap(doc: Y.Doc, threadId: string): Y.Map<unknown> {
  const map = getThreadsMap(doc).get(threadId);
  if (!(map instanceof Y.Map)) throw new Error(`no thread ${threadId}`);
  return map;
}

function commentsOf(doc: Y.Doc, threadId: string): Y.Array<Y.Map<unknown>> {
  return threadMap(doc, threadId).get('comments') as Y.Array<Y.Map<unknown>>;
}

function commentMap(doc: Y.Doc, threadId: string, index: number): Y.Map<unknown> {
  return commentsOf(doc, threadId).get(index);
}

/** Waits until a client holds a comment (by thread and position). */
function hasComment(client: Client, threadId: string, index: number): Promise<unknown> {
  return waitFor(() => (readThread(client.doc, threadId)?.comments.length ?? 0) > index, {
    message: `comment ${index} of ${threadId} at ${client.person.personId}`
  });
}

/** [id, author] of each comment in a thread, as a document holds it. */
function authors(doc: Y.Doc, threadId: string): [string, string][] {
  return (readThread(doc, threadId)?.comments ?? []).map((c) => [c.id, c.author]);
}

// ---------------------------------------------------------------- the older content encoding

/**
 * The same update with its one `author` value in the older JSON content
 * encoding (ContentJSON, info 2) instead of ContentAny: what an old client,
 * or a hostile one, may send. Yjs reads both.
 */
function withAuthorAsJson(update: Uint8Array, author: string): Uint8Array {
  let authors = 0;
  const json = reencodeUpdate(update, (item) => {
    if (item.parentSub !== 'author') return;
    authors++;
    item.content = new Y.ContentJSON([author]);
  });
  expect(authors).toBe(1);
  return json;
}

/** A raw connection with a person's credential, synced like a y-websocket client. */
async function rawClient(room: string, person: Joined): Promise<RawClient> {
  const client = await openReadyRawClient(
    relay.wsUrl,
    `${room}?token=${encodeURIComponent(person.credential)}`
  );
  return resources.add(client, (c) => c.close());
}

// ---------------------------------------------------------------- tests

describe('comment rooms: only the author changes a comment', () => {
  it('1. refuses changing the text of another person’s comment; the author’s own edit is stored', async () => {
    const room = commentsRoom(WS, 'own-text');
    const author = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(author, 't', 'Ben wrote this');
    const commenter = await connect(room, cy);
    const editor = await connect(room, ana);
    await hasComment(commenter, 't', 0);
    await hasComment(editor, 't', 0);
    await hasComment(observer, 't', 0);

    await expectRefused(commenter, /comments\[\]\.text cannot be changed/, (doc) =>
      commentMap(doc, 't', 0).set('text', 'Cy rewrote')
    );
    // Not even an editor: the role writes the room, ownership decides the comment.
    await expectRefused(editor, /comments\[\]\.text cannot be changed/, (doc) =>
      commentMap(doc, 't', 0).set('text', 'Ana rewrote')
    );
    await barrier(author, observer);
    expect(readThread(await stored(room), 't')?.comments[0].text).toBe('Ben wrote this');
    expect(readThread(observer.doc, 't')?.comments[0].text).toBe('Ben wrote this');

    editComment(author.doc, 't', 't.0', ben.personId, 'Ben edited this', Date.now());
    await waitFor(() => readThread(observer.doc, 't')?.comments[0].text === 'Ben edited this', {
      message: 'the author’s edit forwarded'
    });
    expect(readThread(await stored(room), 't')?.comments[0]).toMatchObject({
      text: 'Ben edited this',
      editedAt: expect.any(Number)
    });
    expect(author.closedWith).toBeNull();
  });

  it('2. refuses marking another person’s reply deleted; the author’s own soft delete is stored', async () => {
    const room = commentsRoom(WS, 'own-delete');
    const author = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(author, 't', 'Opening');
    reply(author, 't', 'r1', 'A reply by Ben');
    const other = await connect(room, cy);
    await hasComment(other, 't', 1);
    await hasComment(observer, 't', 1);

    await expectRefused(other, /comments\[\]\.deletedAt cannot be set/, (doc) =>
      commentMap(doc, 't', 1).set('deletedAt', Date.now())
    );
    await barrier(author, observer);
    expect(readThread(await stored(room), 't')?.comments[1].deletedAt).toBeNull();
    expect(readThread(observer.doc, 't')?.comments[1].deletedAt).toBeNull();

    deleteComment(author.doc, 't', 'r1', ben.personId, Date.now());
    await waitFor(() => readThread(observer.doc, 't')?.comments[1].deletedAt !== null, {
      message: 'the author’s delete forwarded'
    });
    const kept = readThread(await stored(room), 't')?.comments[1];
    expect(kept).toMatchObject({ id: 'r1', text: 'A reply by Ben', deletedAt: expect.any(Number) });
  });

  it('3. refuses rewriting another person’s ask (reply-by, assignees); the asker’s own change is stored', async () => {
    const room = commentsRoom(WS, 'own-ask');
    const asker = await connect(room, ben);
    const observer = await connect(room, dee);
    const ask: Ask = {
      assignees: [cy.personId],
      replyBy: Date.now() + 24 * HOUR,
      preset: '24h',
      askerZone: 'UTC'
    };
    startThread(asker, 't', 'Cy, can you answer by tomorrow?', ask);
    const asked = await connect(room, cy);
    await hasComment(asked, 't', 0);
    await hasComment(observer, 't', 0);

    await expectRefused(asked, /comments\[\]\.ask cannot be changed/, (doc) =>
      commentMap(doc, 't', 0).set('ask', {
        ...ask,
        assignees: [ana.personId],
        replyBy: ask.replyBy + 30 * 24 * HOUR
      })
    );
    await barrier(asker, observer);
    expect(readThread(await stored(room), 't')?.comments[0].ask).toEqual(ask);
    expect(readThread(observer.doc, 't')?.comments[0].ask).toEqual(ask);

    const later = { ...ask, replyBy: ask.replyBy + 48 * HOUR, preset: 'custom' as const };
    commentMap(asker.doc, 't', 0).set('ask', later);
    await waitFor(() => readThread(observer.doc, 't')?.comments[0].ask?.replyBy === later.replyBy, {
      message: 'the asker’s change forwarded'
    });
    expect(readThread(await stored(room), 't')?.comments[0].ask).toEqual(later);
  });

  it('4. refuses making oneself the author of someone else’s comment', async () => {
    const room = commentsRoom(WS, 'own-author');
    const author = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(author, 't', 'Mine');
    const other = await connect(room, cy);
    await hasComment(other, 't', 0);
    await hasComment(observer, 't', 0);

    await expectRefused(other, /comments\[\]\.author cannot be changed/, (doc) =>
      commentMap(doc, 't', 0).set('author', cy.personId)
    );
    await barrier(author, observer);
    expect(authors(await stored(room), 't')).toEqual([['t.0', ben.personId]]);
    expect(authors(observer.doc, 't')).toEqual([['t.0', ben.personId]]);
  });

  it('5. refuses a reaction in another person’s name (added or taken away); one’s own reaction is added and removed', async () => {
    const room = commentsRoom(WS, 'own-reaction');
    const author = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(author, 't', 'React to this');
    const hostile = await connect(room, cy);
    await hasComment(hostile, 't', 0);
    await hasComment(observer, 't', 0);
    const reactionsOf = (doc: Y.Doc) => commentMap(doc, 't', 0).get('reactions') as Y.Map<number>;

    await expectRefused(hostile, /reactions\.[^.]+:👍 belongs to someone else/, (doc) =>
      reactionsOf(doc).set(`${ben.personId}:👍`, Date.now())
    );
    await barrier(author, observer);
    expect(readThread(await stored(room), 't')?.comments[0].reactions).toEqual([]);
    expect(readThread(observer.doc, 't')?.comments[0].reactions).toEqual([]);

    // Ben's own 👀, then Cy's own 👍 added and taken back.
    toggleReaction(author.doc, 't', 't.0', ben.personId, '👀', Date.now());
    const reactor = await connect(room, cy);
    await waitFor(() => reactionsOf(reactor.doc).has(`${ben.personId}:👀`), {
      message: 'Ben’s reaction at Cy'
    });
    expect(toggleReaction(reactor.doc, 't', 't.0', cy.personId, '👍', Date.now())).toBe(true);
    await waitFor(() => reactionsOf(observer.doc).has(`${cy.personId}:👍`), {
      message: 'Cy’s reaction forwarded'
    });
    expect(reactionsOf(await stored(room)).has(`${cy.personId}:👍`)).toBe(true);
    expect(toggleReaction(reactor.doc, 't', 't.0', cy.personId, '👍', Date.now())).toBe(false);
    await waitFor(() => !reactionsOf(observer.doc).has(`${cy.personId}:👍`), {
      message: 'Cy’s reaction taken back, forwarded'
    });
    expect(reactionsOf(await stored(room)).has(`${cy.personId}:👍`)).toBe(false);

    // Taking Ben's reaction away is writing in his name too.
    await expectRefused(reactor, /reactions\.[^.]+:👀 belongs to someone else/, (doc) =>
      reactionsOf(doc).delete(`${ben.personId}:👀`)
    );
    await barrier(author, observer);
    expect(readThread(await stored(room), 't')?.comments[0].reactions).toEqual([
      { emoji: '👀', people: [ben.personId] }
    ]);
    expect(reactionsOf(observer.doc).has(`${ben.personId}:👀`)).toBe(true);
  });

  it('6. refuses removing a whole thread (anyone’s, one’s own) and removing a reply from a thread (even one’s own)', async () => {
    const room = commentsRoom(WS, 'never-removed');
    const owner = await connect(room, ben);
    const observer = await connect(room, dee);
    const witness = await connect(room, ana);
    startThread(owner, 't', 'A thread');
    const replier = await connect(room, cy);
    await hasComment(replier, 't', 0);
    reply(replier, 't', 'r1', 'A reply by Cy');
    await hasComment(owner, 't', 1);
    await hasComment(observer, 't', 1);

    await expectRefused(replier, /^[^:]+: threads\.t cannot be removed/, (doc) =>
      getThreadsMap(doc).delete('t')
    );
    await expectRefused(owner, /^[^:]+: threads\.t cannot be removed/, (doc) =>
      getThreadsMap(doc).delete('t')
    );
    const ownReply = await connect(room, cy);
    await hasComment(ownReply, 't', 1);
    await expectRefused(ownReply, /threads\.t\.comments\[\] cannot be removed/, (doc) =>
      commentsOf(doc, 't').delete(1)
    );
    // A plain object where a comment or a thread belongs would read as one
    // (toJSON, third-party readers), naming anyone: only the structure goes.
    const plainComment = await connect(room, cy);
    await hasComment(plainComment, 't', 1);
    await expectRefused(plainComment, /threads\.t\.comments\[\] must hold a map/, (doc) =>
      commentsOf(doc, 't').push([{ id: 'p1', author: ben.personId, text: 'as Ben' }] as never[])
    );
    const plainThread = await connect(room, cy);
    await hasComment(plainThread, 't', 1);
    await expectRefused(plainThread, /threads\.plain must hold a map/, (doc) =>
      doc.getMap('threads').set('plain', { createdBy: ben.personId })
    );
    await barrier(witness, observer);
    const expected = [
      ['t.0', ben.personId],
      ['r1', cy.personId]
    ];
    expect(authors(await stored(room), 't')).toEqual(expected);
    expect(authors(observer.doc, 't')).toEqual(expected);
  });

  it('7. refuses a new reply naming someone else as author, set twice in one transaction, or in the older JSON encoding', async () => {
    const room = commentsRoom(WS, 'new-author');
    const owner = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(owner, 't', 'Replies welcome');
    await hasComment(observer, 't', 0);
    const newComment = (doc: Y.Doc, id: string, authorsInOrder: string[]) => {
      const map = new Y.Map<unknown>();
      commentsOf(doc, 't').push([map]);
      map.set('id', id);
      // Each set after the map is integrated is an item of its own.
      for (const author of authorsInOrder) map.set('author', author);
      map.set('text', `reply ${id}`);
      map.set('createdAt', Date.now());
      map.set('reactions', new Y.Map<number>());
    };

    // The model's own reply function, given Ben's id by Cy.
    const plain = await connect(room, cy);
    await hasComment(plain, 't', 0);
    await expectRefused(plain, /comments\[\]\.author names someone else/, (doc) =>
      addReply(doc, 't', { commentId: 'x1', author: ben.personId, text: 'as Ben', now: 1 })
    );
    // Self, then other: the first value is collected, the last one names Ben.
    const selfThenOther = await connect(room, cy);
    await hasComment(selfThenOther, 't', 0);
    await expectRefused(selfThenOther, /comments\[\]\.author names someone else/, (doc) =>
      newComment(doc, 'x2', [cy.personId, ben.personId])
    );
    // Other, then self: ends as Cy, but Ben's name travels in the update (a
    // document without garbage collection keeps the overwritten value).
    const otherThenSelf = await connect(room, cy, new Y.Doc({ gc: false }));
    await hasComment(otherThenSelf, 't', 0);
    await expectRefused(otherThenSelf, /comments\[\]\.author names someone else/, (doc) =>
      newComment(doc, 'x3', [ben.personId, cy.personId])
    );
    // The older encoding: the same reply as Cy would write it, Ben's id in ContentJSON.
    const crafted = async (commentId: string, author: string) => {
      const scratch = resources.add(await stored(room), (d) => d.destroy());
      const before = Y.encodeStateVector(scratch);
      addReply(scratch, 't', { commentId, author: cy.personId, text: 'JSON', now: Date.now() });
      return withAuthorAsJson(Y.encodeStateAsUpdate(scratch, before), author);
    };
    const json = await rawClient(room, cy);
    json.send(updateMessage(await crafted('x4', ben.personId)));
    const jsonClose = await json.closed;
    expect(jsonClose.code).toBe(CLOSE.forbidden);
    expect(jsonClose.reason).toMatch(/^ownership refused: .*names someone else/);

    await barrier(owner, observer);
    expect(authors(await stored(room), 't')).toEqual([['t.0', ben.personId]]);
    expect(authors(observer.doc, 't')).toEqual([['t.0', ben.personId]]);

    // The same kinds of write in one's own name are stored and forwarded:
    // a reply, a reply whose author was set twice to oneself (no collection),
    // and one in the JSON encoding.
    const own = await connect(room, cy, new Y.Doc({ gc: false }));
    await hasComment(own, 't', 0);
    reply(own, 't', 'ok1', 'as Cy');
    own.doc.transact(() => newComment(own.doc, 'ok2', [cy.personId, cy.personId]));
    await hasComment(observer, 't', 2);
    const ownJson = await rawClient(room, cy);
    ownJson.send(updateMessage(await crafted('ok3', cy.personId)));
    await hasComment(observer, 't', 3);
    const expected = [
      ['t.0', ben.personId],
      ['ok1', cy.personId],
      ['ok2', cy.personId],
      ['ok3', cy.personId]
    ];
    expect(authors(await stored(room), 't')).toEqual(expected);
    expect(authors(observer.doc, 't')).toEqual(expected);
    expect(own.closedWith).toBeNull();
    expect(ownJson.closeInfo).toBeNull();
  });

  it('8. refuses a resolution naming someone else and removing the resolution; resolving and reopening in one’s own name are stored', async () => {
    const room = commentsRoom(WS, 'resolution');
    const owner = await connect(room, ben);
    const observer = await connect(room, dee);
    startThread(owner, 't', 'Resolve me');
    await hasComment(observer, 't', 0);

    const forger = await connect(room, cy);
    await hasComment(forger, 't', 0);
    await expectRefused(forger, /threads\.t\.resolution names someone else/, (doc) =>
      setResolved(doc, 't', true, ben.personId, Date.now())
    );
    await barrier(owner, observer);
    expect(readThread(await stored(room), 't')?.resolution).toBeNull();
    expect(readThread(observer.doc, 't')?.resolution).toBeNull();

    // On Ben's thread, in Cy's own name.
    const resolver = await connect(room, cy);
    await hasComment(resolver, 't', 0);
    setResolved(resolver.doc, 't', true, cy.personId, Date.now());
    await waitFor(() => readThread(observer.doc, 't')?.resolution?.resolved === true, {
      message: 'the resolution forwarded'
    });
    expect(readThread(await stored(room), 't')?.resolution).toMatchObject({
      resolved: true,
      by: cy.personId
    });
    setResolved(resolver.doc, 't', false, cy.personId, Date.now());
    await waitFor(() => readThread(observer.doc, 't')?.resolution?.resolved === false, {
      message: 'the reopening forwarded'
    });
    expect(readThread(await stored(room), 't')?.resolution).toMatchObject({
      resolved: false,
      by: cy.personId
    });

    await expectRefused(resolver, /threads\.t\.resolution cannot be removed/, (doc) =>
      threadMap(doc, 't').delete('resolution')
    );
    await barrier(owner, observer);
    expect(readThread(await stored(room), 't')?.resolution).toMatchObject({ resolved: false });
    expect(readThread(observer.doc, 't')?.resolution).toMatchObject({ resolved: false });
  });
});

describe('the index: members and list entries', () => {
  it('9. refuses an editor rewriting another member’s entry; that member’s own later change is stored and wins, as is the editor’s own', async () => {
    const observer = await connect(INDEX, ben);
    const forger = await connect(INDEX, ana);
    const original = getPerson(forger.doc, dee.personId);
    expect(original?.name).toBe('Dee');

    await expectRefused(forger, /members\.[^.]+ belongs to someone else/, (doc) =>
      // Newer than anything Dee will save: if it were kept, her save would lose.
      upsertPerson(doc, { ...original!, name: 'Forged by Ana', updatedAt: Date.now() + HOUR })
    );
    // Removing it is writing it too.
    await expectRefused(
      await connect(INDEX, ana),
      /members\.[^.]+ belongs to someone else/,
      (doc) => getMembersMap(doc).delete(dee.personId)
    );
    const owner = await connect(INDEX, dee);
    await barrier(owner, observer);
    expect(getPerson(await stored(INDEX), dee.personId)?.name).toBe('Dee');
    expect(getPerson(observer.doc, dee.personId)?.name).toBe('Dee');

    const mine = getPerson(owner.doc, dee.personId)!;
    expect(upsertPerson(owner.doc, { ...mine, name: 'Dee R.', updatedAt: Date.now() })).toBe(true);
    await waitFor(() => getPerson(observer.doc, dee.personId)?.name === 'Dee R.', {
      message: 'Dee’s own profile change forwarded'
    });
    expect(getPerson(await stored(INDEX), dee.personId)?.name).toBe('Dee R.');

    const self = await connect(INDEX, ana);
    const anaNow = getPerson(self.doc, ana.personId)!;
    expect(upsertPerson(self.doc, { ...anaNow, name: 'Ana R.', updatedAt: Date.now() })).toBe(true);
    await waitFor(() => getPerson(observer.doc, ana.personId)?.name === 'Ana R.', {
      message: 'Ana’s own profile change forwarded'
    });
    const members = await stored(INDEX);
    expect(getPerson(members, ana.personId)?.name).toBe('Ana R.');
    expect(getMembersMap(members).get(dee.personId)).toMatchObject({ name: 'Dee R.' });
  });

  it('10. list entries: createdBy names its writer and never changes, updatedBy/deletedBy name the writer, only the creator replaces or removes an entry; editors rename anything', async () => {
    const observer = await connect(INDEX, ben);
    const owner = await connect(INDEX, dee);
    const dees = { userId: dee.personId, name: 'Dee' };
    const anas = { userId: ana.personId, name: 'Ana' };
    addEntry(owner.doc, { id: 'e10', title: 'Dee’s plan', kind: 'rfc', author: dees, now: 1 });
    addEntry(owner.doc, { id: 'e10-b', title: 'Dee’s other', kind: 'note', author: dees, now: 1 });
    await waitFor(() => getEntry(observer.doc, 'e10-b'), { message: 'Dee’s entries forwarded' });
    const entry = (doc: Y.Doc, id = 'e10') => getDocumentsMap(doc).get(id)!;
    const editor = async () => {
      const client = await connect(INDEX, ana);
      await waitFor(() => getEntry(client.doc, 'e10-b'), { message: 'entries at Ana' });
      return client;
    };

    // Creating an entry in someone else's name.
    await expectRefused(
      await editor(),
      /documents\.e10-forged\.createdBy names someone else/,
      (doc) =>
        addEntry(doc, { id: 'e10-forged', title: 'Not Dee’s', kind: 'note', author: dees, now: 2 })
    );
    // Changing createdBy of an existing entry, even to oneself, or removing it.
    await expectRefused(await editor(), /documents\.e10\.createdBy cannot be changed/, (doc) =>
      entry(doc).set('createdBy', ana.personId)
    );
    await expectRefused(owner, /documents\.e10\.createdBy cannot be removed/, (doc) =>
      entry(doc).delete('createdBy')
    );
    // Writing the value it already holds changes nothing anyone reads (two
    // devices of one person initialising the same document do it): stored.
    owner.doc.transact(() => entry(owner.doc).set('createdBy', dee.personId));

    // Renaming someone else's document is an editor's ordinary work.
    const renamer = await editor();
    renameEntry(renamer.doc, 'e10', 'Renamed by Ana', anas, 3);
    await waitFor(() => getEntry(observer.doc, 'e10')?.title === 'Renamed by Ana', {
      message: 'the rename forwarded'
    });
    expect(getEntry(await stored(INDEX), 'e10')).toMatchObject({
      title: 'Renamed by Ana',
      updatedBy: ana.personId,
      createdBy: dee.personId
    });

    // updatedBy and deletedBy naming someone else.
    await expectRefused(renamer, /documents\.e10\.updatedBy names someone else/, (doc) => {
      entry(doc).set('updatedAt', 4);
      entry(doc).set('updatedBy', dee.personId);
    });
    await expectRefused(await editor(), /documents\.e10\.deletedBy names someone else/, (doc) =>
      deleteEntry(doc, 'e10', dees, 5)
    );
    // Replacing or removing someone else's entry wholesale.
    await expectRefused(await editor(), /documents\.e10 cannot be changed/, (doc) =>
      getDocumentsMap(doc).set('e10', new Y.Map())
    );
    await expectRefused(await editor(), /documents\.e10 cannot be removed/, (doc) =>
      getDocumentsMap(doc).delete('e10')
    );

    const creator = await connect(INDEX, dee);
    await barrier(creator, observer);
    for (const doc of [await stored(INDEX), observer.doc]) {
      expect(getEntry(doc, 'e10-forged')).toBeNull();
      expect(getEntry(doc, 'e10')).toMatchObject({
        title: 'Renamed by Ana',
        kind: 'rfc',
        createdBy: dee.personId,
        updatedAt: 3,
        updatedBy: ana.personId,
        deletedAt: null,
        deletedBy: null
      });
    }

    // Its creator may remove an entry of their own.
    getDocumentsMap(creator.doc).delete('e10-b');
    await waitFor(() => getEntry(observer.doc, 'e10-b') === null, {
      message: 'the creator’s removal forwarded'
    });
    expect(getEntry(await stored(INDEX), 'e10-b')).toBeNull();
  });
});

describe('document rooms', () => {
  it('11. refuses meta.createdBy naming someone else or changing, and history entries naming someone else; body and own fields are stored', async () => {
    const room = docRoom(WS, 'own-meta');
    const observer = await connect(room, ben);
    const meta = (createdBy: string) => ({
      title: 'Plan',
      kind: 'rfc' as const,
      createdAt: 1,
      createdBy
    });

    await expectRefused(await connect(room, ana), /meta\.createdBy names someone else/, (doc) =>
      initMeta(doc, meta(dee.personId))
    );
    const owner = await connect(room, dee);
    await barrier(owner, observer);
    expect(getMetaMap(await stored(room)).has('createdBy')).toBe(false);
    expect(getMetaMap(observer.doc).has('createdBy')).toBe(false);

    initMeta(owner.doc, meta(dee.personId));
    await waitFor(() => readMeta(observer.doc).createdBy === dee.personId, {
      message: 'Dee’s meta forwarded'
    });
    expect(readMeta(await stored(room)).createdBy).toBe(dee.personId);

    const editor = async () => {
      const client = await connect(room, ana);
      await waitFor(() => readMeta(client.doc).createdBy === dee.personId, {
        message: 'meta at Ana'
      });
      return client;
    };
    await expectRefused(await editor(), /meta\.createdBy cannot be changed/, (doc) =>
      getMetaMap(doc).set('createdBy', ana.personId)
    );
    await expectRefused(await editor(), /fields\.history\[\] names someone else/, (doc) =>
      setScalar(doc, 'status', 'review', dee.personId, 2)
    );
    await barrier(owner, observer);
    for (const doc of [await stored(room), observer.doc]) {
      expect(readMeta(doc).createdBy).toBe(dee.personId);
      expect(fieldsMap(doc).has('status')).toBe(false);
      expect(
        historyArray(doc)
          .toArray()
          .filter((h) => h.field === 'status')
      ).toEqual([]);
    }

    // An editor's own field value and body text.
    const writer = await editor();
    setScalar(writer.doc, 'status', 'review', ana.personId, 3);
    const paragraph = new Y.XmlElement('paragraph');
    paragraph.insert(0, [new Y.XmlText('Body by Ana')]);
    getBody(writer.doc).insert(0, [paragraph]);
    await waitFor(() => getBody(observer.doc).toString().includes('Body by Ana'), {
      message: 'the body forwarded'
    });
    await waitFor(() => fieldsMap(observer.doc).get('status') === 'review', {
      message: 'the field forwarded'
    });
    const doc = await stored(room);
    expect(getBody(doc).toString()).toContain('Body by Ana');
    expect(fieldsMap(doc).get('status')).toBe('review');
    expect(historyArray(doc).toArray()).toContainEqual({
      field: 'status',
      value: 'review',
      at: 3,
      by: ana.personId
    });
  });
});

describe('room names', () => {
  it('12. refuses names outside the scheme at the upgrade with 404, even for an editor', async () => {
    for (const room of [WS, `${WS}.x.y.z`, `${WS}.doc`]) {
      const refused = await upgradeStatus(relay, room, ana.credential);
      expect(refused.status, room).toBe(404);
      expect(JSON.parse(refused.body).reason, room).toBe('room');
    }
    expect((await upgradeStatus(relay, docRoom(WS, 'named-ok'), ana.credential)).status).toBe(101);
  });
});

describe('updates that build on content the relay lacks', () => {
  it('13. are not applied until the client sends everything missing; the confirm waits for that', async () => {
    const room = commentsRoom(WS, 'two-tabs');
    const setup = await connect(room, ben);
    const observer = await connect(room, dee);
    const witness = await connect(room, ana);
    startThread(setup, 't', 'Opening');
    await hasComment(observer, 't', 0);

    // Two tabs of Ben: A replies and shares it with B only (BroadcastChannel,
    // say); B replies on top of it and sends only its own change.
    const tabA = resources.add(new Y.Doc(), (d) => d.destroy());
    const tabB = resources.add(new Y.Doc(), (d) => d.destroy());
    Y.applyUpdate(tabA, Y.encodeStateAsUpdate(setup.doc));
    Y.applyUpdate(tabB, Y.encodeStateAsUpdate(setup.doc));
    const beforeA = Y.encodeStateVector(tabA);
    addReply(tabA, 't', { commentId: 'a1', author: ben.personId, text: 'from tab A', now: 1 });
    Y.applyUpdate(tabB, Y.encodeStateAsUpdate(tabA, beforeA));
    const beforeB = Y.encodeStateVector(tabB);
    addReply(tabB, 't', { commentId: 'b1', author: ben.personId, text: 'from tab B', now: 2 });
    const onlyB = Y.encodeStateAsUpdate(tabB, beforeB);
    // B types on before it reads the relay's request: set aside as well (it
    // is in B's answer), not dropped.
    const beforeB2 = Y.encodeStateVector(tabB);
    addReply(tabB, 't', { commentId: 'b2', author: ben.personId, text: 'more from B', now: 3 });
    const onlyB2 = Y.encodeStateAsUpdate(tabB, beforeB2);

    const raw = await rawClient(room, ben);
    const mark = raw.received.length;
    const since = () => raw.received.slice(mark);
    raw.send(updateMessage(onlyB));
    raw.send(updateMessage(onlyB2));
    raw.send(confirmMessage(1));

    const request = await waitFor(
      () =>
        since().find(
          (m) => messageType(m) === MESSAGE.sync && syncType(m) === syncProtocol.messageYjsSyncStep1
        ),
      { message: 'the relay to ask for what is missing (sync step 1)' }
    );
    // A write stored after the confirm was sent: had the confirm not waited,
    // it would have been answered before this reached the raw client.
    await barrier(witness, observer);
    await waitFor(
      () =>
        since().some(
          (m) => messageType(m) === MESSAGE.sync && syncType(m) === syncProtocol.messageYjsUpdate
        ),
      { message: 'the witness’s write forwarded to the raw client' }
    );
    expect(since().some((m) => confirmSeq(m) !== null)).toBe(false);
    expect(authors(await stored(room), 't')).toEqual([['t.0', ben.personId]]);
    expect(authors(observer.doc, 't')).toEqual([['t.0', ben.personId]]);

    // The answer a y-websocket client gives: everything the relay lacks, as sync step 2.
    const decoder = decoding.createDecoder(request);
    decoding.readVarUint(decoder);
    decoding.readVarUint(decoder);
    const relayState = decoding.readVarUint8Array(decoder);
    raw.send(
      encodeMessage((e) => {
        encoding.writeVarUint(e, MESSAGE.sync);
        syncProtocol.writeSyncStep2(e, tabB, relayState);
      })
    );
    const expected = [
      ['t.0', ben.personId],
      ['a1', ben.personId],
      ['b1', ben.personId],
      ['b2', ben.personId]
    ];
    await waitFor(async () => authors(await stored(room), 't').length === 4, {
      message: 'the answer (sync step 2, sent after the confirm) to be stored'
    });
    expect(authors(await stored(room), 't')).toEqual(expected);
    await raw.waitForMessage((m) => confirmSeq(m) === 1, 'the confirm after the answer');
    await waitFor(() => authors(observer.doc, 't').length === 4, {
      message: 'every reply forwarded'
    });
    expect(authors(observer.doc, 't')).toEqual(expected);
    expect(raw.closeInfo).toBeNull();
  });
});

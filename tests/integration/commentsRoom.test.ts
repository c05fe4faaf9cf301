/**
 * The comments room through a real relay: what the app's model writes, a
 * plain y-websocket client reads by following docs/schema.md alone (raw
 * Y.Map/Y.Array access by key name, nothing imported from src/ on that side).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { getSchema } from '@tiptap/core';
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap';
import {
  Resources,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { schemaExtensions } from '../../src/lib/editor/schemaExtensions.js';
import { anchorFromRange } from '../../src/lib/editor/commentAnchors.js';
import { createThread } from '../../src/lib/model/comments.js';
import { upsertPerson } from '../../src/lib/model/people.js';
import { DOC_ROOTS } from '../../src/lib/model/schema.js';
import { commentsRoom, docRoom, indexRoom } from '../../src/lib/model/rooms.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const WS = 'main';
const DOC_ID = 'review-doc';
const DOC_ROOM = docRoom(WS, DOC_ID);
const COMMENTS_ROOM = commentsRoom(WS, DOC_ID);
const INDEX_ROOM = indexRoom(WS);

const ASKER = 'person-alex';
const ASKED = 'person-priya';
const THREAD_ID = 'thread-1';
const NOW = Date.now();
const REPLY_BY = NOW + 24 * 3_600_000;
const PASSAGE = 'Thursday after review';

const schema = getSchema(schemaExtensions());

/** The body: a heading, then a paragraph whose middle is partly bold. */
function writeBody(doc: Y.Doc): Y.XmlFragment {
  const body = doc.getXmlFragment(DOC_ROOTS.body);
  prosemirrorJSONToYXmlFragment(
    schema,
    {
      type: 'doc',
      content: [
        { type: 'heading', attrs: { level: 1 }, content: [{ type: 'text', text: 'Launch plan' }] },
        {
          type: 'paragraph',
          content: [
            { type: 'text', text: 'We ship on ' },
            { type: 'text', marks: [{ type: 'bold' }], text: 'Thursday' },
            { type: 'text', text: ' after review, unless QA objects.' }
          ]
        }
      ]
    },
    body
  );
  return body;
}

/** ProseMirror positions of PASSAGE: the heading spans 0..13, the paragraph opens at 13. */
function passageRange(): { from: number; to: number } {
  const headingSize = 'Launch plan'.length + 2;
  const from = headingSize + 1 + 'We ship on '.length;
  return { from, to: from + PASSAGE.length };
}

function person(id: string, name: string) {
  return {
    id,
    name,
    color: '#1f6feb',
    timeZone: 'Asia/Kolkata',
    workStart: '09:00',
    workEnd: '17:00',
    workDays: [1, 2, 3, 4, 5],
    updatedAt: NOW
  };
}

/** The app's side: body, members and a thread with an ask, through the model. */
async function writeWithModel(wsUrl: string) {
  const body = resources.provider(connectProvider(wsUrl, DOC_ROOM));
  const index = resources.provider(connectProvider(wsUrl, INDEX_ROOM));
  const comments = resources.provider(connectProvider(wsUrl, COMMENTS_ROOM));
  await Promise.all([whenSynced(body), whenSynced(index), whenSynced(comments)]);

  const fragment = writeBody(body.doc);
  upsertPerson(index.doc, person(ASKER, 'Alex Moreau'));
  upsertPerson(index.doc, person(ASKED, 'Priya Raman'));
  const { from, to } = passageRange();
  const anchor = anchorFromRange(fragment, schema, from, to);
  expect(anchor.quote).toBe(PASSAGE);
  createThread(comments.doc, {
    threadId: THREAD_ID,
    commentId: 'comment-1',
    ...anchor,
    author: ASKER,
    text: 'Is QA booked for Wednesday?',
    ask: { assignees: [ASKED], replyBy: REPLY_BY, preset: '24h', askerZone: 'Europe/Paris' },
    now: NOW
  });
  return { body, index, comments, anchor };
}

/** A third party's client: the published y-websocket provider and ws, nothing else. */
function plainClient(wsUrl: string, room: string): WebsocketProvider {
  return resources.provider(
    new WebsocketProvider(wsUrl, room, new Y.Doc(), {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      disableBc: true
    })
  );
}

/** docs/schema.md, "Resolving an anchor". */
function resolveEnd(bytes: unknown, bodyDoc: Y.Doc) {
  expect(bytes).toBeInstanceOf(Uint8Array);
  return Y.createAbsolutePositionFromRelativePosition(
    Y.decodeRelativePosition(bytes as Uint8Array),
    bodyDoc
  );
}

/** docs/schema.md: the plain text of a Y.XmlText is its delta's string inserts. */
function plainText(type: Y.AbstractType<unknown>): string {
  expect(type).toBeInstanceOf(Y.XmlText);
  return (type as Y.XmlText)
    .toDelta()
    .map((op: { insert?: unknown }) => (typeof op.insert === 'string' ? op.insert : ''))
    .join('');
}

function threadOf(provider: WebsocketProvider): Y.Map<unknown> | undefined {
  const thread = provider.doc.getMap('threads').get(THREAD_ID);
  return thread instanceof Y.Map ? thread : undefined;
}

describe('comments room', () => {
  it('is readable by a plain y-websocket client that follows docs/schema.md', async () => {
    const relay = resources.relay(await startTestRelay());
    await writeWithModel(relay.wsUrl);

    const comments = plainClient(relay.wsUrl, `main.comments.${DOC_ID}`);
    const index = plainClient(relay.wsUrl, 'main.index');
    const bodyRoom = plainClient(relay.wsUrl, `main.doc.${DOC_ID}`);

    const thread = await waitFor(() => threadOf(comments), { message: 'the thread to arrive' });
    expect(thread.get('quote')).toBe(PASSAGE);
    expect(thread.get('createdBy')).toBe(ASKER);
    expect(thread.get('createdAt')).toBe(NOW);
    expect(thread.get('resolution')).toBeUndefined();

    const list = thread.get('comments');
    expect(list).toBeInstanceOf(Y.Array);
    const first = (list as Y.Array<unknown>).get(0);
    expect(first).toBeInstanceOf(Y.Map);
    const comment = first as Y.Map<unknown>;
    expect(comment.get('id')).toBe('comment-1');
    expect(comment.get('author')).toBe(ASKER);
    expect(comment.get('text')).toBe('Is QA booked for Wednesday?');
    expect(comment.get('deletedAt')).toBeUndefined();
    expect(comment.get('reactions')).toBeInstanceOf(Y.Map);
    const ask = comment.get('ask') as { assignees: unknown; replyBy: unknown; preset: unknown };
    expect(ask.assignees).toEqual([ASKED]);
    expect(ask.replyBy).toBe(REPLY_BY);
    expect(ask.preset).toBe('24h');

    // Names come from the index's members, keyed by the person id.
    const members = index.doc.getMap('members');
    const asked = await waitFor(
      () => members.get(ASKED) as { name: string; timeZone: string } | undefined,
      { message: 'the asked person in the member list' }
    );
    expect(asked.name).toBe('Priya Raman');
    expect(asked.timeZone).toBe('Asia/Kolkata');

    // The anchor resolves against the document room's body.
    const start = await waitFor(() => resolveEnd(thread.get('anchorStart'), bodyRoom.doc), {
      message: 'the anchor start to resolve in the synced body'
    });
    const end = resolveEnd(thread.get('anchorEnd'), bodyRoom.doc);
    expect(end).not.toBeNull();
    const text = plainText(start.type);
    expect(text).toBe('We ship on Thursday after review, unless QA objects.');
    expect(text.slice(start.index).startsWith(thread.get('quote') as string)).toBe(true);
    expect(end!.type).toBe(start.type);
    expect(text.slice(start.index, end!.index)).toBe(PASSAGE);
  });

  it('shows a thread as detached once its passage is deleted, as docs/schema.md says', async () => {
    const relay = resources.relay(await startTestRelay());
    const { body } = await writeWithModel(relay.wsUrl);
    const comments = plainClient(relay.wsUrl, COMMENTS_ROOM);
    const bodyRoom = plainClient(relay.wsUrl, DOC_ROOM);
    const thread = await waitFor(() => threadOf(comments), { message: 'the thread to arrive' });
    await waitFor(() => resolveEnd(thread.get('anchorStart'), bodyRoom.doc), {
      message: 'the anchor to resolve'
    });

    // The app deletes "Thursday after review" (and the space before it).
    const paragraph = body.doc.getXmlFragment(DOC_ROOTS.body).get(1) as Y.XmlElement;
    const text = paragraph.get(0) as Y.XmlText;
    text.delete('We ship on'.length, 1 + PASSAGE.length);

    const detached = await waitFor(
      () => {
        const start = resolveEnd(thread.get('anchorStart'), bodyRoom.doc);
        const end = resolveEnd(thread.get('anchorEnd'), bodyRoom.doc);
        return start && end && start.type === end.type && start.index === end.index ? start : null;
      },
      { message: 'both ends to resolve to the same place' }
    );
    expect(plainText(detached.type)).toBe('We ship on, unless QA objects.');
    expect(detached.index).toBe('We ship on'.length);
  });

  it('keeps the comments room across a relay restart', async () => {
    const dataDir = tempDataDir();
    const first = resources.relay(await startTestRelay({ dataDir }));
    const { anchor, body, index, comments } = await writeWithModel(first.wsUrl);
    const witness = plainClient(first.wsUrl, COMMENTS_ROOM);
    // Once another client has the thread, the relay has handled (and stored) it.
    await waitFor(() => threadOf(witness), { message: 'the thread to reach the relay' });
    for (const provider of [witness, comments, index, body]) provider.destroy();
    await first.stop();

    const second = resources.relay(await startTestRelay({ dataDir }));
    const reader = plainClient(second.wsUrl, COMMENTS_ROOM);
    await whenSynced(reader);
    const thread = threadOf(reader);
    expect(thread).toBeDefined();
    expect(thread!.get('quote')).toBe(PASSAGE);
    expect(thread!.get('anchorStart')).toEqual(anchor.anchorStart);
    expect(thread!.get('anchorEnd')).toEqual(anchor.anchorEnd);
    const comment = (thread!.get('comments') as Y.Array<Y.Map<unknown>>).get(0);
    expect(comment.get('text')).toBe('Is QA booked for Wednesday?');
    expect((comment.get('ask') as { assignees: string[] }).assignees).toEqual([ASKED]);
  });

  it('is independent of the document room of the same document', async () => {
    const relay = resources.relay(await startTestRelay());
    const { body, comments } = await writeWithModel(relay.wsUrl);
    const bodyWitness = plainClient(relay.wsUrl, DOC_ROOM);
    const commentsWitness = plainClient(relay.wsUrl, COMMENTS_ROOM);
    await waitFor(() => bodyWitness.doc.getXmlFragment('body').length === 2, {
      message: 'the body to reach the relay'
    });
    await waitFor(() => threadOf(commentsWitness), { message: 'the first thread' });

    const storedBefore = await docFromStore(relay.store, DOC_ROOM);
    const vectorBefore = Y.encodeStateVector(storedBefore);
    const logBefore = (await relay.store.load(DOC_ROOM)).updates.length;
    const liveBefore = Y.encodeStateVector(bodyWitness.doc);

    const anchor = anchorFromRange(body.doc.getXmlFragment(DOC_ROOTS.body), schema, 1, 7);
    createThread(comments.doc, {
      threadId: 'thread-2',
      commentId: 'comment-2',
      ...anchor,
      author: ASKED,
      text: 'Launch of what?',
      now: NOW + 1
    });
    await waitFor(() => commentsWitness.doc.getMap('threads').has('thread-2'), {
      message: 'the second thread to reach the relay'
    });

    const storedAfter = await docFromStore(relay.store, DOC_ROOM);
    expect(Y.encodeStateVector(storedAfter)).toEqual(vectorBefore);
    expect((await relay.store.load(DOC_ROOM)).updates).toHaveLength(logBefore);
    expect(Y.encodeStateVector(bodyWitness.doc)).toEqual(liveBefore);
    expect(storedAfter.share.has('threads')).toBe(false);
    expect(Y.encodeStateVector(body.doc)).toEqual(liveBefore);

    const storedComments = await docFromStore(relay.store, COMMENTS_ROOM);
    expect([...storedComments.getMap('threads').keys()].sort()).toEqual([THREAD_ID, 'thread-2']);
    expect(storedComments.share.has('body')).toBe(false);
  });
});

/**
 * Comment anchors follow their passage through edits in the body Y.XmlFragment.
 * Edits are made on the Yjs types directly, as a remote peer's edits arrive;
 * positions are ProseMirror positions of the body as y-tiptap builds it.
 */
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { getSchema } from '@tiptap/core';
import {
  initProseMirrorDoc,
  prosemirrorJSONToYXmlFragment,
  ySyncPluginKey
} from '@tiptap/y-tiptap';
import { schemaExtensions } from '../../src/lib/editor/schemaExtensions.js';
import {
  anchorFromRange,
  MAX_QUOTE_LENGTH,
  resolveAnchorsHeadless,
  type EncodedAnchor
} from '../../src/lib/editor/commentAnchors.js';
import { getBody } from '../../src/lib/model/schema.js';

const schema = getSchema(schemaExtensions());

function bodyDoc(paragraphs: string[], clientID = 1): { ydoc: Y.Doc; body: Y.XmlFragment } {
  const ydoc = new Y.Doc();
  ydoc.clientID = clientID;
  const body = getBody(ydoc);
  prosemirrorJSONToYXmlFragment(
    schema,
    {
      type: 'doc',
      content: paragraphs.map((text) => ({
        type: 'paragraph',
        content: text ? [{ type: 'text', text }] : []
      }))
    },
    body
  );
  return { ydoc, body };
}

function textRun(body: Y.XmlFragment, block = 0): Y.XmlText {
  const element = body.get(block) as Y.XmlElement;
  return element.get(0) as Y.XmlText;
}

function resolve(body: Y.XmlFragment, anchor: EncodedAnchor) {
  const result = resolveAnchorsHeadless(body, schema, [{ threadId: 't', ...anchor }]).get('t');
  if (!result) throw new Error('no result');
  return result;
}

/** PM position of a character offset in the first paragraph: 1 for the paragraph's opening. */
const P = (offset: number) => 1 + offset;

describe('an anchor follows its passage', () => {
  const TEXT = 'Hello brave new world';
  // "brave new": offsets 6..15.
  function setup() {
    const { ydoc, body } = bodyDoc([TEXT]);
    const anchor = anchorFromRange(body, schema, P(6), P(15));
    expect(anchor.quote).toBe('brave new');
    expect(resolve(body, anchor)).toEqual({ range: { from: P(6), to: P(15) }, text: 'brave new' });
    return { ydoc, body, anchor };
  }

  it('through an insert earlier in the paragraph', () => {
    const { body, anchor } = setup();
    textRun(body).insert(0, 'Oh, ');
    expect(resolve(body, anchor)).toEqual({ range: { from: P(10), to: P(19) }, text: 'brave new' });
  });

  it('through a new paragraph before it', () => {
    const { body, anchor } = setup();
    const block = new Y.XmlElement('paragraph');
    block.insert(0, [new Y.XmlText('Intro')]);
    body.insert(0, [block]);
    // "Intro" takes 7 positions: its paragraph's open and close plus five characters.
    expect(resolve(body, anchor)).toEqual({
      range: { from: P(6) + 7, to: P(15) + 7 },
      text: 'brave new'
    });
  });

  it('text typed right before the start stays outside', () => {
    const { body, anchor } = setup();
    textRun(body).insert(6, 'very ');
    expect(textRun(body).toString()).toBe('Hello very brave new world');
    expect(resolve(body, anchor).text).toBe('brave new');
  });

  it('text typed right after the end stays outside', () => {
    const { body, anchor } = setup();
    textRun(body).insert(15, ' and old');
    expect(resolve(body, anchor)).toEqual({ range: { from: P(6), to: P(15) }, text: 'brave new' });
  });

  it('text typed inside joins it', () => {
    const { body, anchor } = setup();
    textRun(body).insert(11, ' and');
    expect(resolve(body, anchor).text).toBe('brave and new');
  });

  it('text typed after it leaves it where it is', () => {
    const { body, anchor } = setup();
    textRun(body).insert(TEXT.length, '!');
    expect(resolve(body, anchor)).toEqual({ range: { from: P(6), to: P(15) }, text: 'brave new' });
  });

  it('deleting part of it shrinks it', () => {
    const { body, anchor } = setup();
    textRun(body).delete(4, 4); // "o br"
    expect(resolve(body, anchor).text).toBe('ave new');
  });

  it('deleting the whole passage detaches it', () => {
    const { body, anchor } = setup();
    textRun(body).delete(6, 9);
    expect(resolve(body, anchor)).toEqual({ range: null, text: '' });
  });

  it('deleting the passage with text around it detaches it too', () => {
    const { body, anchor } = setup();
    textRun(body).delete(2, 16);
    expect(resolve(body, anchor)).toEqual({ range: null, text: '' });
  });

  it('deleting its paragraph detaches it', () => {
    const { body, anchor } = setup();
    body.delete(0, 1);
    expect(resolve(body, anchor).range).toBeNull();
  });
});

describe('passages at the edges of a paragraph', () => {
  it('a passage at the start: typing before it stays outside', () => {
    const { body } = bodyDoc(['Hello world']);
    const anchor = anchorFromRange(body, schema, P(0), P(5));
    textRun(body).insert(0, 'Oh ');
    expect(resolve(body, anchor).text).toBe('Hello');
  });

  it('a passage at the end: typing after it stays outside', () => {
    const { body } = bodyDoc(['Hello world']);
    const anchor = anchorFromRange(body, schema, P(6), P(11));
    textRun(body).insert(11, ' again');
    expect(textRun(body).toString()).toBe('Hello world again');
    expect(resolve(body, anchor).text).toBe('world');
  });

  it('a passage across two paragraphs quotes both', () => {
    const { body } = bodyDoc(['First line', 'Second line']);
    // "line" of the first (offsets 6..10) to "Second" (second paragraph starts at 13).
    const anchor = anchorFromRange(body, schema, P(6), 13 + 6);
    expect(anchor.quote).toBe('line Second');
    textRun(body, 1).insert(0, '>> ');
    expect(resolve(body, anchor).text).toBe('line >> Second');
  });

  it('a long quote is cut to MAX_QUOTE_LENGTH with an ellipsis', () => {
    const long = 'word '.repeat(100).trim();
    const { body } = bodyDoc([long]);
    const anchor = anchorFromRange(body, schema, P(0), P(long.length));
    expect(Array.from(anchor.quote)).toHaveLength(MAX_QUOTE_LENGTH);
    expect(anchor.quote.endsWith('…')).toBe(true);
  });
});

describe('anchors between devices', () => {
  it('an anchor made on one device resolves the same on another after both edited offline', () => {
    const a = bodyDoc(['Hello brave new world'], 1);
    const b = { ydoc: new Y.Doc() };
    b.ydoc.clientID = 2;
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc));
    const bBody = getBody(b.ydoc);
    const anchor = anchorFromRange(a.body, schema, P(6), P(15));

    textRun(a.body).insert(0, 'A: ');
    textRun(bBody).insert(6, 'very ');
    textRun(bBody).insert(16, ' and');
    Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc, Y.encodeStateVector(b.ydoc)));
    Y.applyUpdate(a.ydoc, Y.encodeStateAsUpdate(b.ydoc, Y.encodeStateVector(a.ydoc)));

    expect(textRun(a.body).toString()).toBe('A: Hello very brave and new world');
    const onA = resolve(a.body, anchor);
    expect(onA.text).toBe('brave and new');
    expect(resolve(bBody, anchor)).toEqual(onA);
  });

  it('anchors that do not decode, or are missing, are detached', () => {
    const { body } = bodyDoc(['Hello']);
    const result = resolveAnchorsHeadless(body, schema, [
      { threadId: 'junk', anchorStart: new Uint8Array([255, 1]), anchorEnd: new Uint8Array([9]) },
      { threadId: 'none', anchorStart: null, anchorEnd: null }
    ]);
    expect(result.get('junk')).toEqual({ range: null, text: '' });
    expect(result.get('none')).toEqual({ range: null, text: '' });
  });
});

describe('what the editor plugin relies on in y-tiptap', () => {
  it('ySyncPluginKey is exported and reads plugin state', () => {
    expect(ySyncPluginKey).toBeDefined();
    expect(typeof ySyncPluginKey.getState).toBe('function');
    expect((ySyncPluginKey as unknown as { key: string }).key).toMatch(/^y-sync\$/);
  });

  it('initProseMirrorDoc returns a mapping Map from Yjs types to nodes', () => {
    const { body } = bodyDoc(['One', 'Two']);
    const result = initProseMirrorDoc(body, schema);
    expect(result.mapping).toBeInstanceOf(Map);
    const first = body.get(0);
    expect(result.mapping.has(first)).toBe(true);
    expect(result.doc.childCount).toBe(2);
    expect(result.doc.textContent).toBe('OneTwo');
  });
});

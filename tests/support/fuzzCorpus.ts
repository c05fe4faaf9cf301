/**
 * The fuzz tests' seed corpus: a document with every kind of content (text
 * with formatting and unicode, maps, nested maps, arrays, XML), built in
 * steps by two clients; each step's update, in order.
 */
import * as Y from 'yjs';

export function seedCorpus(): { updates: Uint8Array[]; doc: Y.Doc } {
  const doc = new Y.Doc();
  doc.clientID = 1001;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const body = doc.getText('body');
  body.insert(0, 'Driftwrite fuzz seed. ');
  body.insert(body.length, 'bold part', { bold: true });
  body.insert(5, 'é✓ unicode ');
  body.delete(2, 3);
  const meta = doc.getMap('meta');
  meta.set('title', 'Fuzz');
  meta.set('count', 42);
  meta.set('tags', ['a', 'b']);
  const nested = new Y.Map<unknown>();
  meta.set('nested', nested);
  nested.set('deep', { x: 1 });
  const list = doc.getArray<unknown>('list');
  list.insert(0, [1, 'two', { three: 3 }, null, true]);
  list.delete(1, 1);
  const xml = doc.getXmlFragment('prosemirror');
  const paragraph = new Y.XmlElement('paragraph');
  paragraph.setAttribute('align', 'left');
  xml.insert(0, [paragraph]);
  paragraph.insert(0, [new Y.XmlText('hello xml')]);

  const other = new Y.Doc();
  other.clientID = 2002;
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  other.on('update', (update: Uint8Array) => updates.push(update));
  other.getText('body').insert(0, 'Other client. ');
  other.getText('body').delete(10, 4);
  other.getMap('meta').delete('count');
  other.getArray('list').push(['pushed']);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
  other.destroy();
  return { updates, doc };
}

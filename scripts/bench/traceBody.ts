/**
 * A plain-text editing trace typed into a document body the way the editor
 * stores it: the `body` Y.XmlFragment holds one `paragraph` Y.XmlElement per
 * line, each with one Y.XmlText (src/lib/model/schema.ts, the shape tiptap's
 * y-prosemirror binding writes). A newline typed in a line splits its
 * paragraph and a newline deleted joins two, as pressing Enter and Backspace
 * in the editor do: the text after the split point moves into a new
 * paragraph (deleted from the first, inserted anew into the second), so the
 * document carries the trace's whole history, tombstones included, in the
 * app's schema.
 */
import * as Y from 'yjs';
import { getBody } from '../../src/lib/model/schema.js';
import type { Patch } from './traces.js';

interface Line {
  element: Y.XmlElement;
  text: Y.XmlText;
  /** Characters in the line. */
  length: number;
}

/**
 * Applies patches ([position, deleted, inserted] over the text with lines
 * joined by "\n") to a document body, one transaction per patch, like one
 * keystroke each. Positions past the end are an error: the trace is applied
 * in order, alone.
 */
export class TraceBody {
  private readonly body: Y.XmlFragment;
  private readonly lines: Line[] = [];
  /** A cursor (line index and the position its line starts at): trace edits are local. */
  private cursorLine = 0;
  private cursorStart = 0;
  private total = 0;

  constructor(private readonly doc: Y.Doc) {
    this.body = getBody(doc);
    if (this.body.length > 0) throw new Error('TraceBody starts from an empty body');
    doc.transact(() => {
      this.newLine(0, '');
    });
  }

  /** Characters in the body, newlines between lines included. */
  get length(): number {
    return this.total;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  apply([pos, del, ins]: Patch): void {
    if (pos < 0 || pos + del > this.total) {
      throw new Error(`patch [${pos}, ${del}] outside a text of ${this.total} characters`);
    }
    this.doc.transact(() => {
      if (del > 0) this.delete(pos, del);
      if (ins) this.insert(pos, ins);
    });
  }

  /** The body as text, lines joined by "\n" (what the trace's endContent should equal). */
  toString(): string {
    return this.lines.map((line) => line.text.toString()).join('\n');
  }

  private newLine(index: number, content: string): Line {
    const element = new Y.XmlElement('paragraph');
    const text = new Y.XmlText();
    element.insert(0, [text]);
    this.body.insert(index, [element]);
    if (content) text.insert(0, content);
    const line = { element, text, length: content.length };
    this.lines.splice(index, 0, line);
    return line;
  }

  /** The line holding text position `pos` (at its end counts) and the offset in it. */
  private locate(pos: number): { index: number; offset: number } {
    // Edits change only the cursor's line and those after it, so it stays valid.
    let index = this.cursorLine;
    let start = this.cursorStart;
    while (pos < start) {
      index--;
      start -= this.lines[index].length + 1;
    }
    while (pos > start + this.lines[index].length) {
      start += this.lines[index].length + 1;
      index++;
    }
    this.cursorLine = index;
    this.cursorStart = start;
    return { index, offset: pos - start };
  }

  private delete(pos: number, count: number): void {
    const { index, offset } = this.locate(pos);
    const line = this.lines[index];
    if (offset + count <= line.length) {
      line.text.delete(offset, count);
      line.length -= count;
      this.total -= count;
      return;
    }
    // The deletion runs past this line's end: the lines it reaches into are
    // joined to this one (Backspace over a line break), the rest of the last
    // one moving up.
    let remaining = count - (line.length - offset);
    let last = index;
    let lastOffset = 0;
    while (remaining > 0) {
      remaining--; // the newline
      last++;
      const take = Math.min(remaining, this.lines[last].length);
      remaining -= take;
      lastOffset = take;
    }
    const tail = this.lines[last].text.toString().slice(lastOffset);
    if (line.length > offset) line.text.delete(offset, line.length - offset);
    if (tail) line.text.insert(offset, tail);
    this.body.delete(index + 1, last - index);
    this.lines.splice(index + 1, last - index);
    line.length = offset + tail.length;
    this.total -= count;
  }

  private insert(pos: number, ins: string): void {
    const { index, offset } = this.locate(pos);
    const line = this.lines[index];
    const parts = ins.split('\n');
    if (parts.length === 1) {
      line.text.insert(offset, ins);
      line.length += ins.length;
      this.total += ins.length;
      return;
    }
    // A line break: the rest of the line moves into a new paragraph (Enter).
    const tail = line.text.toString().slice(offset);
    if (tail) line.text.delete(offset, tail.length);
    if (parts[0]) line.text.insert(offset, parts[0]);
    line.length = offset + parts[0].length;
    for (let i = 1; i < parts.length; i++) {
      const content = i === parts.length - 1 ? parts[i] + tail : parts[i];
      this.newLine(index + i, content);
    }
    this.total += ins.length;
  }
}

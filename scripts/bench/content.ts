/**
 * Realistic document content: prose taken from the automerge-paper trace's
 * final text, cut into paragraphs and written in the shape the tiptap editor
 * produces (root `body` XmlFragment > `paragraph` XmlElement > XmlText), with
 * the `meta` map the app writes.
 */
import * as Y from 'yjs';
import { getBody, initMeta } from '../../src/lib/model/schema.js';
import { paperTrace } from './traces.js';

/** Paragraphs longer than this are split: editors' paragraphs rarely exceed it. */
const MAX_PARAGRAPH_WORDS = 150;

export interface Corpus {
  /** Paragraphs as word lists. */
  paragraphs: string[][];
  totalWords: number;
  source: string;
}

let corpus: Corpus | null = null;

/** The paper's final text as paragraphs; generated words when the trace is absent. */
export function getCorpus(): Corpus {
  if (corpus) return corpus;
  const trace = paperTrace();
  let paragraphs: string[][];
  let source: string;
  if ('data' in trace) {
    paragraphs = [];
    for (const block of trace.data.endContent.split(/\n\s*\n/)) {
      const words = block.split(/\s+/).filter(Boolean);
      for (let i = 0; i < words.length; i += MAX_PARAGRAPH_WORDS) {
        paragraphs.push(words.slice(i, i + MAX_PARAGRAPH_WORDS));
      }
    }
    source = 'automerge-paper final text';
  } else {
    paragraphs = generatedParagraphs(400);
    source = `generated words (${trace.missing})`;
  }
  const totalWords = paragraphs.reduce((sum, p) => sum + p.length, 0);
  corpus = { paragraphs, totalWords, source };
  return corpus;
}

/**
 * `words` words of consecutive paragraphs starting at paragraph `start`,
 * wrapping around the corpus; the last paragraph is cut to hit the count.
 */
export function takeParagraphs(start: number, words: number): string[] {
  const { paragraphs } = getCorpus();
  const out: string[] = [];
  let remaining = words;
  for (let i = start; remaining > 0; i++) {
    const paragraph = paragraphs[i % paragraphs.length].slice(0, remaining);
    out.push(paragraph.join(' '));
    remaining -= paragraph.length;
  }
  return out;
}

export function countWords(paragraphs: string[]): number {
  return paragraphs.reduce((sum, p) => sum + p.split(/\s+/).filter(Boolean).length, 0);
}

/** Writes a new document in one transaction, as a paste or an import would. */
export function writeDocument(
  doc: Y.Doc,
  title: string,
  paragraphs: string[],
  /** The writer's person id: the relay refuses a document created in someone else's name. */
  createdBy = 'bench'
): void {
  doc.transact(() => {
    initMeta(doc, {
      title,
      kind: 'note',
      createdAt: Date.now(),
      createdBy
    });
    const body = getBody(doc);
    body.insert(
      body.length,
      paragraphs.map((text) => {
        const element = new Y.XmlElement('paragraph');
        element.insert(0, [new Y.XmlText(text)]);
        return element;
      })
    );
  });
}

/** The body's text, one line per paragraph, for comparing replicas. */
export function bodyText(doc: Y.Doc): string {
  return getBody(doc)
    .toArray()
    .map((node) => (node instanceof Y.XmlElement ? node.toArray().map(textOf).join('') : ''))
    .join('\n');
}

function textOf(node: unknown): string {
  return node instanceof Y.XmlText ? node.toString() : '';
}

/** Deterministic filler so parts A and C still run without the traces. */
function generatedParagraphs(count: number): string[][] {
  const vocabulary = (
    'the a document relay offline edit merge replica state update vector sync ' +
    'paragraph writer change conflict local remote network store snapshot log ' +
    'client server room text structure insert delete order history version'
  ).split(' ');
  let seed = 42;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  return Array.from({ length: count }, () =>
    Array.from({ length: 40 + (next() % 80) }, () => vocabulary[next() % vocabulary.length])
  );
}

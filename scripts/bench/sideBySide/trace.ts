/**
 * The automerge-paper editing trace as a flat list of patches, or, when the
 * trace is not beside the repository, a deterministic synthetic trace of the
 * same shape (259,778 single-character edits: 182,315 inserts, 77,463
 * deletes, typed mostly at a moving cursor), said so wherever it is used.
 */
import * as Y from 'yjs';
import { getBody } from '../../../src/lib/model/schema.js';
import { flatPatches, paperTrace, type Patch } from '../traces.js';

export interface LoadedTrace {
  patches: Patch[];
  source: string;
}

let cached: LoadedTrace | null = null;

export function loadTrace(): LoadedTrace {
  if (cached) return cached;
  const paper = paperTrace();
  cached =
    'data' in paper
      ? { patches: flatPatches(paper.data.txns), source: 'automerge-paper trace' }
      : {
          patches: syntheticTrace(),
          source: `synthetic trace shaped like automerge-paper (${paper.missing})`
        };
  return cached;
}

function syntheticTrace(): Patch[] {
  const total = 259_778;
  const deleteShare = 77_463 / total;
  const letters = 'etaoinshrdlcumwfgypbvkjxqz     ..,\n';
  let seed = 1;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const patches: Patch[] = [];
  let length = 0;
  let cursor = 0;
  for (let i = 0; i < total; i++) {
    if (next() < 0.01) cursor = Math.floor(next() * (length + 1));
    if (cursor > 0 && next() < deleteShare) {
      patches.push([cursor - 1, 1, '']);
      cursor--;
      length--;
    } else {
      patches.push([cursor, 0, letters[Math.floor(next() * letters.length)]]);
      cursor++;
      length++;
    }
  }
  return patches;
}

/** The paragraph text the trace is typed into: body > paragraph > text, the app's shape. */
export function traceText(doc: Y.Doc): Y.XmlText {
  const body = getBody(doc);
  const first = body.get(0);
  if (first instanceof Y.XmlElement) {
    const text = first.get(0);
    if (text instanceof Y.XmlText) return text;
  }
  const paragraph = new Y.XmlElement('paragraph');
  const text = new Y.XmlText();
  paragraph.insert(0, [text]);
  body.insert(0, [paragraph]);
  return text;
}

/** A cheap fingerprint of a text (FNV-1a over its UTF-16 units), to compare replicas. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${text.length}:${(hash >>> 0).toString(16)}`;
}

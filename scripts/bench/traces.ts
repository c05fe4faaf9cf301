/**
 * The real editing traces (see ../shared/traces/README.md), loaded once and
 * shared by every part, and the one way patches are applied to a Y.Text.
 */
import * as Y from 'yjs';
import { readGzJson } from './util.js';

/** [position, number of characters deleted, text inserted]. */
export type Patch = [number, number, string];

export interface PaperTrace {
  startContent: string;
  endContent: string;
  txns: { time: string; patches: Patch[] }[];
}

export interface FriendsTrace {
  kind: string;
  endContent: string;
  numAgents: number;
  txns: {
    parents: number[];
    numChildren: number;
    agent: number;
    time: string;
    patches: Patch[];
  }[];
}

type Loaded<T> = { data: T } | { missing: string };
const cache = new Map<string, Loaded<unknown>>();

function load<T>(file: string): Loaded<T> {
  if (!cache.has(file)) cache.set(file, readGzJson<T>(file));
  return cache.get(file) as Loaded<T>;
}

export const paperTrace = (): Loaded<PaperTrace> => load<PaperTrace>('automerge-paper.json.gz');
export const friendsTrace = (): Loaded<FriendsTrace> =>
  load<FriendsTrace>('friendsforever.json.gz');

export function flatPatches(txns: { patches: Patch[] }[]): Patch[] {
  const out: Patch[] = [];
  for (const txn of txns) for (const patch of txn.patches) out.push(patch);
  return out;
}

/**
 * Applies one patch as one transaction, like one keystroke. With `clamp`, a
 * position past the end is moved to the end and a deletion is cut at the end:
 * two replicas editing offline diverge, so a trace's positions no longer fit.
 */
export function applyPatch(text: Y.Text, [pos, del, ins]: Patch, clamp: boolean): void {
  const doc = text.doc;
  if (!doc) throw new Error('text is not in a document');
  doc.transact(() => {
    let at = pos;
    let count = del;
    if (clamp) {
      const length = text.length;
      at = Math.min(at, length);
      count = Math.min(count, length - at);
    }
    if (count > 0) text.delete(at, count);
    if (ins) text.insert(at, ins);
  });
}

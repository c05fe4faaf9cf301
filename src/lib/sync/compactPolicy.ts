/**
 * When the device copy of a document is rewritten as one state on open.
 *
 * y-indexeddb keeps a log of updates: the state written at the last
 * compaction, then every change since. Rewriting costs a write of the whole
 * state, and the browser's store (LevelDB in Chromium) keeps each such write
 * in its own log until it compacts, so rewriting a large document on every
 * few opens made the origin's storage grow to several times the document.
 * The log is rewritten only once the changes since the last state outweigh
 * half of it (so the copy stays under about 1.5× the state), or once it holds
 * y-indexeddb's own trim size of entries (so opening never applies thousands).
 */
import { PREFERRED_TRIM_SIZE } from 'y-indexeddb';

/** Changes below this many bytes are never worth a rewrite on their own. */
export const COMPACT_MIN_CHANGE_BYTES = 4096;

/** Whether to rewrite a log whose entries have these sizes in bytes. */
export function shouldCompactOnOpen(sizes: readonly number[]): boolean {
  if (sizes.length <= 1) return false;
  if (sizes.length >= PREFERRED_TRIM_SIZE) return true;
  let total = 0;
  let largest = 0;
  for (const size of sizes) {
    total += size;
    if (size > largest) largest = size;
  }
  const changes = total - largest;
  return changes > Math.max(largest / 2, COMPACT_MIN_CHANGE_BYTES);
}

import { describe, expect, it } from 'vitest';
import { PREFERRED_TRIM_SIZE } from 'y-indexeddb';
import { COMPACT_MIN_CHANGE_BYTES, shouldCompactOnOpen } from '../../src/lib/sync/compactPolicy.js';

const KIB = 1024;

describe('rewriting the device copy on open', () => {
  it('leaves a large state with small edits since as it is', () => {
    // The automerge-paper document (285 KiB) after 100 reloads with an edit each.
    const sizes = [285 * KIB, ...Array.from({ length: 200 }, () => 40)];
    expect(shouldCompactOnOpen(sizes)).toBe(false);
  });

  it('rewrites once the changes outweigh half the state', () => {
    expect(shouldCompactOnOpen([100 * KIB, 30 * KIB, 20 * KIB])).toBe(false);
    expect(shouldCompactOnOpen([100 * KIB, 30 * KIB, 20 * KIB + 1])).toBe(true);
    // A second copy of the whole state (written again on open) is always rewritten.
    expect(shouldCompactOnOpen([100 * KIB, 100 * KIB])).toBe(true);
  });

  it('a log of changes alone (a document typed on this device) becomes one state', () => {
    expect(shouldCompactOnOpen(Array.from({ length: 300 }, () => 60))).toBe(true);
  });

  it('never rewrites a small document for a few bytes', () => {
    expect(shouldCompactOnOpen([300, 2000, 1500])).toBe(false);
    // Changes beside a 1 KiB state: rewritten only once past 4 KiB.
    const edits = Array.from({ length: COMPACT_MIN_CHANGE_BYTES / 512 }, () => 512);
    expect(shouldCompactOnOpen([1024, ...edits])).toBe(false);
    expect(shouldCompactOnOpen([1024, ...edits, 1])).toBe(true);
    expect(shouldCompactOnOpen([])).toBe(false);
    expect(shouldCompactOnOpen([50 * KIB])).toBe(false);
  });

  it('rewrites at y-indexeddb’s trim size whatever the bytes', () => {
    const sizes = [1024 * KIB, ...Array.from({ length: PREFERRED_TRIM_SIZE - 1 }, () => 2)];
    expect(shouldCompactOnOpen(sizes)).toBe(true);
    expect(shouldCompactOnOpen(sizes.slice(1))).toBe(false);
  });
});

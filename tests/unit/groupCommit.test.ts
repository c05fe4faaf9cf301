/**
 * Group commit: appends made in one turn share one store transaction, and
 * each caller learns exactly whether its own update is stored.
 */
import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../server/store/groupCommit.js';
import type { Store } from '../../server/store/Store.js';

function storeWith(overrides: Partial<Store>): Store {
  return {
    load: () => ({ snapshot: null, updates: [] }),
    append: () => {
      throw new Error('not expected');
    },
    compact: () => {},
    quarantine: () => {},
    rooms: () => [],
    close: () => {},
    ...overrides
  };
}

const bytes = (n: number) => new Uint8Array([n]);

describe('GroupCommit', () => {
  it('writes the appends of one turn in one transaction, ids in order', async () => {
    const calls: string[][] = [];
    let next = 1;
    const commit = new GroupCommit(
      storeWith({
        appendMany: (entries) => {
          calls.push(entries.map((e) => e.room));
          return entries.map(() => next++);
        }
      })
    );
    const ids = await Promise.all([
      commit.append('a', bytes(1)),
      commit.append('b', bytes(2)),
      commit.append('a', bytes(3))
    ]);
    expect(ids).toEqual([1, 2, 3]);
    expect(calls).toEqual([['a', 'b', 'a']]);
    expect(commit.stats).toEqual({ batches: 1, updates: 3, largest: 3 });
  });

  it('a failed transaction fails every append in it', async () => {
    const commit = new GroupCommit(
      storeWith({
        appendMany: () => {
          throw new Error('disk full');
        }
      })
    );
    const results = await Promise.allSettled([
      commit.append('a', bytes(1)),
      commit.append('b', bytes(2))
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });

  it('without appendMany, an append that fails fails alone: the others are stored and say so', async () => {
    const stored: number[] = [];
    const commit = new GroupCommit(
      storeWith({
        append: async (_room, data) => {
          if (data[0] === 2) throw new Error('this one failed');
          stored.push(data[0]);
          return stored.length;
        }
      })
    );
    const results = await Promise.allSettled([
      commit.append('a', bytes(1)),
      commit.append('a', bytes(2)),
      commit.append('b', bytes(3))
    ]);
    expect(stored).toEqual([1, 3]);
    expect(results).toEqual([
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: new Error('this one failed') },
      { status: 'fulfilled', value: 2 }
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { closesToday, matchesFilter, orderEntries, NO_FILTER } from '../../src/lib/model/listView';
import { makeAsk } from '../../src/lib/model/asks';
import {
  CommentError,
  createThread,
  readThreads,
  type QueueEntry
} from '../../src/lib/model/comments';
import { defaultWorkingTime } from '../../src/lib/model/people';
import type { IndexEntry } from '../../src/lib/model/workspaceIndex';
import { mergeCachedQueue, readQueueCache, writeQueueCache } from '../../src/lib/state/queueCache';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 10, 0); // Wednesday 10:00 UTC

function entry(id: string, patch: Partial<IndexEntry> = {}): IndexEntry {
  return {
    id,
    title: id,
    titleAt: 0,
    kind: 'note',
    createdAt: 0,
    createdBy: 'ana',
    updatedAt: 0,
    updatedBy: 'ana',
    deletedAt: null,
    deletedBy: null,
    status: 'draft',
    tldr: '',
    reviewClosesAt: null,
    adrNumber: null,
    people: [],
    links: {},
    ...patch
  };
}

describe('the document list', () => {
  const rfc = entry('rfc', {
    kind: 'rfc',
    status: 'review',
    reviewClosesAt: NOW + 5 * HOUR,
    people: ['ravi']
  });
  const adr = entry('adr', {
    kind: 'adr',
    status: 'review',
    reviewClosesAt: NOW + 2 * HOUR,
    updatedAt: 5
  });
  const note = entry('note', { updatedAt: 9, updatedBy: 'mia' });

  it('filters by kind, status and person (named in fields, or creator, or last editor)', () => {
    const all = [rfc, adr, note];
    expect(all.filter((e) => matchesFilter(e, NO_FILTER))).toHaveLength(3);
    expect(all.filter((e) => matchesFilter(e, { ...NO_FILTER, kind: 'rfc' }))).toEqual([rfc]);
    expect(all.filter((e) => matchesFilter(e, { ...NO_FILTER, status: 'review' }))).toEqual([
      rfc,
      adr
    ]);
    expect(all.filter((e) => matchesFilter(e, { ...NO_FILTER, person: 'ravi' }))).toEqual([rfc]);
    expect(all.filter((e) => matchesFilter(e, { ...NO_FILTER, person: 'mia' }))).toEqual([note]);
  });

  it('orders by review closing soonest, then the rest by last edit', () => {
    expect(orderEntries([note, rfc, adr], 'closing').map((e) => e.id)).toEqual([
      'adr',
      'rfc',
      'note'
    ]);
    expect(orderEntries([rfc, adr, note], 'edited').map((e) => e.id)).toEqual([
      'note',
      'adr',
      'rfc'
    ]);
  });

  it('knows which reviews close later today in the reader’s zone', () => {
    expect(closesToday(rfc, NOW, 'UTC')).toBe(true);
    // 15:00 UTC is already Thursday in Tokyo (00:00).
    expect(closesToday(rfc, NOW, 'Asia/Tokyo')).toBe(false);
    expect(closesToday({ ...rfc, status: 'decided' }, NOW, 'UTC')).toBe(false);
    expect(closesToday({ ...rfc, reviewClosesAt: NOW - HOUR }, NOW, 'UTC')).toBe(false);
  });
});

describe('makeAsk', () => {
  const people = new Map([['ravi', defaultWorkingTime('Asia/Kolkata')]]);
  const context = {
    now: NOW,
    askerZone: 'America/New_York',
    workingTimeOf: (id: string) => people.get(id) ?? null
  };

  it('computes a preset in the asked person’s working time', () => {
    const ask = makeAsk({ assignees: ['ravi', 'ravi'], preset: '24h' }, context);
    expect(ask.assignees).toEqual(['ravi']);
    // Thursday 10:00 UTC is 15:30 in Kolkata: inside 09:00–17:00, kept.
    expect(ask.replyBy).toBe(NOW + 24 * HOUR);
    expect(ask.askerZone).toBe('America/New_York');
  });

  it('reads a custom date in the asker’s zone and refuses a past or missing one', () => {
    const ask = makeAsk(
      { assignees: ['ravi'], preset: 'custom', custom: '2026-11-26T12:00' },
      context
    );
    expect(ask.replyBy).toBe(Date.UTC(2026, 10, 26, 17, 0));
    expect(() =>
      makeAsk({ assignees: ['ravi'], preset: 'custom', custom: '2026-11-24T12:00' }, context)
    ).toThrow(CommentError);
    expect(() => makeAsk({ assignees: ['ravi'], preset: 'custom', custom: '' }, context)).toThrow(
      /Pick/
    );
    expect(() => makeAsk({ assignees: [], preset: '4h' }, context)).toThrow(/at least one person/);
  });

  it('takes an instant the app worked out, and the ask’s kind', () => {
    const replyBy = NOW + 7 * 24 * HOUR;
    expect(
      makeAsk({ assignees: ['ravi', ''], kind: 'read', preset: 'custom', replyBy }, context)
    ).toEqual({
      assignees: ['ravi'],
      kind: 'read',
      replyBy,
      preset: 'custom',
      askerZone: 'America/New_York'
    });
    expect(() => makeAsk({ assignees: ['ravi'], preset: 'custom', replyBy: NOW }, context)).toThrow(
      /already passed/
    );
  });

  it('says what is missing in the words of validateAsk, which every written ask passes', () => {
    // Not computeReplyBy's own error for nobody to work out a time for.
    for (const preset of ['4h', 'custom'] as const) {
      expect(() => makeAsk({ assignees: [''], preset }, context)).toThrow(
        new CommentError('An ask needs at least one person who must answer.')
      );
    }
    expect(() => makeAsk({ assignees: ['ravi'], preset: 'custom', custom: '' }, context)).toThrow(
      'Pick a reply-by date and time for the ask.'
    );
  });
});

describe('the queue cache', () => {
  function storage(): Storage {
    const data = new Map<string, string>();
    return {
      get length() {
        return data.size;
      },
      clear: () => data.clear(),
      getItem: (k) => data.get(k) ?? null,
      key: (i) => [...data.keys()][i] ?? null,
      removeItem: (k) => void data.delete(k),
      setItem: (k, v) => void data.set(k, v)
    };
  }
  const cachedEntry = (documentId: string, replyBy: number): QueueEntry => ({
    documentId,
    threadId: 't-' + documentId,
    commentId: 'c-' + documentId,
    kind: 'answer',
    purpose: 'passage',
    asker: 'ana',
    waitingOn: ['ravi'],
    replyBy,
    askedAt: 0,
    quote: 'q',
    text: 't',
    overdue: false
  });

  it('stands in only for documents whose threads have not been read yet', () => {
    const store = storage();
    writeQueueCache(store, 'ravi', {
      waitingOnMe: [cachedEntry('unread', NOW - HOUR), cachedEntry('read', NOW + HOUR)],
      askedByMe: []
    });
    const cached = readQueueCache(store, 'ravi');
    const doc = new Y.Doc();
    createThread(doc, {
      threadId: 'live',
      commentId: 'c1',
      anchorStart: new Uint8Array([1]),
      anchorEnd: new Uint8Array([2]),
      quote: 'q',
      author: 'ana',
      text: 'Answer please',
      ask: { assignees: ['ravi'], replyBy: NOW + 2 * HOUR, preset: '4h', askerZone: 'UTC' },
      now: NOW - HOUR
    });
    const read = new Map([['read', readThreads(doc)]]);
    const live = {
      waitingOnMe: [{ ...cachedEntry('read', NOW + 2 * HOUR), threadId: 'live', commentId: 'c1' }],
      askedByMe: []
    };
    const merged = mergeCachedQueue(live, cached, read, NOW);
    // The cached entry of the read document is dropped in favour of the live one;
    // the unread one is kept and its overdue flag recomputed.
    expect(merged.waitingOnMe.map((e) => [e.documentId, e.threadId, e.overdue])).toEqual([
      ['unread', 't-unread', true],
      ['read', 'live', false]
    ]);
  });

  it('a cache that does not read is ignored', () => {
    const store = storage();
    store.setItem('driftwrite:queue:ravi', '{not json');
    expect(readQueueCache(store, 'ravi')).toBeNull();
    store.setItem('driftwrite:queue:ravi', JSON.stringify({ waitingOnMe: 3 }));
    expect(readQueueCache(store, 'ravi')).toBeNull();
  });
});

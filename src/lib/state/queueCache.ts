/**
 * My queue as it was when every comments room had last been read, kept in
 * localStorage so the queue opens at once (offline too) while hundreds of
 * rooms are still being read from IndexedDB. Entries of a document whose room
 * has been read are always the live ones; the cache only stands in for the
 * rest, and is replaced as soon as all rooms are read.
 */
import { byReplyBy, type Queue, type QueueEntry, type Thread } from '../model/comments.js';

export const QUEUE_CACHE_PREFIX = 'driftwrite:queue:';

export function readQueueCache(storage: Storage, person: string): Queue | null {
  try {
    const raw = storage.getItem(QUEUE_CACHE_PREFIX + person);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Queue>;
    if (!Array.isArray(value.waitingOnMe) || !Array.isArray(value.askedByMe)) return null;
    return { waitingOnMe: value.waitingOnMe, askedByMe: value.askedByMe };
  } catch {
    // A cache that does not read is only slower: the live queue follows.
    return null;
  }
}

export function writeQueueCache(storage: Storage, person: string, queue: Queue): void {
  try {
    storage.setItem(QUEUE_CACHE_PREFIX + person, JSON.stringify(queue));
  } catch {
    // Storage full or refused: the queue still works, only without the head start.
  }
}

export function mergeCachedQueue(
  live: Queue,
  cached: Queue | null,
  read: ReadonlyMap<string, readonly Thread[]>,
  now: number
): Queue {
  if (!cached) return live;
  const stale = (entries: QueueEntry[]) =>
    entries
      .filter((entry) => typeof entry?.documentId === 'string' && !read.has(entry.documentId))
      .map((entry) => ({ ...entry, overdue: entry.replyBy < now }));
  return {
    waitingOnMe: [...live.waitingOnMe, ...stale(cached.waitingOnMe)].sort(byReplyBy),
    askedByMe: [...live.askedByMe, ...stale(cached.askedByMe)].sort(byReplyBy)
  };
}

/** Keys the relay itself owns on a member entry of the workspace index. */
import type * as Y from 'yjs';
import { getMembersMap } from '../../src/lib/model/people.js';

/** Sets keys on a member entry the relay owns (role, removedAt), keeping the rest. */
export function setMemberKeys(doc: Y.Doc, personId: string, keys: Record<string, unknown>): void {
  const members = getMembersMap(doc);
  const current = members.get(personId);
  const base = typeof current === 'object' && current !== null ? current : {};
  const same = Object.entries(keys).every(([k, v]) => (base as Record<string, unknown>)[k] === v);
  if (!same) members.set(personId, { ...base, ...keys });
}

/**
 * "Who wrote this" is the person the credential names, not what a client
 * claims: an update that writes another person's id into an authorship field
 * is refused. The relay reads the fields from the update's structs (decoded
 * once by the relay) without applying it. Only content new to the room is
 * checked: a device resending what the relay already holds claims nothing.
 */
import * as Y from 'yjs';
import { parseRoom } from '../../src/lib/model/rooms.js';

/** Map keys whose value is the writer's own person id, per room type. */
const OWN_ID_KEYS: Record<string, ReadonlySet<string>> = {
  comments: new Set(['author', 'createdBy']),
  index: new Set(['updatedBy', 'deletedBy']),
  doc: new Set(['updatedBy'])
};

/**
 * The authorship claim an update makes for someone else, or null when every
 * claim names `personId`. Values are read from map entries (`parentSub`).
 */
export function foreignAuthorship(
  room: string,
  /** The update's structs (`Y.decodeUpdate(update).structs`). */
  structs: ReturnType<typeof Y.decodeUpdate>['structs'],
  personId: string,
  /** The room's state vector: structs it already holds are not claims of this writer. */
  known: () => Map<number, number> = () => new Map()
): string | null {
  const type = parseRoom(room).type;
  const keys = OWN_ID_KEYS[type];
  if (!keys) return null;
  let knownClocks: Map<number, number> | null = null;
  for (const struct of structs) {
    if (!(struct instanceof Y.Item)) continue;
    const key = struct.parentSub;
    if (key === null || !(struct.content instanceof Y.ContentAny)) continue;
    // Only map values can claim authorship: typing text never asks for the state vector.
    knownClocks ??= known();
    if (struct.id.clock + struct.length <= (knownClocks.get(struct.id.client) ?? 0)) continue;
    const value: unknown = struct.content.arr[0];
    if (keys.has(key)) {
      if (value !== personId) return `${key} names someone else`;
    } else if (type === 'comments' && key === 'resolution') {
      const by = (value as { by?: unknown } | null)?.by;
      if (by !== undefined && by !== personId) return 'resolution names someone else';
    }
  }
  return null;
}

/**
 * Which rooms a role may write, decided from the room name alone: the relay
 * enforces it, the app uses it to stay read-only where the relay would drop
 * the write. See docs/access.md.
 */
import type { Role } from './access.js';
import { parseRoom } from './rooms.js';

/** Editors write every room of their workspace, commenters only comment rooms, viewers none. */
export function canWriteRoom(role: Role, room: string): boolean {
  if (role === 'editor') return true;
  if (role === 'commenter') return parseRoom(room).type === 'comments';
  return false;
}

/** The workspace a room belongs to (the part before the first dot). */
export function roomWorkspace(room: string): string {
  const dot = room.indexOf('.');
  return dot === -1 ? room : room.slice(0, dot);
}

/**
 * Relay room names. One room is one Yjs document. Room names are namespaced
 * by workspace so that a relay can later serve several workspaces and enforce
 * roles per workspace from the room name alone.
 */

/** The one workspace this version serves; invites add more in a later issue. */
export const DEFAULT_WORKSPACE_ID = 'main';

/** What the relay accepts as a room name: URL-safe, bounded. */
export const ROOM_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}(\.[A-Za-z0-9_-]{1,64}){0,3}$/;

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidRoomName(room: string): boolean {
  return ROOM_NAME_PATTERN.test(room);
}

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function indexRoom(workspaceId: string): string {
  return `${workspaceId}.index`;
}

export function docRoom(workspaceId: string, documentId: string): string {
  return `${workspaceId}.doc.${documentId}`;
}

/**
 * A document's comment threads live in a room of their own, so commenting
 * never writes to the body (a commenter role is one room's write permission)
 * and the queue can sync every document's threads without the bodies.
 */
export function commentsRoom(workspaceId: string, documentId: string): string {
  return `${workspaceId}.comments.${documentId}`;
}

export type ParsedRoom =
  | { type: 'index'; workspaceId: string }
  | { type: 'doc'; workspaceId: string; documentId: string }
  | { type: 'comments'; workspaceId: string; documentId: string }
  | { type: 'other'; room: string };

/** What a room holds, so access control can decide per workspace. */
export function parseRoom(room: string): ParsedRoom {
  const parts = room.split('.');
  if (parts.length === 2 && parts[1] === 'index') return { type: 'index', workspaceId: parts[0] };
  if (parts.length === 3 && parts[1] === 'doc')
    return { type: 'doc', workspaceId: parts[0], documentId: parts[2] };
  if (parts.length === 3 && parts[1] === 'comments')
    return { type: 'comments', workspaceId: parts[0], documentId: parts[2] };
  return { type: 'other', room };
}

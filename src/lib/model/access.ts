/**
 * The roles of docs/access.md, shared by the relay and the app. What each
 * role may write is in roomAccess.ts; the device side in deviceAccess.ts.
 */
export const ROLES = ['viewer', 'commenter', 'editor'] as const;
export type Role = (typeof ROLES)[number];

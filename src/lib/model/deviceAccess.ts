/**
 * Access on the device side (docs/access.md): the credential kept in
 * localStorage, what each role may do, invite links, and the plain words for
 * the relay's answers. Pure: no DOM, no Svelte, no fetch.
 */
import { ROLES, type Role } from './access.js';
import { SYNC_PATH } from './protocol.js';
import { cutToCodePoints } from './schema.js';
import { isColor } from './names.js';

/** Where the device keeps `{ credential, personId, role, workspaceId }`. */
export const ACCESS_KEY = 'driftwrite:access';

export { ROLES, type Role };

export const ROLE_LABELS: Record<Role, string> = {
  viewer: 'Viewer',
  commenter: 'Commenter',
  editor: 'Editor'
};

/** What a role may do, in the words of the share dialog. */
export const ROLE_HINTS: Record<Role, string> = {
  viewer: 'reads everything, writes nothing',
  commenter: 'reads everything, comments, replies and resolves',
  editor: 'writes documents, invites and removes people'
};

export interface StoredAccess {
  credential: string;
  personId: string;
  role: Role;
  workspaceId: string;
}

/**
 * - `none`: this device has not joined (no credential stored).
 * - `unknown`: a credential is stored; the relay has not said yet whether it holds.
 * - `ok`: the relay accepted it.
 * - `revoked`: the credential was revoked or the person removed (403).
 * - `invalid`: the relay does not know it (401: another relay, a reset secret).
 */
export type AccessStatus = 'ok' | 'none' | 'revoked' | 'invalid' | 'unknown';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Reads the stored access; anything malformed reads as not joined. */
export function parseAccess(raw: string | null): StoredAccess | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Record<string, unknown> | null;
    if (typeof value !== 'object' || value === null) return null;
    const { credential, personId, role, workspaceId } = value;
    if (typeof credential !== 'string' || !credential.trim()) return null;
    if (typeof personId !== 'string' || !personId) return null;
    if (typeof workspaceId !== 'string' || !workspaceId) return null;
    if (!isRole(role)) return null;
    return { credential: credential.trim(), personId, role, workspaceId };
  } catch {
    return null;
  }
}

/** Reads the relay's answer to POST /api/redeem; null when it is not one. */
export function readRedeemed(body: unknown): StoredAccess | null {
  return parseAccess(JSON.stringify(body ?? null));
}

export interface Capabilities {
  /** Writes documents and the workspace index (create, rename, fields, list). */
  canEdit: boolean;
  /** Writes comment rooms (comment, reply, react, resolve). */
  canComment: boolean;
  /** Makes invites and removes people. */
  canShare: boolean;
}

/**
 * What the UI offers. A device that has not joined, or whose access the
 * relay refused, writes nothing: nothing it wrote could ever reach anyone.
 * While the relay has not answered yet (offline), the stored role holds.
 */
export function capabilities(role: Role | null, status: AccessStatus): Capabilities {
  const usable = role !== null && (status === 'ok' || status === 'unknown');
  return {
    canEdit: usable && role === 'editor',
    canComment: usable && (role === 'editor' || role === 'commenter'),
    canShare: usable && role === 'editor'
  };
}

/**
 * The invite token in a link's fragment (`#invite=<token>`), or null. The
 * fragment is read the way a form is: other parameters are ignored.
 */
export function parseInviteFragment(hash: string): string | null {
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!fragment) return null;
  let token: string | null;
  try {
    token = new URLSearchParams(fragment).get('invite');
  } catch {
    return null;
  }
  token = token?.trim() ?? '';
  // A JWT is base64url parts joined by dots; anything else is a broken paste.
  if (!token || token.length > 4096 || !/^[A-Za-z0-9_\-.]+$/.test(token)) return null;
  return token;
}

/** The HTTP origin of the relay's API, from its websocket URL (ws://host/sync). */
export function apiBase(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol =
    url.protocol === 'wss:' ? 'https:' : url.protocol === 'ws:' ? 'http:' : url.protocol;
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(SYNC_PATH)) path = path.slice(0, -SYNC_PATH.length);
  return `${url.origin}${path}`;
}

/** The error body of the HTTP API: `{ error, reason }`. */
export interface ApiError {
  error?: string;
  reason?: string;
}

export function readApiError(body: unknown): ApiError {
  if (typeof body !== 'object' || body === null) return {};
  const value = body as Record<string, unknown>;
  return {
    error: typeof value.error === 'string' ? value.error : undefined,
    reason: typeof value.reason === 'string' ? value.reason : undefined
  };
}

export const OFFLINE_JOIN_MESSAGE = 'You need to be online once to join.';

/** Plain words for a refused POST /api/redeem. */
export function redeemErrorMessage(status: number, body: unknown): string {
  const { error, reason } = readApiError(body);
  if (reason === 'expired') return 'This invite has expired — ask for a new one.';
  if (reason === 'used-up') return 'This invite was used up — ask for a new one.';
  if (reason === 'revoked') return 'This invite was withdrawn — ask for a new one.';
  if (status === 401 || reason === 'invalid') {
    return 'This invite link is not valid here: check that you copied all of it, or ask for a new one.';
  }
  if (status === 400) return error ? `The relay did not accept this: ${error}` : 'Check the form.';
  if (status === 429) return 'Too many attempts from this network; try again in a minute.';
  return error
    ? `The relay could not take the invite: ${error}`
    : `The relay could not take the invite (status ${status}); try again in a moment.`;
}

/** What GET /api/session says about the stored credential. */
export function sessionStatus(
  status: number,
  body: unknown
): { status: AccessStatus; reason: string | null } | null {
  const { reason } = readApiError(body);
  if (status >= 200 && status < 300) return { status: 'ok', reason: null };
  if (status === 401) return { status: 'invalid', reason: reason ?? 'invalid' };
  if (status === 403) return { status: 'revoked', reason: reason ?? 'revoked' };
  // Anything else (429, 5xx) says nothing about the credential.
  return null;
}

/** The body of a 200 from GET /api/session, checked. */
export function readSession(
  body: unknown
): { personId: string; role: Role; workspaceId: string } | null {
  if (typeof body !== 'object' || body === null) return null;
  const value = body as Record<string, unknown>;
  if (typeof value.personId !== 'string' || !value.personId) return null;
  if (typeof value.workspaceId !== 'string' || !value.workspaceId) return null;
  if (!isRole(value.role)) return null;
  return { personId: value.personId, role: value.role, workspaceId: value.workspaceId };
}

/** Invite choices offered by the share dialog. */
export const INVITE_EXPIRY_OPTIONS: readonly { label: string; hours: number | null }[] = [
  { label: '1 day', hours: 24 },
  { label: '7 days', hours: 24 * 7 },
  { label: '30 days', hours: 24 * 30 },
  { label: 'Never', hours: null }
];

export const INVITE_USE_OPTIONS: readonly { label: string; uses: number | null }[] = [
  { label: '1 person', uses: 1 },
  { label: '5 people', uses: 5 },
  { label: '25 people', uses: 25 },
  { label: 'Unlimited', uses: null }
];

/** The body of POST /api/invites. */
export function inviteRequest(
  role: Role,
  expiresInHours: number | null,
  uses: number | null
): { role: Role; expiresInHours?: number; uses?: number } {
  return {
    role,
    ...(expiresInHours === null ? {} : { expiresInHours }),
    ...(uses === null ? {} : { uses })
  };
}

export interface Invite {
  id: string;
  role: Role;
  createdBy: string;
  createdAt: number;
  expiresAt: number | null;
  maxUses: number | null;
  uses: number;
  revokedAt: number | null;
}

function timeOf(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/** GET /api/invites' list, with anything unreadable left out. */
export function readInvites(body: unknown): Invite[] {
  const list = (body as { invites?: unknown } | null)?.invites;
  if (!Array.isArray(list)) return [];
  const invites: Invite[] = [];
  for (const raw of list) {
    if (typeof raw !== 'object' || raw === null) continue;
    const value = raw as Record<string, unknown>;
    if (typeof value.id !== 'string' || !isRole(value.role)) continue;
    invites.push({
      id: value.id,
      role: value.role,
      createdBy: typeof value.createdBy === 'string' ? value.createdBy : '',
      createdAt: timeOf(value.createdAt) ?? 0,
      expiresAt: timeOf(value.expiresAt),
      maxUses: typeof value.maxUses === 'number' ? value.maxUses : null,
      uses: typeof value.uses === 'number' ? value.uses : 0,
      revokedAt: timeOf(value.revokedAt)
    });
  }
  return invites;
}

/** Whether an invite can still be redeemed. */
export function inviteUsable(invite: Invite, now: number): boolean {
  if (invite.revokedAt !== null) return false;
  if (invite.expiresAt !== null && invite.expiresAt <= now) return false;
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return false;
  return true;
}

/** "2 of 5 used", "3 used (no limit)". */
export function describeUses(invite: Pick<Invite, 'uses' | 'maxUses'>): string {
  return invite.maxUses === null
    ? `${invite.uses} used (no limit)`
    : `${invite.uses} of ${invite.maxUses} used`;
}

/** What the banner and badge say about a role. */
export function roleNotice(role: Role): string | null {
  if (role === 'viewer') return 'You can read this workspace (viewer)';
  if (role === 'commenter') return 'You can read and comment (commenter)';
  return null;
}

export const NOT_JOINED_MESSAGE =
  'This device has not joined the workspace: open the invite link you were sent.';
export const INVALID_MESSAGE =
  "This device's sign-in is not valid for this relay; open a new invite link.";

/** The revoked banner's sentence, with the count of changes still on the device. */
export function revokedMessage(pendingChanges: number): string {
  const head = 'Your access to this workspace was removed.';
  if (pendingChanges <= 0) return `${head} Everything you wrote here had reached the relay.`;
  return `${head} Nothing you wrote here is lost: ${pendingChanges} unsynced ${
    pendingChanges === 1 ? 'change stays' : 'changes stay'
  } on this device`;
}

// ------------------------------------------------------------ presence

/** A caret or avatar colour from another device; anything else gets this. */
export const DEFAULT_PRESENCE_COLOR = '#57606a';
export const MAX_PRESENCE_NAME = 100;

/** A colour from awareness, used only when it is `#rrggbb`. */
export function presenceColor(value: unknown): string {
  return isColor(value) ? value : DEFAULT_PRESENCE_COLOR;
}

/** A name from awareness: a string, whitespace collapsed, at most 100 characters. */
export function presenceName(value: unknown): string {
  if (typeof value !== 'string') return '';
  return cutToCodePoints(value.replace(/\s+/g, ' ').trim(), MAX_PRESENCE_NAME);
}

/** The user of an awareness state, validated; null when it has no usable name. */
export function presenceUser(state: unknown): { name: string; color: string } | null {
  const user = (state as { user?: unknown } | null)?.user;
  if (typeof user !== 'object' || user === null) return null;
  const value = user as { name?: unknown; color?: unknown };
  const name = presenceName(value.name);
  if (!name) return null;
  return { name, color: presenceColor(value.color) };
}

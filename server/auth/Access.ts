/**
 * The access policy: who may connect (admission at the websocket upgrade),
 * what each connection may write, and invites, credentials and removals.
 * See docs/access.md for the contract the app and scripts rely on.
 */
import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as Y from 'yjs';
import type { Role } from '../../src/lib/model/access.js';
import { canWriteRoom, roomWorkspace } from '../../src/lib/model/roomAccess.js';
import { isValidId, parseRoom } from '../../src/lib/model/rooms.js';
import { checkWrite, roomPolicy } from '../../src/lib/model/writePolicy.js';
import type { AccessStore, CredentialRecord, InviteRecord } from './AccessStore.js';
import { Credentials } from './credentials.js';
import { writesOf } from './updateWrites.js';
import type { IncomingUpdate, UpdateDecision } from '../relay/Relay.js';

/** Who a connection or request acts as, decided once at admission. */
export interface Principal {
  personId: string;
  role: Role;
  kind: 'device' | 'token';
  credentialId: string;
}

export type AdmitResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: number; reason: string; message: string };

export interface AccessOptions {
  store: AccessStore;
  secret: Uint8Array;
  workspaceId: string;
  /** Origins allowed besides the app's own (the request's Host). */
  allowedOrigins?: string[];
  now?: () => number;
}

const MESSAGES: Record<string, string> = {
  missing: 'This connection has no credential: open the invite link you were sent.',
  invalid: 'This credential is not valid for this relay: open a new invite link.',
  expired: 'This credential has expired: ask for a new invite link.',
  revoked: 'This device was signed out of the workspace by an editor.',
  removed: 'You were removed from this workspace by an editor.',
  workspace: 'This credential belongs to another workspace.',
  origin: 'Connections from this site are not allowed.',
  room: 'There is no such room: rooms are <workspace>.index, <workspace>.doc.<id> and <workspace>.comments.<id>.'
};

export function refusalMessage(reason: string): string {
  return MESSAGES[reason] ?? 'Access refused.';
}

export const INVITE_PATH = '/join#invite=';

export class Access {
  readonly credentials: Credentials;
  readonly store: AccessStore;
  readonly workspaceId: string;
  private readonly allowedOrigins: Set<string>;
  private readonly now: () => number;

  constructor(options: AccessOptions) {
    this.store = options.store;
    this.credentials = new Credentials(options.secret);
    this.workspaceId = options.workspaceId;
    this.allowedOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
    this.now = options.now ?? Date.now;
  }

  /** Decides an upgrade request for a room before anything is loaded. */
  async admitUpgrade(request: IncomingMessage, room: string): Promise<AdmitResult> {
    if (!this.originAllowed(request)) return refused(403, 'origin');
    const url = new URL(request.url ?? '/', 'http://relay.invalid');
    const result = await this.authenticate(url.searchParams.get('token'));
    if (!result.ok) return result;
    if (roomWorkspace(room) !== this.workspaceId) return refused(403, 'workspace');
    // Only the documented rooms exist (rooms.ts); any other name would be a
    // room no policy covers.
    if (parseRoom(room).type === 'other') return refused(404, 'room');
    return result;
  }

  /** A credential from a query parameter or an `Authorization: Bearer` header. */
  async authenticate(token: string | null | undefined): Promise<AdmitResult> {
    const verified = await this.credentials.verifyPrincipal(token);
    if (!verified.ok) return refused(401, verified.reason);
    const { claims } = verified;
    if (claims.ws !== this.workspaceId) return refused(403, 'workspace');
    const record = this.store.getCredential(claims.jti);
    // Signed by this secret but unknown here (a store restored from before
    // it was issued): not valid, the device joins again.
    if (!record || record.personId !== claims.sub) return refused(401, 'invalid');
    if (this.store.removedAt(record.personId) !== null) return refused(403, 'removed');
    if (record.revokedAt !== null) return refused(403, 'revoked');
    return {
      ok: true,
      principal: {
        personId: record.personId,
        role: record.role,
        kind: record.kind,
        credentialId: record.id
      }
    };
  }

  bearer(request: IncomingMessage): Promise<AdmitResult> {
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    return this.authenticate(match?.[1] ?? null);
  }

  /** Whether the request comes from the app's own origin or an allowed one. */
  originAllowed(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    // Scripts and bots send no Origin; they still need a credential.
    if (origin === undefined) return true;
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return false;
    }
    if (parsed.host === request.headers.host) return true;
    return this.allowedOrigins.has(normalizeOrigin(origin));
  }

  /**
   * A room the role cannot write drops the update. A writable room checks
   * everything the update does against the room kind's write policy
   * (src/lib/model/writePolicy.ts): one write outside it refuses the whole
   * update. An update whose place the room cannot resolve yet (it builds on
   * content the relay lacks) is answered with a request for everything
   * missing.
   */
  decideUpdate(principal: Principal, room: string, update: IncomingUpdate): UpdateDecision {
    if (!canWriteRoom(principal.role, room)) {
      return { action: 'drop', reason: `read-only: a ${principal.role} cannot change this` };
    }
    const policy = roomPolicy(parseRoom(room).type);
    if (!policy) return { action: 'refuse', reason: 'not a room of the documented scheme' };
    const resolved = writesOf(update.doc(), update, policy);
    if (!resolved.ok) {
      return 'missing' in resolved
        ? { action: 'resync', reason: resolved.missing }
        : { action: 'refuse', reason: `unreadable update: ${resolved.unreadable}` };
    }
    for (const write of resolved.writes) {
      const problem = checkWrite(policy, principal.personId, write);
      if (problem) return { action: 'refuse', reason: `ownership refused: ${problem}` };
    }
    return { action: 'accept' };
  }

  async createInvite(init: {
    role: Role;
    createdBy: string;
    expiresInHours?: number | null;
    uses?: number | null;
    owner?: boolean;
  }): Promise<{ invite: InviteRecord; token: string; path: string }> {
    const now = this.now();
    const invite: InviteRecord = {
      id: newId(),
      role: init.role,
      createdBy: init.createdBy,
      createdAt: now,
      expiresAt: init.expiresInHours ? now + init.expiresInHours * 3_600_000 : null,
      maxUses: init.uses ?? null,
      uses: 0,
      revokedAt: null,
      owner: init.owner ?? false
    };
    const token = await this.credentials.signInvite(
      { typ: 'invite', ws: this.workspaceId, role: invite.role, jti: invite.id },
      invite.expiresAt
    );
    this.store.createInvite(invite);
    return { invite, token, path: INVITE_PATH + token };
  }

  /**
   * Redeems an invite for a device credential. A proposed person id is kept
   * when nobody holds it yet (the owner link may claim a member from before
   * access control; other invites only ids not yet in the member list).
   */
  async redeem(init: {
    token: string;
    name: string;
    personId?: string;
    isMember: (personId: string) => boolean;
    /** The person a valid credential presented with the invite names: kept as is. */
    signedInAs?: string;
  }): Promise<
    | { ok: true; credential: string; principal: Principal; invite: InviteRecord }
    | { ok: false; status: number; reason: string; message: string }
  > {
    const verified = await this.credentials.verifyInvite(init.token);
    if (!verified.ok) {
      return verified.reason === 'expired'
        ? { ok: false, status: 410, reason: 'expired', message: INVITE_MESSAGES.expired }
        : { ok: false, status: 401, reason: 'invalid', message: INVITE_MESSAGES.invalid };
    }
    if (verified.claims.ws !== this.workspaceId) {
      return { ok: false, status: 401, reason: 'invalid', message: INVITE_MESSAGES.invalid };
    }
    const invite = this.store.getInvite(verified.claims.jti);
    const proposed = init.personId;
    const keep =
      (proposed !== undefined && proposed === init.signedInAs) ||
      (proposed !== undefined &&
        isValidId(proposed) &&
        !this.store.isPersonBound(proposed) &&
        this.store.removedAt(proposed) === null &&
        (invite?.owner === true || !init.isMember(proposed)));
    const record: CredentialRecord = {
      id: newId(),
      personId: keep ? proposed : newId(),
      role: invite?.role ?? verified.claims.role,
      kind: 'device',
      name: init.name,
      createdAt: this.now(),
      revokedAt: null,
      inviteId: verified.claims.jti
    };
    const outcome = this.store.redeemInvite(verified.claims.jti, this.now(), record);
    if (!outcome.ok) {
      const status = outcome.reason === 'invalid' ? 401 : 410;
      return {
        ok: false,
        status,
        reason: outcome.reason,
        message: INVITE_MESSAGES[outcome.reason]
      };
    }
    const credential = await this.credentials.signPrincipal({
      typ: 'device',
      ws: this.workspaceId,
      role: record.role,
      jti: record.id,
      sub: record.personId
    });
    return {
      ok: true,
      credential,
      invite: outcome.invite,
      principal: {
        personId: record.personId,
        role: record.role,
        kind: 'device',
        credentialId: record.id
      }
    };
  }

  /** A credential for a script or bot, which is a member of its own. */
  async issueToken(init: {
    role: Role;
    name: string;
    personId?: string;
  }): Promise<{ credential: string; record: CredentialRecord }> {
    const record: CredentialRecord = {
      id: newId(),
      personId: init.personId ?? newId(),
      role: init.role,
      kind: 'token',
      name: init.name,
      createdAt: this.now(),
      revokedAt: null,
      inviteId: null
    };
    this.store.recordCredential(record);
    const credential = await this.credentials.signPrincipal({
      typ: 'token',
      ws: this.workspaceId,
      role: record.role,
      jti: record.id,
      sub: record.personId
    });
    return { credential, record };
  }

  /** Refuses every credential of a person from now on. */
  removePerson(personId: string, by: string): void {
    const at = this.now();
    this.store.removePerson(personId, at, by);
    for (const credential of this.store.listCredentials()) {
      if (credential.personId === personId) this.store.revokeCredential(credential.id, at);
    }
  }

  /**
   * The first-start link: while no owner has joined, a fresh single-use owner
   * invite each start (earlier unused ones are revoked). Null once an owner
   * has joined.
   */
  async ownerLink(): Promise<string | null> {
    if (this.store.hasOwner()) return null;
    const now = this.now();
    for (const invite of this.store.listInvites()) {
      if (invite.owner && invite.revokedAt === null) this.store.revokeInvite(invite.id, now);
    }
    const { path } = await this.createInvite({
      role: 'editor',
      createdBy: 'owner-link',
      expiresInHours: 7 * 24,
      uses: 1,
      owner: true
    });
    return path;
  }
}

export const INVITE_MESSAGES: Record<string, string> = {
  invalid: 'This invite link is not valid for this workspace. Check that it was copied whole.',
  expired: 'This invite has expired. Ask for a new one.',
  'used-up': 'This invite has been used as many times as it allows. Ask for a new one.',
  revoked: 'This invite was withdrawn. Ask for a new one.'
};

function refused(status: number, reason: string): AdmitResult {
  return { ok: false, status, reason, message: refusalMessage(reason) };
}

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin;
  }
}

/** 16 URL-safe random characters (96 bits). */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

/** The room's state vector, for checks that only look at what is new. */
export function stateVectorOf(doc: Y.Doc): Map<number, number> {
  return Y.decodeStateVector(Y.encodeStateVector(doc));
}

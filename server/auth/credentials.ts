/**
 * Signed credentials (JWT, HS256, via jose): device and token credentials that
 * admit a connection, and invites that can be redeemed for a device
 * credential. Verification says why a credential fails, in a code the HTTP
 * API and the admission step turn into plain words.
 *
 * jose and zod are loaded on first use (./jwt.ts): a relay nobody has
 * connected to yet needs neither (faster start, less memory at idle).
 */
import type { Role } from '../../src/lib/model/access.js';

export interface PrincipalClaims {
  ws: string;
  role: Role;
  jti: string;
  typ: 'device' | 'token';
  sub: string;
}

export interface InviteClaims {
  ws: string;
  role: Role;
  jti: string;
  typ: 'invite';
}

export type VerifyFailure = 'missing' | 'invalid' | 'expired';
export type Verified<T> = { ok: true; claims: T } | { ok: false; reason: VerifyFailure };

/** Longest a token may be before it is not even looked at. */
const MAX_TOKEN_LENGTH = 4096;

let jwt: Promise<typeof import('./jwt.js')> | undefined;
const loadJwt = () => (jwt ??= import('./jwt.js'));

export class Credentials {
  constructor(private readonly secret: Uint8Array) {}

  async signPrincipal(claims: PrincipalClaims): Promise<string> {
    return (await loadJwt()).signPrincipal(this.secret, claims);
  }

  async signInvite(claims: InviteClaims, expiresAt: number | null): Promise<string> {
    return (await loadJwt()).signInvite(this.secret, claims, expiresAt);
  }

  async verifyPrincipal(token: string | null | undefined): Promise<Verified<PrincipalClaims>> {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
    const { verify, schemas } = await loadJwt();
    return verify(this.secret, token, schemas.principal);
  }

  async verifyInvite(token: string | null | undefined): Promise<Verified<InviteClaims>> {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
    const { verify, schemas } = await loadJwt();
    return verify(this.secret, token, schemas.invite);
  }
}

export type { Role };

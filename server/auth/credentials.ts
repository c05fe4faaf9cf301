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
export type Verified<T> =
  | {
      ok: true;
      claims: T;
      /** When the credential stops being valid (ms), if ever. */ expiresAt: number | null;
    }
  | { ok: false; reason: VerifyFailure };

/** Longest a token may be before it is not even looked at. */
const MAX_TOKEN_LENGTH = 4096;
/** Signatures already checked, kept for the devices and scripts seen most recently. */
const VERIFIED_CACHE_SIZE = 1000;

let jwt: Promise<typeof import('./jwt.js')> | undefined;
const loadJwt = () => (jwt ??= import('./jwt.js'));

export class Credentials {
  /**
   * Principal credentials whose signature was already checked, so a device
   * that reconnects (every wake, every flaky network) costs a lookup instead of
   * an HMAC through WebCrypto (about 0.2 ms of CPU). Only the signature and
   * claims are remembered: whether the credential was revoked or its person
   * removed is read from the store on every connection (Access.authenticate).
   * The secret never changes while the relay runs, so a hit says exactly what
   * verifying again would, expiry included.
   */
  private readonly verified = new Map<
    string,
    { claims: PrincipalClaims; expiresAt: number | null }
  >();

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
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      if (known.expiresAt !== null && Date.now() >= known.expiresAt) {
        return { ok: false, reason: 'expired' };
      }
      // Most recently used last: the oldest entry is the first to go.
      this.verified.set(token, known);
      return { ok: true, claims: known.claims, expiresAt: known.expiresAt };
    }
    const { verify, schemas } = await loadJwt();
    const result = await verify(this.secret, token, schemas.principal);
    if (result.ok) {
      this.verified.set(token, { claims: result.claims, expiresAt: result.expiresAt });
      if (this.verified.size > VERIFIED_CACHE_SIZE) {
        this.verified.delete(this.verified.keys().next().value as string);
      }
    }
    return result;
  }

  async verifyInvite(token: string | null | undefined): Promise<Verified<InviteClaims>> {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
    const { verify, schemas } = await loadJwt();
    return verify(this.secret, token, schemas.invite);
  }
}

export type { Role };

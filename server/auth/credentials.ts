/**
 * Signed credentials (JWT, HS256, via jose): device and token credentials that
 * admit a connection, and invites that can be redeemed for a device
 * credential. Verification says why a credential fails, in a code the HTTP
 * API and the admission step turn into plain words.
 */
import { SignJWT, jwtVerify, errors } from 'jose';
import { z } from 'zod';
import { ROLES, type Role } from '../../src/lib/model/access.js';

const ALG = 'HS256';

const base = { ws: z.string().min(1).max(64), role: z.enum(ROLES), jti: z.string().min(1).max(64) };

const principalClaims = z.object({
  ...base,
  typ: z.enum(['device', 'token']),
  sub: z.string().min(1).max(64)
});
const inviteClaims = z.object({ ...base, typ: z.literal('invite') });

export type PrincipalClaims = z.infer<typeof principalClaims>;
export type InviteClaims = z.infer<typeof inviteClaims>;

export type VerifyFailure = 'missing' | 'invalid' | 'expired';
export type Verified<T> = { ok: true; claims: T } | { ok: false; reason: VerifyFailure };

/** Longest a token may be before it is not even looked at. */
const MAX_TOKEN_LENGTH = 4096;

export class Credentials {
  constructor(private readonly secret: Uint8Array) {}

  signPrincipal(claims: PrincipalClaims): Promise<string> {
    const { jti, sub, ...rest } = claims;
    return new SignJWT(rest)
      .setProtectedHeader({ alg: ALG })
      .setJti(jti)
      .setSubject(sub)
      .setIssuedAt()
      .sign(this.secret);
  }

  signInvite(claims: InviteClaims, expiresAt: number | null): Promise<string> {
    const { jti, ...rest } = claims;
    const jwt = new SignJWT(rest).setProtectedHeader({ alg: ALG }).setJti(jti).setIssuedAt();
    if (expiresAt !== null) jwt.setExpirationTime(Math.floor(expiresAt / 1000));
    return jwt.sign(this.secret);
  }

  verifyPrincipal(token: string | null | undefined): Promise<Verified<PrincipalClaims>> {
    return this.verify(token, principalClaims);
  }

  verifyInvite(token: string | null | undefined): Promise<Verified<InviteClaims>> {
    return this.verify(token, inviteClaims);
  }

  private async verify<T>(
    token: string | null | undefined,
    schema: z.ZodType<T>
  ): Promise<Verified<T>> {
    if (!token) return { ok: false, reason: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'invalid' };
    try {
      const { payload } = await jwtVerify(token, this.secret, { algorithms: [ALG] });
      const parsed = schema.safeParse(payload);
      return parsed.success ? { ok: true, claims: parsed.data } : { ok: false, reason: 'invalid' };
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
      return { ok: false, reason: 'invalid' };
    }
  }
}

export type { Role };

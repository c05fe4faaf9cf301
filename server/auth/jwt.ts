/**
 * The JWT work behind Credentials (jose for HS256, zod for the claims), in a
 * module of its own so the relay loads both only when the first credential is
 * signed or checked, not at start (server/auth/credentials.ts imports it on
 * first use).
 */
import { SignJWT, jwtVerify, errors } from 'jose';
import { z } from 'zod';
import { ROLES } from '../../src/lib/model/access.js';
import type { InviteClaims, PrincipalClaims, Verified } from './credentials.js';

const ALG = 'HS256';

const base = { ws: z.string().min(1).max(64), role: z.enum(ROLES), jti: z.string().min(1).max(64) };

const principalClaims = z.object({
  ...base,
  typ: z.enum(['device', 'token']),
  sub: z.string().min(1).max(64)
});
const inviteClaims = z.object({ ...base, typ: z.literal('invite') });

export const schemas: {
  principal: z.ZodType<PrincipalClaims>;
  invite: z.ZodType<InviteClaims>;
} = { principal: principalClaims, invite: inviteClaims };

export function signPrincipal(secret: Uint8Array, claims: PrincipalClaims): Promise<string> {
  const { jti, sub, ...rest } = claims;
  return new SignJWT(rest)
    .setProtectedHeader({ alg: ALG })
    .setJti(jti)
    .setSubject(sub)
    .setIssuedAt()
    .sign(secret);
}

export function signInvite(
  secret: Uint8Array,
  claims: InviteClaims,
  expiresAt: number | null
): Promise<string> {
  const { jti, ...rest } = claims;
  const jwt = new SignJWT(rest).setProtectedHeader({ alg: ALG }).setJti(jti).setIssuedAt();
  if (expiresAt !== null) jwt.setExpirationTime(Math.floor(expiresAt / 1000));
  return jwt.sign(secret);
}

export async function verify<T>(
  secret: Uint8Array,
  token: string,
  schema: z.ZodType<T>
): Promise<Verified<T>> {
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: [ALG] });
    const parsed = schema.safeParse(payload);
    if (!parsed.success) return { ok: false, reason: 'invalid' };
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : null;
    return { ok: true, claims: parsed.data, expiresAt };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    return { ok: false, reason: 'invalid' };
  }
}

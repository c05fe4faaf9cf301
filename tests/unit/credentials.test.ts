/**
 * Signed credentials: a signature checked once is remembered, and what is
 * remembered answers exactly as verifying again would (expiry included).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignJWT } from 'jose';
import { Credentials, type PrincipalClaims } from '../../server/auth/credentials.js';

const SECRET = new Uint8Array(32).fill(3);
const CLAIMS: PrincipalClaims = { ws: 'main', role: 'editor', jti: 'c1', typ: 'device', sub: 'p1' };

afterEach(() => vi.restoreAllMocks());

describe('verifying principal credentials', () => {
  it('answers the same the second time, from memory', async () => {
    const credentials = new Credentials(SECRET);
    const token = await credentials.signPrincipal(CLAIMS);
    const first = await credentials.verifyPrincipal(token);
    expect(first).toEqual({ ok: true, claims: CLAIMS, expiresAt: null });
    const subtle = vi.spyOn(globalThis.crypto.subtle, 'verify');
    expect(await credentials.verifyPrincipal(token)).toEqual(first);
    // The signature was not checked again.
    expect(subtle).not.toHaveBeenCalled();
  });

  it('still refuses a tampered token after the genuine one was seen', async () => {
    const credentials = new Credentials(SECRET);
    const token = await credentials.signPrincipal(CLAIMS);
    await credentials.verifyPrincipal(token);
    const [header, , signature] = token.split('.');
    const promoted = Buffer.from(JSON.stringify({ ...CLAIMS, role: 'owner' })).toString(
      'base64url'
    );
    expect(await credentials.verifyPrincipal(`${header}.${promoted}.${signature}`)).toEqual({
      ok: false,
      reason: 'invalid'
    });
    const other = await new Credentials(new Uint8Array(32).fill(9)).signPrincipal(CLAIMS);
    expect(await credentials.verifyPrincipal(other)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('a remembered credential that carries an expiry expires on time', async () => {
    const credentials = new Credentials(SECRET);
    const exp = Math.floor(Date.now() / 1000) + 60;
    const { jti, sub, ...rest } = CLAIMS;
    const token = await new SignJWT(rest)
      .setProtectedHeader({ alg: 'HS256' })
      .setJti(jti)
      .setSubject(sub)
      .setExpirationTime(exp)
      .sign(SECRET);
    expect(await credentials.verifyPrincipal(token)).toEqual({
      ok: true,
      claims: CLAIMS,
      expiresAt: exp * 1000
    });
    vi.spyOn(Date, 'now').mockReturnValue(exp * 1000 + 1);
    expect(await credentials.verifyPrincipal(token)).toEqual({ ok: false, reason: 'expired' });
  });

  it('keeps at most 1,000 credentials, forgetting the least recently used', async () => {
    const credentials = new Credentials(SECRET);
    const tokens = await Promise.all(
      Array.from({ length: 1001 }, (_, i) =>
        credentials.signPrincipal({ ...CLAIMS, jti: `c${i}`, sub: `p${i}` })
      )
    );
    for (const token of tokens.slice(0, 1000)) await credentials.verifyPrincipal(token);
    // The first is used again, so the second is now the oldest.
    await credentials.verifyPrincipal(tokens[0]);
    await credentials.verifyPrincipal(tokens[1000]);
    const subtle = vi.spyOn(globalThis.crypto.subtle, 'verify');
    expect((await credentials.verifyPrincipal(tokens[0])).ok).toBe(true);
    expect(subtle).not.toHaveBeenCalled();
    expect((await credentials.verifyPrincipal(tokens[1])).ok).toBe(true);
    expect(subtle).toHaveBeenCalledTimes(1);
  });
});

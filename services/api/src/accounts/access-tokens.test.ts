import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { AccessTokens, looksLikeJwt } from './access-tokens';

const secret = randomBytes(32);
const user = { userId: randomUUID(), admin: false, sessionId: randomUUID() };

describe('access tokens', () => {
  it('carries sub, jti, admin and the session, and expires after the TTL', async () => {
    let now = new Date('2026-12-01T08:00:00Z');
    const tokens = new AccessTokens(secret, 900, () => now);
    const { token, expiresIn } = await tokens.issue(user);
    expect(expiresIn).toBe(900);
    expect(looksLikeJwt(token)).toBe(true);
    const claims = await tokens.verify(token);
    expect(claims).toMatchObject({ userId: user.userId, admin: false, sessionId: user.sessionId });
    expect(claims?.exp).toBe(Date.parse('2026-12-01T08:15:00Z') / 1000);
    expect(claims?.jti).toMatch(/^[0-9a-f-]{36}$/);

    now = new Date('2026-12-01T08:14:59Z');
    expect(await tokens.verify(token)).toBeDefined();
    now = new Date('2026-12-01T08:15:00Z');
    expect(await tokens.verify(token)).toBeUndefined();
  });

  it('refuses tokens signed with another key, another algorithm, or tampered with', async () => {
    const tokens = new AccessTokens(secret, 900);
    const other = new AccessTokens(randomBytes(32), 900);
    const { token } = await other.issue(user);
    expect(await tokens.verify(token)).toBeUndefined();

    const [header, payload, signature] = (await tokens.issue(user)).token.split('.');
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    forged.admin = true;
    expect(
      await tokens.verify(`${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`),
    ).toBeUndefined();
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    expect(await tokens.verify(none)).toBeUndefined();
    // Right key, but not one of ours (no audience, no session).
    const foreign = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(user.userId).sign(secret);
    expect(await tokens.verify(foreign)).toBeUndefined();
    expect(await tokens.verify('not.a.jwt')).toBeUndefined();
  });

  it('needs a 32-byte secret', () => {
    expect(() => new AccessTokens(Buffer.alloc(16), 900)).toThrow(/32 bytes/);
  });
});

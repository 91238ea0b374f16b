import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/** What an access token says about its holder. */
export interface AccessClaims {
  /** The account's user id (a UUID). */
  userId: string;
  admin: boolean;
  /** The session (refresh-token family) it was issued in. */
  sessionId: string;
  /** The token's own id. */
  jti: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

const ISSUER = 'mediaflow';
const AUDIENCE = 'mediaflow-api';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Short-lived access tokens: JWTs (RFC 7519) signed HS256 with
 * AUTH_TOKEN_SECRET, claims `sub` (user id), `jti`, `admin`, `sid` (session),
 * `iss`, `aud`, `iat` and `exp`. Stateless: a token stays valid until it
 * expires even if its session is revoked, which is why it lives minutes
 * (AUTH_ACCESS_TOKEN_TTL_SECONDS); the refresh token is what revocation stops.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  /**
   * @param secret at least 32 bytes of key material.
   * @param ttlSeconds lifetime of each token.
   * @param now the clock (tests move it).
   */
  constructor(
    secret: Uint8Array,
    readonly ttlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (secret.length < 32) throw new Error('the access-token secret must be at least 32 bytes');
    this.key = secret;
  }

  /** A signed token for the user in the session; `expiresIn` is in seconds. */
  async issue(user: {
    userId: string;
    admin: boolean;
    sessionId: string;
  }): Promise<{ token: string; expiresIn: number }> {
    const issuedAt = Math.floor(this.now().getTime() / 1000);
    const token = await new SignJWT({ admin: user.admin, sid: user.sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.userId)
      .setJti(randomUUID())
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
    return { token, expiresIn: this.ttlSeconds };
  }

  /**
   * The claims of a token this service signed and that has not expired;
   * undefined for anything else (malformed, another algorithm, forged,
   * expired, another issuer or audience).
   */
  async verify(token: string): Promise<AccessClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: this.now(),
        clockTolerance: 0,
        requiredClaims: ['sub', 'jti', 'exp', 'sid'],
      });
      const { sub, jti, exp, admin, sid } = payload;
      if (typeof sub !== 'string' || !UUID.test(sub) || typeof jti !== 'string' || typeof exp !== 'number') {
        return undefined;
      }
      if (typeof sid !== 'string' || typeof admin !== 'boolean') return undefined;
      return { userId: sub, admin, sessionId: sid, jti, exp };
    } catch (error) {
      if (error instanceof errors.JOSEError) return undefined;
      throw error;
    }
  }
}

/** Whether a bearer credential has the shape of a JWT (three base64url parts), not of an API key. */
export function looksLikeJwt(credential: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(credential);
}

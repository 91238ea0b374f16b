import { timingSafeEqual } from 'node:crypto';
import type { CookieOptions, Request, Response } from 'express';
import { AppError } from '@mediaflow/domain';

/** The refresh token: HttpOnly, sent only to /auth. */
export const REFRESH_COOKIE = 'mf_refresh';
/** The CSRF token, readable by the page's script, which echoes it in X-CSRF-Token (double submit). */
export const CSRF_COOKIE = 'mf_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';

export interface CookieSettings {
  /** COOKIE_SECURE: the Secure attribute; off only for plain-http development on a non-loopback host. */
  secure: boolean;
  /** Lifetime of both cookies, seconds (the refresh token's). */
  maxAgeSeconds: number;
}

/** The request's cookies by name (RFC 6265 `Cookie` header; the first of duplicates wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const raw of (header ?? '').split(';')) {
    const part = raw.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

function baseOptions(settings: CookieSettings): CookieOptions {
  return { secure: settings.secure, sameSite: 'strict', maxAge: settings.maxAgeSeconds * 1000 };
}

/** Sets `mf_refresh` (HttpOnly; Secure; SameSite=Strict; Path=/auth) and `mf_csrf` (SameSite=Strict; Path=/). */
export function setSessionCookies(res: Response, settings: CookieSettings, refreshToken: string, csrf: string): void {
  res.cookie(REFRESH_COOKIE, refreshToken, { ...baseOptions(settings), httpOnly: true, path: '/auth' });
  res.cookie(CSRF_COOKIE, csrf, { ...baseOptions(settings), httpOnly: false, path: '/' });
}

/** Expires both cookies. */
export function clearSessionCookies(res: Response, settings: CookieSettings): void {
  const options = { secure: settings.secure, sameSite: 'strict' as const };
  res.clearCookie(REFRESH_COOKIE, { ...options, httpOnly: true, path: '/auth' });
  res.clearCookie(CSRF_COOKIE, { ...options, path: '/' });
}

/**
 * The checks a cookie-authenticated request must pass, against cross-site
 * request forgery:
 * - the `X-CSRF-Token` header equals the `mf_csrf` cookie (double submit:
 *   another site can make the browser send the cookie, never read it to set
 *   the header), compared in constant time;
 * - an `Origin` header, when present, names this API's own origin: its host
 *   (and port) is the request's Host. (Browsers send Origin on every POST.)
 *
 * @throws AppError CSRF_REJECTED (403) naming which check failed.
 */
export function checkCsrf(req: Pick<Request, 'get'>): void {
  const origin = req.get('origin');
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      const url = new URL(origin);
      host = url.protocol === 'http:' || url.protocol === 'https:' ? url.host : undefined;
    } catch {
      host = undefined;
    }
    const own = (req.get('host') ?? '').toLowerCase();
    if (host === undefined || own === '' || host.toLowerCase() !== own) {
      throw new AppError('CSRF_REJECTED', 'the request comes from another origin than this API’s');
    }
  }
  const header = req.get(CSRF_HEADER) ?? '';
  const cookie = parseCookies(req.get('cookie')).get(CSRF_COOKIE) ?? '';
  if (header === '' || cookie === '') {
    throw new AppError('CSRF_REJECTED', `the ${CSRF_HEADER} header must repeat the ${CSRF_COOKIE} cookie`);
  }
  const a = Buffer.from(header);
  const b = Buffer.from(cookie);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw new AppError('CSRF_REJECTED', `the ${CSRF_HEADER} header does not match the ${CSRF_COOKIE} cookie`);
  }
}

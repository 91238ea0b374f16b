import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, readCookie, setCredential, setUnauthorizedHandler } from './api';
import type { Session, User } from './types';

/**
 * Who is using the dashboard, and how the API wants them to prove it:
 * - `off`: the API runs with AUTH_DISABLED; no sign-in.
 * - `accounts`: people sign up and in; the access token (about 15 minutes)
 *   is kept in memory and renewed by POST /auth/refresh, which works by the
 *   HttpOnly refresh cookie plus the X-CSRF-Token header (a reload signs in
 *   again the same way).
 * - `keys`: no accounts here; a configured API key is typed in and kept in
 *   memory for this page only.
 */
export type AuthMode = 'loading' | 'off' | 'accounts' | 'keys';

export interface SessionState {
  mode: AuthMode;
  /** Whether the dashboard may call the API now. */
  signedIn: boolean;
  user?: User;
  signupEnabled: boolean;
}

const CSRF_COOKIE = 'mf_csrf';
/** Renew this long before the access token expires. */
const REFRESH_MARGIN_SECONDS = 60;

let state: SessionState = { mode: 'loading', signedIn: false, signupEnabled: false };
const listeners = new Set<(value: SessionState) => void>();
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | undefined;

function publish(next: SessionState): void {
  state = next;
  for (const listener of listeners) listener(state);
}

export function sessionState(): SessionState {
  return state;
}

/** The session, re-rendering on every change. */
export function useSession(): SessionState {
  const [value, setValue] = useState(state);
  useEffect(() => {
    listeners.add(setValue);
    setValue(state);
    return () => {
      listeners.delete(setValue);
    };
  }, []);
  return value;
}

function adopt(session: Session): void {
  setCredential(session.access_token);
  publish({ ...state, mode: 'accounts', signedIn: true, user: session.user });
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  const delay = Math.max(10, session.expires_in - REFRESH_MARGIN_SECONDS) * 1000;
  refreshTimer = setTimeout(() => void refresh(), delay);
}

function signedOut(): void {
  setCredential(undefined);
  if (refreshTimer !== undefined) clearTimeout(refreshTimer);
  refreshTimer = undefined;
  publish({ ...state, signedIn: false, user: undefined });
}

/**
 * A new access token from the refresh cookie; false (and signed out) when
 * there is no valid session.
 * @throws ApiError ACCOUNTS_DISABLED when this API has no accounts (only from `startSession`'s first try).
 */
async function tryRefresh(): Promise<boolean> {
  const csrf = readCookie(CSRF_COOKIE);
  // No CSRF cookie, no refresh cookie either: asking would only earn a 401 (and a console error).
  if (csrf === '') return false;
  try {
    adopt(await api<Session>('/auth/refresh', { method: 'POST', anonymous: true, headers: { 'X-CSRF-Token': csrf } }));
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'ACCOUNTS_DISABLED') throw error;
    return false;
  }
}

/** Renews the access token (before it expires, or after a 401); signs out when the session has ended. */
export async function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const ok = await tryRefresh().catch(() => false);
      if (!ok && state.mode === 'accounts') signedOut();
      return ok;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** Whether calls need a credential: GET /operations answers 401 to none. */
async function needsCredential(): Promise<boolean> {
  try {
    await api('/operations', { anonymous: true });
    return false;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return true;
    throw error;
  }
}

/**
 * Finds out how this API authenticates, and resumes a session when the
 * refresh cookie holds one. The mode stays `loading` until it is known, so
 * no page redirects to sign-in before the session is resumed.
 */
export async function startSession(): Promise<void> {
  setUnauthorizedHandler(async () => (state.mode === 'accounts' ? refresh() : Promise.resolve(false)));
  let config: { signup_enabled: boolean } | undefined;
  try {
    config = await api<{ signup_enabled: boolean }>('/auth/config', { anonymous: true });
  } catch (error) {
    // 404: an API without accounts.
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  const signupEnabled = config?.signup_enabled ?? false;
  let accountsOff = config === undefined;
  if (config) {
    try {
      if (await tryRefresh()) {
        publish({ ...state, mode: 'accounts', signupEnabled });
        return;
      }
    } catch {
      accountsOff = true; // ACCOUNTS_DISABLED
    }
  }
  // Sign-up works only with accounts on; otherwise ask whether the API needs a credential at all.
  if (!accountsOff && signupEnabled) {
    publish({ mode: 'accounts', signedIn: false, signupEnabled });
    return;
  }
  if (!(await needsCredential())) {
    publish({ mode: 'off', signedIn: true, signupEnabled: false });
    return;
  }
  if (!accountsOff) {
    const probe = await api('/auth/me', { anonymous: true }).catch((error: unknown) => error);
    accountsOff = probe instanceof ApiError && probe.code === 'ACCOUNTS_DISABLED';
  }
  publish({ mode: accountsOff ? 'keys' : 'accounts', signedIn: false, signupEnabled });
}

/** @throws ApiError (UNAUTHORIZED for a wrong email or password, RATE_LIMITED, …). */
export async function signIn(email: string, password: string): Promise<void> {
  adopt(await api<Session>('/auth/signin', { method: 'POST', anonymous: true, json: { email, password } }));
}

/** @throws ApiError (ACCOUNT_EXISTS, VALIDATION_FAILED for a weak password, SIGNUP_DISABLED, …). */
export async function signUp(email: string, password: string): Promise<void> {
  adopt(await api<Session>('/auth/signup', { method: 'POST', anonymous: true, json: { email, password } }));
}

/** Checks an API key with a call that needs one, then keeps it in memory. @throws ApiError UNAUTHORIZED. */
export async function signInWithApiKey(key: string): Promise<void> {
  setCredential(key);
  try {
    await api('/operations');
  } catch (error) {
    setCredential(undefined);
    throw error;
  }
  publish({ ...state, signedIn: true, user: undefined });
}

export async function signOut(): Promise<void> {
  if (state.mode === 'accounts') {
    await api('/auth/signout', {
      method: 'POST',
      anonymous: true,
      headers: { 'X-CSRF-Token': readCookie(CSRF_COOKIE) },
    }).catch(() => undefined);
  }
  signedOut();
}

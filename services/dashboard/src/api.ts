/**
 * Calls to the API on the page's own origin. The access token lives in this
 * module's memory only (never in storage a script of another page could
 * read); a reload gets a new one from POST /auth/refresh (see session.ts).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let accessToken: string | undefined;
let onUnauthorized: (() => Promise<boolean>) | undefined;

/** The Bearer credential for every call: a person's access token or an API key; undefined when auth is off. */
export function setCredential(token: string | undefined): void {
  accessToken = token;
}

export function hasCredential(): boolean {
  return accessToken !== undefined;
}

/** Called once on a 401; true when it obtained a new credential, so the call is tried again. */
export function setUnauthorizedHandler(handler: (() => Promise<boolean>) | undefined): void {
  onUnauthorized = handler;
}

export function authHeaders(): Record<string, string> {
  return accessToken === undefined ? {} : { Authorization: `Bearer ${accessToken}` };
}

/** The value of a cookie the page may read (mf_csrf), or ''. */
export function readCookie(name: string): string {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

export interface RequestOptions {
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Send no Authorization header (the /auth routes that work by cookie). */
  anonymous?: boolean;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    if (body.error?.code) {
      return new ApiError(response.status, body.error.code, body.error.message ?? body.error.code, body.error.details);
    }
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return new ApiError(response.status, `HTTP_${response.status}`, `the server answered ${response.status}`);
}

/** A fetch to the API; a 401 gives the session one chance to refresh. */
export async function request(path: string, options: RequestOptions = {}, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (!options.anonymous) Object.assign(headers, authHeaders());
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    credentials: 'same-origin',
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status === 401 && !retried && !options.anonymous && onUnauthorized && (await onUnauthorized())) {
    return request(path, options, true);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

/** JSON body of a successful call; undefined for 204. @throws ApiError with the API's error code. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Downloads a file the API serves behind the credential: fetched, then saved through an object URL. */
export async function downloadFile(url: string, filename: string): Promise<void> {
  const response = await request(url, { headers: { Accept: '*/*' } });
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60_000);
}

/** A file's text (logs, transcripts) fetched with the credential. */
export async function fetchText(url: string): Promise<string> {
  const response = await request(url, { headers: { Accept: '*/*' } });
  return response.text();
}

/** After a 401 outside `request` (an XHR upload): true when the session got a new credential. */
export async function renewCredential(): Promise<boolean> {
  return onUnauthorized ? onUnauthorized() : false;
}

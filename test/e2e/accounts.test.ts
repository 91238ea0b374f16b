import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, loadConfig } from '@mediaflow/domain';
import { createInfrastructure } from '@mediaflow/runtime';
import type { Infrastructure } from '@mediaflow/runtime';
import { createApp } from '../../services/api/src/app';
import { hashApiKey, parseApiKeys } from '../../services/api/src/auth/api-keys';
import { listen } from '../../services/api/src/server';
import { dropDynamoTables } from '../support/dynamo-tables';
import { launchChromium } from '../support/browser-player';
import { TEST_KEYS } from '../support/system';

/**
 * People's accounts end to end, over real HTTP against the real API app on
 * both databases (FerretDB and DynamoDB Local) and S3: sign-up, sign-in, the
 * refresh cookie's rotation and reuse detection, CSRF, expiry, the sign-in
 * lockout (and that another address is not locked out), sign-out, password
 * change, personal API keys owning jobs, isolation between people, and that
 * no token, password or cookie reaches the logs. Then Chromium: it keeps the
 * Secure, SameSite=Strict refresh cookie from http://127.0.0.1 and sends it
 * back to /auth/refresh.
 */

jest.setTimeout(120_000);

const unique = (prefix: string): string => `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;

interface RunningApi {
  base: string;
  port: number;
  /** Every log line the API wrote (level http and above), as JSON text. */
  logs: string[];
  infrastructure: Infrastructure;
  close(): Promise<void>;
}

async function startApi(env: NodeJS.ProcessEnv, authDisabled = false): Promise<RunningApi> {
  const config = loadConfig({
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'http',
    QUEUE_BACKEND: 'memory',
    STORAGE_BACKEND: 's3',
    DATABASE_MIGRATE: 'on-start',
    SIGNUP_ENABLED: 'true',
    ...env,
  });
  const logs: string[] = [];
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'accounts-e2e' });
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(chunk.toString());
          done();
        },
      }),
    }),
  );
  const infrastructure = await createInfrastructure(config, logger);
  await infrastructure.queueReady;
  const apiKeys = parseApiKeys(`root:${hashApiKey(TEST_KEYS.admin)}:admin,alice:${hashApiKey(TEST_KEYS.alice)}`);
  const server = await listen(
    createApp({
      config,
      infrastructure,
      logger,
      apiKeys,
      authDisabled,
      accountTokenSecret: randomBytes(32),
    }),
    0,
    '127.0.0.1',
  );
  return {
    base: `http://127.0.0.1:${server.port}`,
    port: server.port,
    logs,
    infrastructure,
    close: async () => {
      await server.close();
      await infrastructure.close();
    },
  };
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  setCookies: string[];
}

/** One HTTP request over node:http, from a chosen local address (127.0.0.0/8 all reach the loopback listener). */
async function call(
  port: number,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; from?: string } = {},
): Promise<Reply> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise<Reply>((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress: options.from ?? '127.0.0.1',
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
            setCookies: response.headers['set-cookie'] ?? [],
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** What a browser would hold: the cookies the API set, and the access token of the last answer. */
class Person {
  cookies = new Map<string, string>();
  accessToken = '';
  /** Every secret seen, to prove none reaches the logs. */
  readonly secrets: string[];

  constructor(
    readonly api: RunningApi,
    readonly email: string,
    public password: string,
    readonly from = '127.0.0.1',
  ) {
    this.secrets = [password];
  }

  take(reply: Reply): Reply {
    for (const line of reply.setCookies) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else {
        this.cookies.set(name, value);
        this.secrets.push(value);
      }
    }
    if (typeof reply.body.access_token === 'string') {
      this.accessToken = reply.body.access_token;
      this.secrets.push(this.accessToken);
    }
    return reply;
  }

  cookieHeader(cookies = this.cookies): string {
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async signUp(): Promise<Reply> {
    return this.take(
      await call(this.api.port, 'POST', '/auth/signup', {
        body: { email: this.email, password: this.password },
        from: this.from,
      }),
    );
  }

  async signIn(password = this.password, from = this.from): Promise<Reply> {
    return this.take(
      await call(this.api.port, 'POST', '/auth/signin', { body: { email: this.email, password }, from }),
    );
  }

  /** POST /auth/refresh (or signout) with the held cookies and the CSRF header, as the dashboard sends them. */
  async cookieCall(
    path: string,
    overrides: { csrf?: string | null; origin?: string; cookies?: Map<string, string> } = {},
  ) {
    const cookies = overrides.cookies ?? this.cookies;
    const csrf = overrides.csrf === undefined ? cookies.get('mf_csrf') : overrides.csrf;
    return this.take(
      await call(this.api.port, 'POST', path, {
        headers: {
          cookie: this.cookieHeader(cookies),
          ...(csrf === null || csrf === undefined ? {} : { 'x-csrf-token': csrf }),
          ...(overrides.origin === undefined ? {} : { origin: overrides.origin }),
        },
        from: this.from,
      }),
    );
  }

  async get(path: string, credential = this.accessToken): Promise<Reply> {
    return call(this.api.port, 'GET', path, { headers: { authorization: `Bearer ${credential}` } });
  }

  async send(method: string, path: string, body?: unknown, credential = this.accessToken): Promise<Reply> {
    return call(this.api.port, method, path, { body, headers: { authorization: `Bearer ${credential}` } });
  }
}

const strongPassword = (): string => `pass phrase ${randomBytes(6).toString('hex')}`;
const code = (reply: Reply): unknown => (reply.body.error as { code?: string } | undefined)?.code;

const databases: [string, NodeJS.ProcessEnv][] = [
  ['mongodb', { DB_BACKEND: 'mongodb', MONGO_JOBS_COLLECTION: unique('jobs_accounts') }],
  ['dynamodb', { DB_BACKEND: 'dynamodb', DATABASE_COMPAT: 'none', DYNAMODB_TABLE: unique('mediaflow-accounts-e2e') }],
];

// DynamoDB Local starves its index builds when too many tables with time to live remain (see dropDynamoTables).
afterAll(async () => {
  for (const [, database] of databases) await dropDynamoTables(database.DYNAMODB_TABLE);
});

describe.each(databases)('accounts on %s', (_name, database) => {
  let api: RunningApi;
  const people: Person[] = [];
  const person = (from?: string): Person => {
    const created = new Person(api, `${unique('p')}@Example.com`, strongPassword(), from);
    people.push(created);
    return created;
  };

  beforeAll(async () => {
    api = await startApi(database);
  });
  afterAll(async () => api.close());

  it('signs up (the first account is admin), signs in and answers /auth/me; refuses duplicates and weak input', async () => {
    expect((await call(api.port, 'GET', '/auth/config')).body).toEqual({ signup_enabled: true });
    const ada = person();
    const created = await ada.signUp();
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      user: { id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string, email: ada.email.toLowerCase(), admin: true },
      access_token: expect.any(String) as string,
      expires_in: 900,
    });
    const refresh = created.setCookies.find((line) => line.startsWith('mf_refresh='));
    const csrf = created.setCookies.find((line) => line.startsWith('mf_csrf='));
    expect(refresh).toMatch(/; Path=\/auth;/);
    expect(refresh).toMatch(/; HttpOnly/);
    expect(refresh).toMatch(/; Secure/);
    expect(refresh).toMatch(/; SameSite=Strict/);
    expect(csrf).toMatch(/; Path=\/;/);
    expect(csrf).not.toMatch(/HttpOnly/);
    expect(csrf).toMatch(/; SameSite=Strict/);

    const me = await ada.get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual(created.body.user);

    const again = await call(api.port, 'POST', '/auth/signup', {
      body: { email: ada.email.toUpperCase(), password: strongPassword() },
    });
    expect([again.status, code(again)]).toEqual([409, 'ACCOUNT_EXISTS']);
    const weak = await call(api.port, 'POST', '/auth/signup', { body: { email: 'x@example.com', password: 'short' } });
    expect([weak.status, code(weak)]).toEqual([400, 'WEAK_PASSWORD']);
    const long = await call(api.port, 'POST', '/auth/signup', {
      body: { email: 'x@example.com', password: 'x'.repeat(257) },
    });
    expect([long.status, code(long)]).toEqual([400, 'WEAK_PASSWORD']);
    const badEmail = await call(api.port, 'POST', '/auth/signup', {
      body: { email: 'nope', password: strongPassword() },
    });
    expect([badEmail.status, code(badEmail)]).toEqual([400, 'VALIDATION_FAILED']);

    // The second account is not admin.
    const bea = person();
    expect(((await bea.signUp()).body.user as { admin: boolean }).admin).toBe(false);

    const wrong = await ada.signIn('wrong password!!');
    const unknown = await call(api.port, 'POST', '/auth/signin', {
      body: { email: 'nobody@example.com', password: 'whatever it is' },
    });
    expect([wrong.status, code(wrong)]).toEqual([401, 'UNAUTHORIZED']);
    expect([unknown.status, unknown.body]).toEqual([401, wrong.body]);
    const signedIn = await ada.signIn();
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toEqual(created.body.user);
  });

  it('rotates the refresh token; reusing a rotated one ends the whole session', async () => {
    const cy = person();
    await cy.signUp();
    const first = new Map(cy.cookies);
    const refreshed = await cy.cookieCall('/auth/refresh');
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ user: { email: cy.email.toLowerCase() }, expires_in: 900 });
    expect(cy.cookies.get('mf_refresh')).not.toBe(first.get('mf_refresh'));
    expect((await cy.get('/auth/me')).status).toBe(200);
    const second = new Map(cy.cookies);
    expect((await cy.cookieCall('/auth/refresh')).status).toBe(200);

    // The first token again (a thief's copy, say): 401, and the family is revoked...
    const reuse = await cy.cookieCall('/auth/refresh', { cookies: first });
    expect([reuse.status, code(reuse)]).toEqual([401, 'UNAUTHORIZED']);
    expect(String((reuse.body.error as { message: string }).message)).toMatch(/used already/);
    // ...so the newest token, descended from the same sign-in, no longer works either.
    cy.cookies = new Map(second);
    const replay = await cy.cookieCall('/auth/refresh', { cookies: second });
    expect(replay.status).toBe(401);
    // A new sign-in is a new session.
    expect((await cy.signIn()).status).toBe(200);
    expect((await cy.cookieCall('/auth/refresh')).status).toBe(200);

    // Two refreshes racing with one token: exactly one wins; the other is reuse.
    const held = new Map(cy.cookies);
    const raced = await Promise.all([
      cy.cookieCall('/auth/refresh', { cookies: held }),
      cy.cookieCall('/auth/refresh', { cookies: held }),
    ]);
    expect(raced.map((reply) => reply.status).sort()).toEqual([200, 401]);
  });

  it('refuses a refresh without the CSRF header, with a wrong one, or from another origin', async () => {
    const di = person();
    await di.signUp();
    const missing = await di.cookieCall('/auth/refresh', { csrf: null });
    expect([missing.status, code(missing)]).toEqual([403, 'CSRF_REJECTED']);
    const wrong = await di.cookieCall('/auth/refresh', { csrf: 'A'.repeat(43) });
    expect([wrong.status, code(wrong)]).toEqual([403, 'CSRF_REJECTED']);
    const foreign = await di.cookieCall('/auth/refresh', { origin: 'https://evil.example' });
    expect([foreign.status, code(foreign)]).toEqual([403, 'CSRF_REJECTED']);
    const own = await di.cookieCall('/auth/refresh', { origin: api.base });
    expect(own.status).toBe(200);
    // Sign-out needs the header too.
    expect((await di.cookieCall('/auth/signout', { csrf: null })).status).toBe(403);
  });

  it('locks an (account, address) pair out after repeated failures, for a bounded time, never another address', async () => {
    const eve = person('127.0.0.3');
    await eve.signUp();
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      expect((await eve.signIn('not the password')).status).toBe(401);
    }
    // Locked now (1 s after the 5th failure), even with the right password.
    const locked = await eve.signIn();
    expect([locked.status, code(locked)]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(900);
    // From another address the person signs in at once.
    expect((await eve.signIn(eve.password, '127.0.0.4')).status).toBe(200);
    // And the locked address may try again once Retry-After has passed.
    await new Promise((resolve) => setTimeout(resolve, Number(locked.headers['retry-after']) * 1000 + 200));
    expect((await eve.signIn()).status).toBe(200);
  });

  it('signs out: the session ends and the cookies are cleared', async () => {
    const fay = person();
    await fay.signUp();
    const held = new Map(fay.cookies);
    const out = await fay.cookieCall('/auth/signout');
    expect(out.status).toBe(204);
    expect(out.setCookies.some((line) => /^mf_refresh=;.*Path=\/auth/.test(line))).toBe(true);
    expect(out.setCookies.some((line) => /^mf_csrf=;/.test(line))).toBe(true);
    expect((await fay.cookieCall('/auth/refresh', { cookies: held })).status).toBe(401);
  });

  it('changes the password and ends the account’s other sessions', async () => {
    const gus = person();
    await gus.signUp();
    const other = new Person(api, gus.email, gus.password);
    await other.signIn();
    const wrong = await gus.send('POST', '/auth/password', {
      current_password: 'not it at all',
      new_password: strongPassword(),
    });
    expect([wrong.status, code(wrong)]).toEqual([403, 'FORBIDDEN']);
    const weak = await gus.send('POST', '/auth/password', { current_password: gus.password, new_password: 'short' });
    expect([weak.status, code(weak)]).toEqual([400, 'WEAK_PASSWORD']);
    const next = strongPassword();
    expect(
      (await gus.send('POST', '/auth/password', { current_password: gus.password, new_password: next })).status,
    ).toBe(204);
    gus.secrets.push(next);
    expect((await other.cookieCall('/auth/refresh')).status).toBe(401);
    expect((await gus.cookieCall('/auth/refresh')).status).toBe(200);
    expect((await gus.signIn()).status).toBe(401);
    gus.password = next;
    expect((await gus.signIn()).status).toBe(200);
    people.push(other);
  });

  it('makes personal API keys that own jobs, lists them without the key, revokes them; people see only their jobs', async () => {
    const hal = person();
    const ivy = person();
    await hal.signUp();
    await ivy.signUp();
    const halId = (hal.take(await hal.signIn()).body.user as { id: string }).id;

    const made = await hal.send('POST', '/auth/keys', { name: 'nightly batch' });
    expect(made.status).toBe(201);
    expect(made.body).toEqual({
      id: expect.stringMatching(/^key_[0-9a-f]{32}$/) as string,
      name: 'nightly batch',
      key: expect.stringMatching(/^mfk_/) as string,
      created_at: expect.any(String) as string,
    });
    const key = String(made.body.key);
    hal.secrets.push(key);
    const listed = await hal.get('/auth/keys');
    expect(listed.body).toEqual({
      keys: [{ id: made.body.id, name: 'nightly batch', created_at: made.body.created_at }],
    });
    expect((await ivy.get('/auth/keys')).body).toEqual({ keys: [] });
    // A key manages no keys: that needs a signed-in session.
    expect((await hal.get('/auth/keys', key)).status).toBe(403);
    expect((await hal.get('/auth/me', key)).body).toMatchObject({ id: halId });

    // The program uploads and submits with the key; the job is the person's.
    const upload = await call(api.port, 'PUT', '/uploads/clip.mp4', {
      headers: { authorization: `Bearer ${key}`, 'content-type': 'video/mp4' },
    });
    expect(upload.status).toBe(201);
    const submitted = await hal.send('POST', '/process', { source: upload.body.source, method_name: 'compress' }, key);
    expect(submitted.status).toBe(202);
    const jobId = String(submitted.body.job_id);
    expect((await hal.get(`/status/${jobId}`)).status).toBe(200);
    const halList = await hal.get('/process');
    expect((halList.body.jobs as { job_id: string }[]).map((job) => job.job_id)).toContain(jobId);

    // Another person neither sees nor touches it; nor does a configured non-admin key.
    expect((await ivy.get(`/status/${jobId}`)).status).toBe(404);
    expect((await ivy.send('POST', `/jobs/${jobId}/cancel`, {})).status).toBe(404);
    expect((await ivy.get('/process')).body.jobs).toEqual([]);
    expect((await ivy.get(`/status/${jobId}`, TEST_KEYS.alice)).status).toBe(404);
    // Nor may another person submit from hal's upload.
    const stolen = await ivy.send('POST', '/process', { source: upload.body.source, method_name: 'compress' });
    expect(stolen.status).toBe(404);
    // The configured admin key sees it.
    expect((await hal.get(`/status/${jobId}`, TEST_KEYS.admin)).status).toBe(200);

    expect((await ivy.send('DELETE', `/auth/keys/${String(made.body.id)}`)).status).toBe(404);
    expect((await hal.send('DELETE', `/auth/keys/${String(made.body.id)}`)).status).toBe(204);
    expect((await hal.get('/auth/me', key)).status).toBe(401);
    expect((await hal.get('/auth/keys')).body).toEqual({ keys: [] });
  });

  it('never logs a token, password or cookie', async () => {
    // Give the access log's `finish` handlers a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = api.logs.join('\n');
    expect(text).toMatch(/"path":"\/auth\/signin"/);
    const secrets = people.flatMap((someone) => someone.secrets).filter((secret) => secret.length >= 8);
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    expect(text).not.toMatch(/authorization|set-cookie|"cookie"|mf_refresh|mf_csrf|password":/i);
  });
});

describe('access and refresh token expiry', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({
      DB_BACKEND: 'mongodb',
      MONGO_JOBS_COLLECTION: unique('jobs_accounts_ttl'),
      AUTH_ACCESS_TOKEN_TTL_SECONDS: '1',
      AUTH_REFRESH_TOKEN_TTL_SECONDS: '3',
    });
  });
  afterAll(async () => api.close());

  it('expires the access token after its TTL and the refresh token after its own', async () => {
    const jo = new Person(api, `${unique('jo')}@example.com`, strongPassword());
    expect((await jo.signUp()).body.expires_in).toBe(1);
    expect((await jo.get('/auth/me')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const expired = await jo.get('/auth/me');
    expect([expired.status, code(expired)]).toEqual([401, 'UNAUTHORIZED']);
    // The refresh token (3 s) still works, and its successor lives 3 s from now.
    expect((await jo.cookieCall('/auth/refresh')).status).toBe(200);
    expect((await jo.get('/auth/me')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    expect((await jo.cookieCall('/auth/refresh')).status).toBe(401);
  });
});

describe('in Chromium', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ DB_BACKEND: 'mongodb', MONGO_JOBS_COLLECTION: unique('jobs_accounts_browser') });
  });
  afterAll(async () => api.close());

  it('keeps the Secure, SameSite=Strict refresh cookie from http://127.0.0.1 and sends it to /auth/refresh', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // A blank page of the API's origin (the API's own pages forbid scripts to connect: CSP default-src 'none');
      // only this URL is stubbed, every fetch below reaches the API.
      const blank = `${api.base}/__accounts_test_page`;
      await page.route(blank, async (route) =>
        route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>t</title>' }),
      );
      await page.goto(blank);
      const email = `${unique('web')}@example.com`;
      const signedUp = await page.evaluate(
        async (credentials) => {
          const response = await fetch('/auth/signup', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(credentials),
          });
          return response.status;
        },
        { email, password: strongPassword() },
      );
      expect(signedUp).toBe(201);
      const cookies = await page.context().cookies();
      expect(cookies.find((cookie) => cookie.name === 'mf_refresh')).toMatchObject({
        path: '/auth',
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
      });
      expect(cookies.find((cookie) => cookie.name === 'mf_csrf')).toMatchObject({ path: '/', httpOnly: false });
      // The page reads mf_csrf (not the HttpOnly refresh token) and refreshes; the browser sends the cookie.
      const refreshed = await page.evaluate(async () => {
        // No DOM types here (tsconfig lib): the page's document, as far as this test reads it.
        const { cookie } = (globalThis as unknown as { document: { cookie: string } }).document;
        const csrf = /(?:^|; )mf_csrf=([^;]*)/.exec(cookie)?.[1] ?? '';
        const sees = cookie.includes('mf_refresh');
        const response = await fetch('/auth/refresh', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
        const body = (await response.json()) as { user?: { email?: string } };
        return { status: response.status, email: body.user?.email, sees };
      });
      expect(refreshed).toEqual({ status: 200, email, sees: false });
    } finally {
      await browser.close();
    }
  });
});

describe('with authentication off (AUTH_DISABLED)', () => {
  let api: RunningApi;
  beforeAll(async () => {
    api = await startApi({ DB_BACKEND: 'mongodb', MONGO_JOBS_COLLECTION: unique('jobs_accounts_open') }, true);
  });
  afterAll(async () => api.close());

  it('refuses the account routes clearly, and says sign-up is off', async () => {
    expect((await call(api.port, 'GET', '/auth/config')).body).toEqual({ signup_enabled: false });
    for (const [method, path] of [
      ['POST', '/auth/signup'],
      ['POST', '/auth/signin'],
      ['POST', '/auth/refresh'],
      ['GET', '/auth/me'],
      ['GET', '/auth/keys'],
    ]) {
      const reply = await call(api.port, method, path, method === 'POST' ? { body: {} } : {});
      expect([path, reply.status, code(reply)]).toEqual([path, 403, 'ACCOUNTS_DISABLED']);
      expect(String((reply.body.error as { message: string }).message)).toMatch(/AUTH_DISABLED/);
    }
  });
});

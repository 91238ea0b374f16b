import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../support/embedded';
import { freePort } from '../support/processes';
import type { ServiceProcess } from '../support/processes';

/**
 * Accounts in the single-machine mode (`npm start`, embedded database): with
 * SIGNUP_ENABLED and no AUTH_TOKEN_SECRET the process generates a secret and
 * keeps it in DATA_DIR, so an access token and the refresh cookie issued
 * before a restart still work after it; authentication is on (no configured
 * keys needed), and the process's log holds no token or password.
 */

jest.setTimeout(180_000);

describe('accounts in the embedded mode', () => {
  let dataDir: string;
  let running: ServiceProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-accounts-embedded-'));
  });
  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps sessions and the generated secret across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    running = await startEmbedded(dataDir, port, { SIGNUP_ENABLED: 'true' });

    expect((await fetch(`${base}/process`)).status).toBe(401);
    const password = `embedded pass ${randomBytes(6).toString('hex')}`;
    const signedUp = await fetch(`${base}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'solo@example.com', password }),
    });
    expect(signedUp.status).toBe(201);
    const session = (await signedUp.json()) as { access_token: string; user: { admin: boolean } };
    expect(session.user.admin).toBe(true);
    const cookies = new Map(
      signedUp.headers.getSetCookie().map((line) => {
        const [pair] = line.split(';');
        return [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)] as const;
      }),
    );
    const secretFile = path.join(dataDir, 'auth-token-secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const secret = await readFile(secretFile, 'utf8');

    expect(await running.stop()).toBe(0);
    const firstLog = running.output();
    running = await startEmbedded(dataDir, port, { SIGNUP_ENABLED: 'true' });
    expect(await readFile(secretFile, 'utf8')).toBe(secret);

    // The access token from before the restart verifies with the kept secret...
    const me = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${session.access_token}` } });
    expect(me.status).toBe(200);
    // ...and the refresh token's session survived in the embedded database.
    const refreshed = await fetch(`${base}/auth/refresh`, {
      method: 'POST',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        'x-csrf-token': cookies.get('mf_csrf') ?? '',
      },
    });
    expect(refreshed.status).toBe(200);

    const log = firstLog + running.output();
    for (const secretValue of [password, session.access_token, cookies.get('mf_refresh') ?? '', secret.trim()]) {
      expect(secretValue.length).toBeGreaterThan(8);
      expect(log.includes(secretValue)).toBe(false);
    }
  });
});

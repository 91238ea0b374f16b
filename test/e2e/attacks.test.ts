/**
 * The API faces the internet: one test per attack, each asserting the exact
 * status and that nothing leaked or was written.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ApiClient } from '../support/api-client';
import {
  writeAviWithGab2Playlist,
  writeCanaries,
  writeFfconcatList,
  writeHlsPlaylist,
  writeMatroskaClaiming,
} from '../support/hostile-media';
import type { Canaries } from '../support/hostile-media';
import { submitJob, waitForJob } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { TEST_KEYS, startSystem } from '../support/system';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import type { RunningSystem } from '../support/system';

jest.setTimeout(300_000);

interface ErrorBody {
  error: { code: string; message: string };
}

describe('attacks on the internet-facing API', () => {
  let system: RunningSystem;
  let dir: string;
  let source: string;
  let canaries: Canaries;
  let alice: ApiClient;
  let bob: ApiClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-attacks-'));
    canaries = await writeCanaries(dir);
    const clip = path.join(dir, 'clip.mp4');
    await makeClip(clip, { seconds: 2 });
    system = await startSystem({ db: 'dynamodb', workers: 1, env: { UPLOAD_MAX_BYTES: String(2 * 1024 * 1024) } });
    alice = system.client.as(TEST_KEYS.alice);
    bob = system.client.as(TEST_KEYS.bob);
    source = await alice.upload('clip.mp4', clip);
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  const jobCount = async (client: ApiClient): Promise<number> =>
    (await client.request<{ count: number }>('GET', '/process?limit=1')).body.count;

  it.each([
    ['/etc/passwd'],
    ['file:///etc/passwd'],
    ['s3://other-bucket/x.mp4'],
    ['../../x'],
    ['s3://mediaflow-input/../../etc/passwd'],
    ['http://169.254.169.254/latest/meta-data/'],
  ])('refuses the source %s with 400 INVALID_SOURCE and stores nothing', async (evil) => {
    const before = await jobCount(alice);
    const response = await alice.postJson<ErrorBody>('/process', { source: evil, method_name: 'compress' });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_SOURCE');
    expect(await jobCount(alice)).toBe(before);
  });

  const hostileJob = async (file: string, name: string): Promise<{ status: string; code?: string; job: string }> => {
    const uploaded = await alice.upload(name, file, 'video/mp4');
    const job = await submitJob(alice, { source: uploaded, method_name: 'compress' });
    const { final } = await waitForJob(alice, job);
    // Whatever the worker wrote about the job must not contain the secret.
    const everything = JSON.stringify(final) + system.logs();
    expect(everything).not.toContain(canaries.marker);
    return { status: final.status, code: final.error?.code, job };
  };

  it('an uploaded .mp4 that is an HLS playlist pointing at local files fails without reading them', async () => {
    const file = await writeHlsPlaylist(dir, ['file:///etc/passwd', canaries.textPath, canaries.mediaPath], 'hls.mp4');
    const result = await hostileJob(file, 'movie.mp4');
    expect(result).toMatchObject({ status: 'failed', code: 'UNSUPPORTED_MEDIA' });
    expect((await alice.request('GET', `/download/${result.job}`)).status).toBe(409);
  });

  it('an ffconcat list is refused', async () => {
    const file = await writeFfconcatList(dir, ['/etc/passwd', canaries.mediaPath], 'concat.mp4');
    expect(await hostileJob(file, 'concat.mp4')).toMatchObject({ status: 'failed', code: 'UNSUPPORTED_MEDIA' });
  });

  it('an AVI carrying a playlist (the GAB2 trick) is refused', async () => {
    const file = await writeAviWithGab2Playlist(dir, ['file:///etc/passwd', canaries.textPath], 'gab2.mp4');
    expect(await hostileJob(file, 'gab2.mp4')).toMatchObject({ status: 'failed', code: 'UNSUPPORTED_MEDIA' });
  });

  it('a header bomb claiming 100000x100000 never reaches the encoder', async () => {
    const file = await writeMatroskaClaiming(dir, { width: 100_000, height: 100_000 }, 'bomb.mkv');
    const result = await hostileJob(file, 'bomb.mkv');
    expect(result).toMatchObject({ status: 'failed', code: 'MEDIA_LIMIT_EXCEEDED' });
  });

  it('refuses oversized bodies with 413', async () => {
    const big = await alice.postJson<ErrorBody>('/process', {
      source,
      method_name: 'compress',
      pad: 'x'.repeat(100_000),
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');

    const declared = await alice.request<ErrorBody>('PUT', '/uploads/big.mp4', {
      headers: { 'content-type': 'video/mp4' },
      body: Buffer.alloc(3 * 1024 * 1024),
    });
    expect(declared.status).toBe(413);

    // No Content-Length: the limit is enforced while streaming.
    let sent = 0;
    const chunks = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 12) controller.close();
        else controller.enqueue(Buffer.alloc(256 * 1024, sent++));
      },
    });
    const streamed = await fetch(`${system.client.baseUrl}/uploads/streamed.mp4`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TEST_KEYS.alice}`, 'content-type': 'video/mp4' },
      body: chunks,
      duplex: 'half',
    });
    expect(streamed.status).toBe(413);

    // Routes that take no real body refuse a large one before reading it.
    const stuffed = await alice.request<ErrorBody>('POST', '/jobs/00000000-0000-4000-8000-000000000000/cancel', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(100_000) }),
    });
    expect(stuffed.status).toBe(413);
  });

  it('answers malformed JSON and wrong content types with 4xx', async () => {
    const malformed = await alice.request<ErrorBody>('POST', '/process', {
      headers: { 'content-type': 'application/json' },
      body: '{"source": "s3://',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_JSON');
    const notJson = await alice.request<ErrorBody>('POST', '/process', {
      headers: { 'content-type': 'text/plain' },
      body: 'compress please',
    });
    expect(notJson.status).toBe(415);
    const deep = await alice.request<ErrorBody>('POST', '/process', {
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(5000)}${']'.repeat(5000)}`,
    });
    expect(deep.status).toBe(400);
  });

  it('sanitises unicode, traversal and very long upload names', async () => {
    const clip = path.join(dir, 'clip.mp4');
    const cases: [string, RegExp][] = [
      // Letters of every script are kept (NFC); the space and the emoji are not.
      ['vidéo été 🎬.mp4', /^s3:\/\/mediaflow-input\/uploads\/[0-9a-f-]{36}\/vidéo_été\.mp4$/],
      ['../../etc/passwd', /^s3:\/\/mediaflow-input\/uploads\/[0-9a-f-]{36}\/etc_passwd$/],
      [`${'a'.repeat(3000)}.mp4`, /^s3:\/\/mediaflow-input\/uploads\/[0-9a-f-]{36}\/a{196}\.mp4$/],
    ];
    for (const [name, expected] of cases) {
      const response = await alice.request<{ source: string }>('PUT', `/uploads/${encodeURIComponent(name)}`, {
        headers: { 'content-type': 'video/mp4' },
        body: await readFile(clip),
      });
      expect({ name, status: response.status }).toEqual({ name, status: 201 });
      expect(response.body.source).toMatch(expected);
    }
    const empty = await alice.request<ErrorBody>('PUT', `/uploads/${encodeURIComponent('...')}`, { body: 'x' });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe('INVALID_FILENAME');
  });

  it("hides another key's jobs: 404 everywhere, never 403", async () => {
    const aliceJob = await submitJob(alice, { source, method_name: 'extract_audio' });
    await waitForJob(alice, aliceJob);
    for (const [method, route] of [
      ['GET', `/status/${aliceJob}`],
      ['GET', `/download/${aliceJob}`],
      ['POST', `/jobs/${aliceJob}/cancel`],
      ['POST', `/jobs/${aliceJob}/retry`],
    ] as const) {
      const response = await bob.request<ErrorBody>(method, route);
      expect({ route, status: response.status, code: response.body.error.code }).toEqual({
        route,
        status: 404,
        code: 'JOB_NOT_FOUND',
      });
    }
    const bobsList = await bob.request<{ jobs: { job_id: string }[] }>('GET', '/process?limit=100');
    expect(bobsList.body.jobs.map((job) => job.job_id)).not.toContain(aliceJob);
    const alicesList = await alice.request<{ jobs: { job_id: string }[] }>('GET', '/process?limit=100');
    expect(alicesList.body.jobs.map((job) => job.job_id)).toContain(aliceJob);
    const adminView = await system.client.request('GET', `/status/${aliceJob}`);
    expect(adminView.status).toBe(200);
    expect((await bob.request('GET', '/dead-letters')).status).toBe(403);
  });

  it('requires a valid key everywhere but health and docs, and never logs keys', async () => {
    const anonymous = system.client.as(undefined);
    for (const [method, route] of [
      ['POST', '/process'],
      ['GET', '/process'],
      ['GET', '/status/00000000-0000-4000-8000-000000000000'],
      ['PUT', '/uploads/x.mp4'],
    ] as const) {
      const response = await anonymous.request<ErrorBody>(method, route);
      expect({ route, status: response.status }).toEqual({ route, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    const forged = system.client.as('mf_test_alice_0b6d2c3X');
    expect((await forged.request('GET', '/process')).status).toBe(401);
    expect(
      (await anonymous.request('GET', '/process', { headers: { authorization: 'Basic YWxpY2U6eA==' } })).status,
    ).toBe(401);
    for (const route of ['/', '/healthz', '/readyz', '/openapi.json', '/docs']) {
      expect({ route, status: (await anonymous.request('GET', route)).status }).toEqual({ route, status: 200 });
    }
    const logs = system.logs();
    for (const key of Object.values(TEST_KEYS)) expect(logs).not.toContain(key);
    expect(logs).not.toContain('mf_test_alice_0b6d2c3X');
  });

  it('answers a burst over the rate limit and the active-job cap with 429 and Retry-After', async () => {
    const limited = await startSystem({
      db: 'mongodb',
      workers: 0,
      env: { SUBMIT_BURST: '3', SUBMIT_RATE_PER_MINUTE: '6', MAX_ACTIVE_JOBS_PER_KEY: '1000' },
    });
    const capped = await startSystem({
      db: 'mongodb',
      workers: 0,
      env: { MAX_ACTIVE_JOBS_PER_KEY: '2' },
    });
    try {
      const clip = path.join(dir, 'clip.mp4');
      const client = limited.client.as(TEST_KEYS.alice);
      const limitedSource = await client.upload('clip.mp4', clip);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 6; i += 1) {
        const response = await client.postJson('/process', { source: limitedSource, method_name: 'compress' });
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
      expect(statuses.slice(3)).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket (and its own upload: Alice's is not Bob's to use).
      const other = limited.client.as(TEST_KEYS.bob);
      const otherSource = await other.upload('clip.mp4', clip);
      expect((await other.postJson('/process', { source: otherSource, method_name: 'compress' })).status).toBe(202);

      const cappedClient = capped.client.as(TEST_KEYS.alice);
      const cappedSource = await cappedClient.upload('clip.mp4', clip);
      const first = await cappedClient.postJson('/process', { source: cappedSource, method_name: 'compress' });
      const second = await cappedClient.postJson('/process', { source: cappedSource, method_name: 'compress' });
      const third = await cappedClient.postJson<ErrorBody>('/process', {
        source: cappedSource,
        method_name: 'compress',
      });
      expect([first.status, second.status, third.status]).toEqual([202, 202, 429]);
      expect(third.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(third.headers.get('retry-after')).toBeTruthy();
    } finally {
      await Promise.all([limited.stop(), capped.stop()]);
    }
  });
});

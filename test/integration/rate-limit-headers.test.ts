import { randomBytes } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import type { ApiResponse } from '../support/api-client';
import { startInProcessApi } from '../support/in-process-api';
import type { InProcessApi } from '../support/in-process-api';
import { TEST_KEYS } from '../support/system';

/**
 * Issue 13: the submit rate limit counts accepted work. A request refused
 * as invalid spends no token; responses that took one describe the bucket
 * with the RateLimit-* fields of draft-ietf-httpapi-ratelimit-headers-06.
 * The real API app over each real database (and the embedded one).
 */

const BURST = 3;
// One token a minute: over a few seconds of test, next to no refill.
const PER_MINUTE = 1;

function limits(response: ApiResponse): Record<string, string | null> {
  const names = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy', 'retry-after'];
  return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
}

describe.each(['dynamodb', 'mongodb', 'embedded'] as const)('submit rate limit counts accepted work (%s)', (db) => {
  let api: InProcessApi;
  let client: ApiClient;
  let source: string;

  beforeAll(async () => {
    const runId = randomBytes(4).toString('hex');
    api = await startInProcessApi({
      DB_BACKEND: db,
      DB_NAME: `ratehdr_${runId}`,
      DYNAMODB_TABLE: `ratehdr-jobs-${runId}`,
      ...(db === 'embedded' ? { STORAGE_BACKEND: 'local' } : {}),
      SUBMIT_RATE_PER_MINUTE: String(PER_MINUTE),
      SUBMIT_BURST: String(BURST),
      MAX_ACTIVE_JOBS_PER_KEY: '100000',
      RESULT_REUSE_SCOPE: 'off',
    });
    const ref = { bucket: api.config.INPUT_BUCKET, key: `rate-headers/${runId}.mp4` };
    await api.infrastructure.store.put(ref, Buffer.from('not really a video'), { contentType: 'video/mp4' });
    source = `s3://${ref.bucket}/${ref.key}`;
    client = new ApiClient(api.base, TEST_KEYS.alice);
  }, 60_000);

  afterAll(async () => {
    await api?.close();
  });

  it('spends no token on invalid requests, then describes the bucket on 202 and 429', async () => {
    // Invalid in every way the API judges without I/O: none of these spends a token.
    const invalid = [
      await client.postJson('/process', { source, method_name: 'no_such_operation' }),
      await client.postJson('/process', { source, method_name: 'compress', params: { crf: 99 } }),
      await client.postJson('/process', { method_name: 'compress' }),
      await client.postJson('/process', { source: 's3://some-other-bucket/x.mp4', method_name: 'compress' }),
      await client.request('POST', '/process', {
        headers: { 'content-type': 'application/json', 'idempotency-key': 'x'.repeat(201) },
        body: JSON.stringify({ source, method_name: 'compress' }),
      }),
      await client.request('POST', '/process', { headers: { 'content-type': 'application/json' }, body: '{"source":' }),
      await client.request('POST', '/process', { headers: { 'content-type': 'text/plain' }, body: 'compress' }),
    ];
    expect(invalid.map((response) => response.status)).toEqual([400, 400, 400, 400, 400, 400, 415]);
    for (const response of invalid) expect(response.headers.get('ratelimit-remaining')).toBeNull();

    // The whole burst is still there.
    const accepted = [];
    for (let index = 0; index < BURST; index += 1) {
      accepted.push(await client.postJson('/process', { source, method_name: 'compress' }));
    }
    expect(accepted.map((response) => response.status)).toEqual([202, 202, 202]);
    accepted.forEach((response, index) => {
      const fields = limits(response);
      expect(fields).toMatchObject({
        'ratelimit-limit': String(BURST),
        'ratelimit-remaining': String(BURST - 1 - index),
        'ratelimit-policy': `${BURST};w=${(BURST * 60) / PER_MINUTE}`,
        'retry-after': null,
      });
      // Full again once every token taken so far has refilled: 60 s a token.
      const reset = Number(fields['ratelimit-reset']);
      expect(reset).toBeLessThanOrEqual((index + 1) * 60);
      expect(reset).toBeGreaterThanOrEqual((index + 1) * 60 - 5);
    });

    const refused = await client.postJson('/process', { source, method_name: 'compress' });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    const fields = limits(refused);
    expect(fields).toMatchObject({ 'ratelimit-limit': String(BURST), 'ratelimit-remaining': '0' });
    expect(Number(fields['ratelimit-reset'])).toBeGreaterThanOrEqual(BURST * 60 - 5);
    expect(Number(fields['ratelimit-reset'])).toBeLessThanOrEqual(BURST * 60);
    // Retry-After: one token's refill, less than the full reset.
    expect(Number(fields['retry-after'])).toBeGreaterThanOrEqual(55);
    expect(Number(fields['retry-after'])).toBeLessThanOrEqual(60);
  }, 60_000);

  it('still charges a valid request whose source turns out missing: checking it costs the storage a call', async () => {
    // Another key: a bucket of its own, still full.
    const missing = await client.as(TEST_KEYS.bob).postJson('/process', {
      source: `s3://${api.config.INPUT_BUCKET}/rate-headers/missing-${randomBytes(4).toString('hex')}.mp4`,
      method_name: 'compress',
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('ratelimit-remaining')).toBe(String(BURST - 1));
  }, 30_000);
});

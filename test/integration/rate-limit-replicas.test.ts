import { randomBytes } from 'node:crypto';
import { ApiClient } from '../support/api-client';
import { startInProcessApi } from '../support/in-process-api';
import type { InProcessApi } from '../support/in-process-api';
import { TEST_KEYS } from '../support/system';

/**
 * Issue 12: one API key far under its submit limit must never see 429, and
 * over it exactly the excess does, with Retry-After, however many API
 * replicas share the bucket. Two in-process API replicas on one database.
 */

const SUBMITS = 64;

async function startReplicas(db: 'dynamodb' | 'mongodb', burst: number): Promise<InProcessApi[]> {
  const runId = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    DB_BACKEND: db,
    DB_NAME: `rate_${runId}`,
    DYNAMODB_TABLE: `rate-jobs-${runId}`,
    // One token a minute: over the few seconds of a test, next to no refill.
    SUBMIT_RATE_PER_MINUTE: '1',
    SUBMIT_BURST: String(burst),
    MAX_ACTIVE_JOBS_PER_KEY: '100000',
    RESULT_REUSE_SCOPE: 'off',
  };
  const first = await startInProcessApi(env);
  try {
    return [first, await startInProcessApi(env)];
  } catch (error) {
    await first.close();
    throw error;
  }
}

async function submitConcurrently(
  replicas: InProcessApi[],
): Promise<Array<{ status: number; retryAfter: string | null }>> {
  const [first] = replicas;
  const source = { bucket: first.config.INPUT_BUCKET, key: `rate-limit-test/${randomBytes(6).toString('hex')}.mp4` };
  await first.infrastructure.store.put(source, Buffer.from('not really a video'), { contentType: 'video/mp4' });
  const clients = replicas.map((replica) => new ApiClient(replica.base, TEST_KEYS.admin));
  const body = { source: `s3://${source.bucket}/${source.key}`, method_name: 'compress' };
  return Promise.all(
    Array.from({ length: SUBMITS }, async (_, index) => {
      const response = await clients[index % clients.length].postJson('/process', body);
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    }),
  );
}

describe.each(['dynamodb', 'mongodb'] as const)('submit rate limit across two API replicas (%s)', (db) => {
  let replicas: InProcessApi[] = [];

  afterEach(async () => {
    await Promise.all(replicas.map(async (replica) => replica.close()));
    replicas = [];
  });

  it(`${SUBMITS} concurrent submits under the limit: all accepted`, async () => {
    replicas = await startReplicas(db, SUBMITS);
    const results = await submitConcurrently(replicas);
    expect(results.filter((result) => result.status !== 202)).toEqual([]);
  }, 60_000);

  it(`${SUBMITS} concurrent submits over a burst of 40: exactly the excess refused, with Retry-After`, async () => {
    replicas = await startReplicas(db, 40);
    const results = await submitConcurrently(replicas);
    expect(results.filter((result) => result.status === 202)).toHaveLength(40);
    const refused = results.filter((result) => result.status === 429);
    expect(refused).toHaveLength(SUBMITS - 40);
    for (const result of refused) expect(Number(result.retryAfter)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

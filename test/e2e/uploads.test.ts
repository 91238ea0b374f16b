import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { parseS3Uri } from '@mediaflow/domain';
import { createS3Client, S3ObjectStore, uploadInfo } from '@mediaflow/storage';
import { ApiClient } from '../support/api-client';
import type { JsonObject } from '../support/api-client';
import { startEmbedded } from '../support/embedded';
import { freePort, startService, waitFor } from '../support/processes';
import type { ServiceProcess } from '../support/processes';
import { startSystem, TEST_KEYS } from '../support/system';
import type { DbBackend, RunningSystem } from '../support/system';

/**
 * Uploads against real processes: presigned multipart on the S3 server
 * (resumed across an API restart), its embedded-mode twin on the local disk,
 * tus 1.0 with a dropped connection, and tenant isolation on every route.
 */

jest.setTimeout(300_000);

const MiB = 1024 * 1024;
const SECRET = 'e2e-upload-signing-secret-0123456789abcdef';

const s3 = {
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.S3_ENDPOINT ?? '',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'minioadmin',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'minioadmin',
  },
};

interface PartUrl {
  part_number: number;
  size_bytes: number;
  url: string;
  expires_at: string;
}
interface CreatedUpload {
  upload_id: string;
  part_size_bytes: number;
  part_count: number;
  parts: PartUrl[];
  source: string;
}
interface UploadStatus {
  status: 'in_progress' | 'complete';
  source: string;
  size_bytes: number;
  sha256?: string;
  parts?: { part_number: number; etag: string; size_bytes: number }[];
}
interface ErrorBody {
  error: { code: string };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function sliceOf(data: Buffer, part: PartUrl, partSize: number): Buffer {
  const start = (part.part_number - 1) * partSize;
  return data.subarray(start, start + part.size_bytes);
}

/** PUT one part straight to its URL, as a browser or CLI would: no API key. */
async function putPart(url: string, body: Buffer): Promise<{ status: number; etag: string | null }> {
  const response = await fetch(url, { method: 'PUT', body });
  await response.arrayBuffer();
  return { status: response.status, etag: response.headers.get('etag') };
}

async function create(client: ApiClient, size: number, filename = 'big clip.mp4'): Promise<CreatedUpload> {
  const response = await client.postJson<CreatedUpload>('/uploads', {
    filename,
    size_bytes: size,
    content_type: 'video/mp4',
  });
  expect(response.status).toBe(201);
  return response.body;
}

/** The whole client flow: create, PUT every part, complete. */
async function uploadAll(
  client: ApiClient,
  data: Buffer,
): Promise<{ created: CreatedUpload; completed: UploadStatus }> {
  const created = await create(client, data.length);
  const etags: { part_number: number; etag: string }[] = [];
  for (const part of created.parts) {
    const put = await putPart(part.url, sliceOf(data, part, created.part_size_bytes));
    expect(put.status).toBe(200);
    etags.push({ part_number: part.part_number, etag: put.etag ?? '' });
  }
  const completed = await client.postJson<UploadStatus>(`/uploads/${created.upload_id}/complete`, { parts: etags });
  expect(completed.status).toBe(200);
  return { created, completed: completed.body };
}

async function readSource(source: string): Promise<Buffer> {
  const store = new S3ObjectStore(s3);
  try {
    const { body } = await store.get(parseS3Uri(source));
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } finally {
    await store.close();
  }
}

async function openMultipartUploads(source: string): Promise<number> {
  const { bucket, key } = parseS3Uri(source);
  const client = createS3Client(s3);
  try {
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
    return (listed.Uploads ?? []).length;
  } finally {
    client.destroy();
  }
}

/** A raw tus request; `body` is written in full unless `dropAfter` bytes cut the connection first. */
async function tus(
  method: string,
  url: string,
  apiKey: string,
  headers: Record<string, string>,
  body?: Buffer,
  dropAfter?: number,
): Promise<{ status: number; headers: http.IncomingHttpHeaders } | 'dropped'> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, {
      method,
      headers: { 'tus-resumable': '1.0.0', authorization: `Bearer ${apiKey}`, ...headers },
    });
    request.once('response', (response) => {
      response.resume();
      response.once('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
    });
    request.once('error', (error) => (dropAfter === undefined ? reject(error) : resolve('dropped')));
    if (body === undefined) {
      request.end();
    } else if (dropAfter === undefined) {
      request.end(body);
    } else {
      request.write(body.subarray(0, dropAfter), () => {
        // Give the server a moment to take the bytes in, then pull the plug mid-request.
        setTimeout(() => {
          request.destroy();
          resolve('dropped');
        }, 500);
      });
    }
  });
}

/** Creates a tus upload, drops the connection part-way, resumes from HEAD's offset; returns the final PATCH. */
async function tusUploadWithDrop(
  baseUrl: string,
  apiKey: string,
  data: Buffer,
): Promise<{ location: string; source: string; sha256: string }> {
  const created = await tus('POST', `${baseUrl}/uploads/tus/`, apiKey, {
    'upload-length': String(data.length),
    'upload-metadata': `filename ${Buffer.from('résumé clip.mp4').toString('base64')},filetype ${Buffer.from('video/mp4').toString('base64')}`,
  });
  if (created === 'dropped') throw new Error('creation dropped');
  expect(created.status).toBe(201);
  const location = String(created.headers.location);
  expect(location).toMatch(/\/uploads\/tus\/[0-9a-f]{32}$/);

  const first = await tus(
    'PATCH',
    location,
    apiKey,
    { 'upload-offset': '0', 'content-type': 'application/offset+octet-stream', 'content-length': String(data.length) },
    data,
    Math.floor(data.length * 0.6),
  );
  expect(first).toBe('dropped');

  let previous = -1;
  const offset = await waitFor(
    'the offset to settle after the drop',
    async () => {
      const head = await tus('HEAD', location, apiKey, {});
      if (head === 'dropped' || head.status !== 200) return undefined;
      const current = Number(head.headers['upload-offset']);
      const settled = current === previous ? current : undefined;
      previous = current;
      return settled;
    },
    { timeoutMs: 30_000, intervalMs: 700 },
  );
  expect(offset).toBeGreaterThan(0);
  expect(offset).toBeLessThan(data.length);

  const rest = data.subarray(offset);
  const finished = await tus(
    'PATCH',
    location,
    apiKey,
    {
      'upload-offset': String(offset),
      'content-type': 'application/offset+octet-stream',
      'content-length': String(rest.length),
    },
    rest,
  );
  if (finished === 'dropped') throw new Error('resumed PATCH dropped');
  expect(finished.status).toBe(204);
  expect(finished.headers['upload-offset']).toBe(String(data.length));
  return {
    location,
    source: String(finished.headers['mediaflow-source']),
    sha256: String(finished.headers['mediaflow-sha256']),
  };
}

async function startApi(name: string, env: NodeJS.ProcessEnv, client: ApiClient): Promise<ServiceProcess> {
  const api = startService(name, 'services/api/dist/main.js', env);
  await waitFor(
    `${name} to be ready`,
    async () => ((await client.request('GET', '/readyz')).status === 200 ? true : undefined),
    { timeoutMs: 60_000 },
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}\n${api.output()}`);
  });
  return api;
}

describe('presigned multipart and tus uploads on S3', () => {
  let system: RunningSystem;
  let alice: ApiClient;
  let restarted: ServiceProcess | undefined;

  beforeAll(async () => {
    system = await startSystem({ db: 'mongodb', workers: 0, env: { UPLOAD_SIGNING_SECRET: SECRET } });
    alice = system.client.as(TEST_KEYS.alice);
  });

  afterAll(async () => {
    await restarted?.stop();
    await system.stop();
  });

  it('uploads 64 MiB in 8 MiB parts, retrying one, resuming across an API restart', async () => {
    const data = randomBytes(64 * MiB);
    const created = await create(alice, data.length);
    expect(created).toMatchObject({ part_size_bytes: 8 * MiB, part_count: 8 });
    expect(created.parts).toHaveLength(8);
    expect(created.source).toMatch(/^s3:\/\/mediaflow-input\/uploads\/[0-9a-f-]{36}\/big_clip\.mp4$/);

    const [one, two, three] = created.parts;
    expect((await putPart(one.url, sliceOf(data, one, 8 * MiB))).status).toBe(200);
    // Part 2 first arrives damaged (same size, wrong bytes), then is sent again: the retry replaces it.
    expect((await putPart(two.url, randomBytes(two.size_bytes))).status).toBe(200);
    expect((await putPart(two.url, sliceOf(data, two, 8 * MiB))).status).toBe(200);
    // A body of another size than the URL was signed for is refused by S3 itself.
    expect((await putPart(three.url, randomBytes(MiB))).status).toBeGreaterThanOrEqual(400);
    expect((await putPart(three.url, sliceOf(data, three, 8 * MiB))).status).toBe(200);

    // The API goes away and comes back: the id alone carries the upload.
    await system.api.stop();
    restarted = await startApi('api-restarted', system.env, system.client);

    const status = await alice.request<UploadStatus>('GET', `/uploads/${created.upload_id}`);
    expect(status.status).toBe(200);
    expect(status.body.status).toBe('in_progress');
    const held = status.body.parts ?? [];
    expect(held.map((part) => part.part_number)).toEqual([1, 2, 3]);

    const fresh = await alice.request<{ parts: PartUrl[] }>(
      'GET',
      `/uploads/${created.upload_id}/parts?from=4&count=10`,
    );
    expect(fresh.status).toBe(200);
    expect(fresh.body.parts.map((part) => part.part_number)).toEqual([4, 5, 6, 7, 8]);
    const etags = held.map((part) => ({ part_number: part.part_number, etag: part.etag }));
    for (const part of fresh.body.parts) {
      const put = await putPart(part.url, sliceOf(data, part, 8 * MiB));
      expect(put.status).toBe(200);
      etags.push({ part_number: part.part_number, etag: put.etag ?? '' });
    }

    // Naming too few parts completes nothing.
    const short = await alice.postJson<ErrorBody>(`/uploads/${created.upload_id}/complete`, {
      parts: etags.slice(0, 7),
    });
    expect(short.status).toBe(409);
    expect(short.body.error.code).toBe('UPLOAD_INCOMPLETE');

    const completed = await alice.postJson<UploadStatus>(`/uploads/${created.upload_id}/complete`, { parts: etags });
    expect(completed.status).toBe(200);
    expect(completed.body).toMatchObject({ status: 'complete', source: created.source, size_bytes: data.length });
    expect(completed.body.sha256).toBe(sha256(data));
    expect(sha256(await readSource(created.source))).toBe(sha256(data));

    const again = await alice.postJson<UploadStatus>(`/uploads/${created.upload_id}/complete`, { parts: etags });
    expect(again.body).toEqual(completed.body);
    const after = await alice.request<UploadStatus>('GET', `/uploads/${created.upload_id}`);
    expect(after.body).toEqual(completed.body);

    const store = new S3ObjectStore(s3);
    await expect(uploadInfo(store, parseS3Uri(created.source))).resolves.toMatchObject({
      owner: 'alice',
      sha256: sha256(data),
      size: data.length,
      contentType: 'video/mp4',
    });
    await store.close();
  });

  it('aborts: no object, no parts left', async () => {
    const data = randomBytes(9 * MiB);
    const created = await create(alice, data.length);
    expect((await putPart(created.parts[0].url, sliceOf(data, created.parts[0], created.part_size_bytes))).status).toBe(
      200,
    );
    expect(await openMultipartUploads(created.source)).toBe(1);

    expect((await alice.request('DELETE', `/uploads/${created.upload_id}`)).status).toBe(204);
    expect(await openMultipartUploads(created.source)).toBe(0);
    expect((await alice.request<ErrorBody>('GET', `/uploads/${created.upload_id}`)).body.error.code).toBe(
      'UPLOAD_NOT_FOUND',
    );
    const store = new S3ObjectStore(s3);
    await expect(store.head(parseS3Uri(created.source))).resolves.toBeNull();

    // Deleting a completed upload removes its file.
    const small = await uploadAll(alice, randomBytes(MiB));
    expect((await alice.request('DELETE', `/uploads/${small.created.upload_id}`)).status).toBe(204);
    await expect(store.head(parseS3Uri(small.created.source))).resolves.toBeNull();
    await store.close();
  });

  it('refuses wrong sizes and types at creation', async () => {
    const tooBig = await alice.postJson<ErrorBody>('/uploads', {
      filename: 'x.mp4',
      size_bytes: 3 * 1024 ** 3,
      content_type: 'video/mp4',
    });
    expect([tooBig.status, tooBig.body.error.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const html = await alice.postJson<ErrorBody>('/uploads', {
      filename: 'x.html',
      size_bytes: 10,
      content_type: 'text/html',
    });
    expect([html.status, html.body.error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const forged = await alice.request<ErrorBody>('GET', `/uploads/${'A'.repeat(120)}`);
    expect([forged.status, forged.body.error.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
  });

  it('refuses an expired part URL', async () => {
    const port = await freePort();
    const client = new ApiClient(`http://127.0.0.1:${port}`, TEST_KEYS.alice);
    const shortLived = await startApi(
      'api-short-urls',
      { ...system.env, PORT: String(port), UPLOAD_PART_URL_TTL_SECONDS: '1' },
      client,
    );
    try {
      const created = await create(client, MiB);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const put = await putPart(created.parts[0].url, randomBytes(MiB));
      expect(put.status).toBe(403);
      expect((await client.request('DELETE', `/uploads/${created.upload_id}`)).status).toBe(204);
    } finally {
      await shortLived.stop();
    }
  });

  it('resumes a tus upload cut off mid-way and records its owner and SHA-256', async () => {
    const data = randomBytes(20 * MiB);
    const baseUrl = system.client.baseUrl;
    const { location, source, sha256: reported } = await tusUploadWithDrop(baseUrl, TEST_KEYS.alice, data);
    expect(reported).toBe(sha256(data));
    expect(source).toMatch(/^s3:\/\/mediaflow-input\/uploads\/tus\/[0-9a-f]{32}$/);
    expect(sha256(await readSource(source))).toBe(sha256(data));
    // The key is only an id; the (sanitised) name the client gave goes with the object, to name the outputs.
    expect((await uploadInfo(new S3ObjectStore(s3), parseS3Uri(source)))?.filename).toBe('résumé_clip.mp4');

    // Bob sees nothing of it: HEAD, PATCH and DELETE all answer as for an unknown upload.
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const response = await tus(method, location, TEST_KEYS.bob, {
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      });
      expect(response === 'dropped' ? 0 : response.status).toBe(404);
    }
    const bob = system.client.as(TEST_KEYS.bob);
    const stolen = await bob.postJson<ErrorBody>('/process', { source, method_name: 'compress' });
    expect({ status: stolen.status, code: stolen.body.error.code }).toEqual({ status: 404, code: 'SOURCE_NOT_FOUND' });
    expect((await alice.postJson('/process', { source, method_name: 'compress' })).status).toBe(202);

    // Alice deletes the finished upload: the file goes with it.
    const deleted = await tus('DELETE', location, TEST_KEYS.alice, {});
    expect(deleted === 'dropped' ? 0 : deleted.status).toBe(204);
    const store = new S3ObjectStore(s3);
    await expect(store.head(parseS3Uri(source))).resolves.toBeNull();
    await store.close();
  });
});

describe.each<DbBackend>(['mongodb', 'dynamodb'])('tenant isolation of uploads (%s)', (db) => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ db, workers: 0, env: { UPLOAD_SIGNING_SECRET: SECRET } });
  });

  afterAll(async () => {
    await system.stop();
  });

  it('keeps one key’s uploads from another on every route, and lets admins use them', async () => {
    const alice = system.client.as(TEST_KEYS.alice);
    const bob = system.client.as(TEST_KEYS.bob);
    const admin = system.client;

    const streamed = await alice.request<{ source: string; sha256: string }>('PUT', '/uploads/clip.mp4', {
      headers: { 'content-type': 'video/mp4' },
      body: Buffer.from('not really a video'),
    });
    expect(streamed.status).toBe(201);
    expect(streamed.body.sha256).toBe(sha256(Buffer.from('not really a video')));

    const data = randomBytes(MiB);
    const pending = await create(alice, data.length);
    const put = await putPart(pending.parts[0].url, data);
    const parts = [{ part_number: 1, etag: put.etag ?? '' }];

    const notFound = (response: { status: number; body: unknown }): void => {
      expect(response.status).toBe(404);
      expect((response.body as ErrorBody).error.code).toBe('UPLOAD_NOT_FOUND');
    };
    notFound(await bob.request('GET', `/uploads/${pending.upload_id}`));
    notFound(await bob.request('GET', `/uploads/${pending.upload_id}/parts`));
    notFound(await bob.postJson(`/uploads/${pending.upload_id}/complete`, { parts }));
    notFound(await bob.request('DELETE', `/uploads/${pending.upload_id}`));

    // Still intact for Alice after all that.
    const completed = await alice.postJson<UploadStatus>(`/uploads/${pending.upload_id}/complete`, { parts });
    expect(completed.status).toBe(200);
    expect(completed.body.sha256).toBe(sha256(data));
    notFound(await bob.request('GET', `/uploads/${pending.upload_id}`));

    const missing = await bob.postJson<JsonObject>('/process', {
      source: 's3://mediaflow-input/uploads/00000000-0000-4000-8000-000000000000/none.mp4',
      method_name: 'compress',
    });
    for (const source of [streamed.body.source, completed.body.source]) {
      const stolen = await bob.postJson<JsonObject>('/process', { source, method_name: 'compress' });
      // Exactly as for a missing object, apart from the URI echoed in the message.
      expect(stolen.status).toBe(missing.status);
      expect((stolen.body as unknown as ErrorBody).error.code).toBe('SOURCE_NOT_FOUND');
      expect((await alice.postJson('/process', { source, method_name: 'compress' })).status).toBe(202);
      expect((await admin.postJson('/process', { source, method_name: 'compress' })).status).toBe(202);
    }
  });
});

describe('multipart and tus uploads in the embedded mode (local disk)', () => {
  let dataDir: string;
  let running: ServiceProcess | undefined;
  let baseUrl: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-uploads-'));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const keyHash = (key: string): string => createHash('sha256').update(key).digest('hex');
    running = await startEmbedded(dataDir, port, {
      API_KEYS: `root:${keyHash(TEST_KEYS.admin)}:admin,alice:${keyHash(TEST_KEYS.alice)},bob:${keyHash(TEST_KEYS.bob)}`,
      UPLOAD_SIGNING_SECRET: SECRET,
    });
  });

  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves its own signed part URLs for the same client flow', async () => {
    const alice = new ApiClient(baseUrl, TEST_KEYS.alice);
    const data = randomBytes(20 * MiB);
    const created = await create(alice, data.length);
    expect(created.parts[0].url.startsWith(`${baseUrl}/uploads/${created.upload_id}/parts/1?token=`)).toBe(true);

    // A token for part 1 does not open part 2, and a tampered token nothing.
    const [one, two] = created.parts;
    expect((await putPart(one.url.replace('/parts/1?', '/parts/2?'), sliceOf(data, two, 8 * MiB))).status).toBe(403);
    expect((await putPart(`${one.url}x`, sliceOf(data, one, 8 * MiB))).status).toBe(403);
    expect((await putPart(one.url, sliceOf(data, one, 8 * MiB))).status).toBe(200);
    const status = await alice.request<UploadStatus>('GET', `/uploads/${created.upload_id}`);
    expect(status.body.parts?.map((part) => part.part_number)).toEqual([1]);

    const etags = (status.body.parts ?? []).map((part) => ({ part_number: part.part_number, etag: part.etag }));
    for (const part of created.parts.slice(1)) {
      const put = await putPart(part.url, sliceOf(data, part, created.part_size_bytes));
      expect(put.status).toBe(200);
      etags.push({ part_number: part.part_number, etag: put.etag ?? '' });
    }
    const bob = new ApiClient(baseUrl, TEST_KEYS.bob);
    expect((await bob.postJson(`/uploads/${created.upload_id}/complete`, { parts: etags })).status).toBe(404);
    const completed = await alice.postJson<UploadStatus>(`/uploads/${created.upload_id}/complete`, { parts: etags });
    expect(completed.status).toBe(200);
    expect(completed.body.sha256).toBe(sha256(data));
    const downloaded = path.join(dataDir, 'objects', 'mediaflow-input', parseS3Uri(created.source).key);
    const { readFile } = await import('node:fs/promises');
    expect(sha256(await readFile(downloaded))).toBe(sha256(data));
  });

  it('resumes a tus upload cut off mid-way', async () => {
    const data = randomBytes(12 * MiB);
    const { source, sha256: reported, location } = await tusUploadWithDrop(baseUrl, TEST_KEYS.alice, data);
    expect(reported).toBe(sha256(data));
    const head = await tus('HEAD', location, TEST_KEYS.bob, {});
    expect(head === 'dropped' ? 0 : head.status).toBe(404);
    const { readFile } = await import('node:fs/promises');
    const file = path.join(dataDir, 'objects', 'mediaflow-input', parseS3Uri(source).key);
    expect(sha256(await readFile(file))).toBe(sha256(data));
    const bob = new ApiClient(baseUrl, TEST_KEYS.bob);
    expect(
      ((await bob.postJson('/process', { source, method_name: 'compress' })).body as unknown as ErrorBody).error.code,
    ).toBe('SOURCE_NOT_FOUND');
  });
});

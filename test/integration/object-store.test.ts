import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { AppError } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import { createS3Client, LocalDiskObjectStore, parseRangeHeader, S3ObjectStore } from '@mediaflow/storage';
import type { ListedObject, ObjectStore } from '@mediaflow/storage';

/**
 * One set of behaviours, two stores: the real S3-compatible server and the
 * local-disk store of the embedded mode. Every run uses its own bucket.
 */

jest.setTimeout(120_000);

const MiB = 1024 * 1024;
const LIST_PAGE_SIZE = 7;

const s3Options = {
  region: process.env.AWS_REGION ?? 'us-east-1',
  endpoint: process.env.S3_ENDPOINT ?? '',
  forcePathStyle: true,
  credentials: {
    accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'minioadmin',
    secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'minioadmin',
  },
};

interface Subject {
  store: ObjectStore;
  /** Whatever the store could have left behind for a key: parts, temp files. */
  leftovers(key: string): Promise<string[]>;
  teardown(): Promise<void>;
}

async function s3Subject(bucket: string): Promise<Subject> {
  const admin = createS3Client(s3Options);
  // A small page, so listing and prefix deletion cross pages with a handful of objects.
  const store = new S3ObjectStore({ ...s3Options, partSize: 5 * MiB, listPageSize: LIST_PAGE_SIZE });
  return Promise.resolve({
    store,
    async leftovers(key) {
      const uploads = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
      return (uploads.Uploads ?? []).map((upload) => `multipart upload ${upload.UploadId ?? '?'}`);
    },
    async teardown() {
      await emptyAndDeleteBucket(admin, bucket);
      await store.close();
      admin.destroy();
    },
  });
}

async function localSubject(): Promise<Subject> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-objects-'));
  return {
    store: new LocalDiskObjectStore(root),
    async leftovers() {
      const tmp = path.join(root, '.tmp');
      return existsSync(tmp) ? readdir(tmp) : [];
    },
    async teardown() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function emptyAndDeleteBucket(client: S3Client, bucket: string): Promise<void> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket })).catch(() => undefined);
  for (const object of listed?.Contents ?? []) {
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** A stream of unknown length: no size anywhere, delivered in uneven chunks. */
function unknownLengthStream(data: Buffer): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let offset = 0;
    let size = 1;
    while (offset < data.length) {
      size = (size * 7 + 65_537) % (512 * 1024) || 1;
      yield data.subarray(offset, offset + size);
      offset += size;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

/**
 * Delivers `before` bytes, then calls `onReady` and either keeps trickling
 * data or stalls, as a client that stops sending would, until destroyed.
 */
function slowStream(before: number, onReady: () => void, mode: 'trickle' | 'stall'): Readable {
  const chunk = randomBytes(256 * 1024);
  let sent = 0;
  let timer: NodeJS.Timeout | undefined;
  return new Readable({
    read() {
      if (sent < before) {
        sent += chunk.length;
        this.push(chunk);
        if (sent >= before) onReady();
      } else if (mode === 'trickle' && !timer) {
        timer = setTimeout(() => {
          timer = undefined;
          this.push(chunk);
        }, 20);
      }
    },
    destroy(error, callback) {
      clearTimeout(timer);
      callback(error);
    },
  });
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** S3 orders keys by their UTF-8 bytes. */
function byKey(a: { key: string }, b: { key: string }): number {
  return Buffer.compare(Buffer.from(a.key), Buffer.from(b.key));
}

/**
 * Objects under `<base>job-1/`, nested, with names that sort differently by
 * key than a naive directory walk would ("hls-low/…" and "hls.json" before
 * "hls/…"), plus siblings that share the prefix's first characters.
 */
const JOB_FILES = [
  'input.mp4',
  'hls/index.m3u8',
  'hls/720p/index.m3u8',
  ...Array.from({ length: 8 }, (_, i) => `hls/720p/seg-${String(i).padStart(3, '0')}.m4s`),
  'hls-low/index.m3u8',
  'hls.json',
  'hls0/x.bin',
  'thumbs/a/b/c/poster.jpg',
  'dash/manifest.mpd',
  'z.txt',
];
const SIBLING_FILES = ['job-10/output.mp4', 'job-1-b/output.mp4', 'job-1.txt', 'job-2/job-1/decoy.txt'];

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

describe.each([
  ['S3 (versitygw)', 's3'],
  ['local disk', 'local'],
] as const)('%s object store', (_name, kind) => {
  const bucket = `mf-test-${randomUUID().slice(0, 8)}`;
  let subject: Subject;
  let store: ObjectStore;
  let workDir: string;
  const ref = (name: string): ObjectRef => ({ bucket, key: `it/${randomUUID()}/${name}` });

  beforeAll(async () => {
    subject = kind === 's3' ? await s3Subject(bucket) : await localSubject();
    store = subject.store;
    workDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-downloads-'));
    await store.ensureBucket(bucket);
  });

  afterAll(async () => {
    await subject.teardown();
    await rm(workDir, { recursive: true, force: true });
  });

  it('creates a bucket idempotently, even when two callers race', async () => {
    await store.ensureBucket(bucket);
    await store.ping(bucket);
    const other = `mf-test-${randomUUID().slice(0, 8)}`;
    await Promise.all([store.ensureBucket(other), store.ensureBucket(other), store.ensureBucket(other)]);
    await store.ping(other);
    if (kind === 's3') {
      const admin = createS3Client(s3Options);
      await emptyAndDeleteBucket(admin, other);
      admin.destroy();
    }
  });

  it('fails ping for a bucket that does not exist', async () => {
    await expectAppError(store.ping(`mf-missing-${randomUUID().slice(0, 8)}`), 'STORAGE_ERROR');
  });

  it('stores a Buffer and reads it back with its content type', async () => {
    const target = ref('small.json');
    const data = Buffer.from(JSON.stringify({ hello: 'world' }));
    const info = await store.put(target, data, { contentType: 'application/json' });
    expect(info).toMatchObject({ size: data.length, contentType: 'application/json' });

    const head = await store.head(target);
    expect(head).toMatchObject({ size: data.length, contentType: 'application/json' });
    // fs hands out Dates from outside Jest's sandbox, so no instanceof here.
    expect(Number.isFinite(head?.lastModified?.getTime())).toBe(true);

    const object = await store.get(target);
    expect(object.size).toBe(data.length);
    expect(object.contentType).toBe('application/json');
    expect(object.range).toBeUndefined();
    expect(await readAll(object.body)).toEqual(data);
  });

  it('stores an empty object', async () => {
    const target = ref('empty.txt');
    await store.put(target, Buffer.alloc(0), { contentType: 'text/plain; charset=utf-8' });
    const object = await store.get(target);
    expect(object.size).toBe(0);
    expect((await readAll(object.body)).length).toBe(0);
  });

  it('replaces an object on a second put', async () => {
    const target = ref('replace.bin');
    await store.put(target, Buffer.from('first version'), { contentType: 'application/octet-stream' });
    await store.put(target, Buffer.from('second'), { contentType: 'text/plain; charset=utf-8' });
    const object = await store.get(target);
    expect(object.contentType).toBe('text/plain; charset=utf-8');
    expect((await readAll(object.body)).toString()).toBe('second');
  });

  describe('a 12 MiB stream of unknown length', () => {
    const data = randomBytes(12 * MiB + 12_345);
    const target = ref('big.mp4');

    beforeAll(async () => {
      const info = await store.put(target, unknownLengthStream(data), { contentType: 'video/mp4' });
      expect(info).toMatchObject({ size: data.length, contentType: 'video/mp4' });
    });

    it('round-trips byte for byte', async () => {
      expect(await store.head(target)).toMatchObject({ size: data.length, contentType: 'video/mp4' });
      const object = await store.get(target);
      expect(object.size).toBe(data.length);
      expect(sha256(await readAll(object.body))).toBe(sha256(data));
    });

    it.each([
      ['the first bytes', 'bytes=0-99'],
      ['the middle, across a part boundary', `bytes=${5 * MiB - 1000}-${5 * MiB + 999}`],
      ['a suffix', 'bytes=-500'],
      ['an open end', `bytes=${data.length - 10}-`],
      ['an end past the last byte', `bytes=${data.length - 3}-${data.length + 1000}`],
    ])('serves a range: %s', async (_label, header) => {
      const range = parseRangeHeader(header, data.length);
      if (range === undefined || range === 'unsatisfiable') throw new Error(`bad test range ${header}`);
      const object = await store.get(target, range);
      expect(object.size).toBe(data.length);
      expect(object.range).toEqual(range);
      const bytes = await readAll(object.body);
      expect(bytes.length).toBe(range.end - range.start + 1);
      expect(bytes.equals(data.subarray(range.start, range.end + 1))).toBe(true);
    });

    it('refuses a range that starts past the end', async () => {
      await expectAppError(store.get(target, { start: data.length, end: data.length + 10 }), 'RANGE_NOT_SATISFIABLE');
    });

    it('downloads to a file byte for byte', async () => {
      const file = path.join(workDir, `${randomUUID()}.mp4`);
      await store.download(target, file);
      expect(sha256(await readFile(file))).toBe(sha256(data));
    });

    it('removes the partial file when a download is aborted', async () => {
      const file = path.join(workDir, `${randomUUID()}.mp4`);
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expectAppError(store.download(target, file, controller.signal), 'JOB_ABORTED');
      expect(existsSync(file)).toBe(false);
    });

    it('stops a download in progress when its signal aborts, removing the partial file', async () => {
      const file = path.join(workDir, `${randomUUID()}.mp4`);
      const controller = new AbortController();
      const download = store.download(target, file, controller.signal);
      setTimeout(() => controller.abort(new Error('shutting down')), 1);
      await expectAppError(download, 'JOB_ABORTED');
      expect(existsSync(file)).toBe(false);
    });
  });

  it('stores a stream whose length is given', async () => {
    const target = ref('known.bin');
    const data = randomBytes(6 * MiB + 1);
    await store.put(target, unknownLengthStream(data), { contentType: 'video/webm', contentLength: data.length });
    const object = await store.get(target);
    expect(sha256(await readAll(object.body))).toBe(sha256(data));
  });

  it('answers head with null for a missing object', async () => {
    expect(await store.head(ref('missing.mp4'))).toBeNull();
  });

  it('throws NOT_FOUND when getting or downloading a missing object', async () => {
    await expectAppError(store.get(ref('missing.mp4')), 'NOT_FOUND');
    await expectAppError(store.get(ref('missing.mp4'), { start: 0, end: 9 }), 'NOT_FOUND');
    const file = path.join(workDir, `${randomUUID()}.mp4`);
    await expectAppError(store.download(ref('missing.mp4'), file), 'NOT_FOUND');
    expect(existsSync(file)).toBe(false);
  });

  it('throws NOT_FOUND for an object in a bucket that does not exist', async () => {
    const missing = { bucket: `mf-missing-${randomUUID().slice(0, 8)}`, key: 'a/b.mp4' };
    await expectAppError(store.get(missing), 'NOT_FOUND');
    expect(await store.head(missing)).toBeNull();
  });

  it('refuses to write into a bucket that does not exist', async () => {
    const missing = { bucket: `mf-missing-${randomUUID().slice(0, 8)}`, key: 'a/b.txt' };
    await expectAppError(store.put(missing, Buffer.from('x'), { contentType: 'text/plain' }), 'STORAGE_ERROR');
    await expectAppError(
      store.put(missing, unknownLengthStream(randomBytes(1000)), { contentType: 'text/plain' }),
      'STORAGE_ERROR',
    );
  });

  it.each(['trickle', 'stall'] as const)(
    'aborts a streamed put mid-way (%s) and leaves no object or parts behind',
    async (mode) => {
      const target = ref('aborted.mp4');
      const controller = new AbortController();
      const abortSoon = (): void => void setTimeout(() => controller.abort(new Error('client went away')), 100);
      const body = slowStream(12 * MiB, abortSoon, mode);
      const started = Date.now();
      await expectAppError(
        store.put(target, body, { contentType: 'video/mp4', signal: controller.signal }),
        'JOB_ABORTED',
      );
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(await store.head(target)).toBeNull();
      expect(await subject.leftovers(target.key)).toEqual([]);
    },
  );

  it('refuses a put whose signal is already aborted', async () => {
    const target = ref('never.bin');
    const controller = new AbortController();
    controller.abort();
    await expectAppError(
      store.put(target, Buffer.from('x'), { contentType: 'text/plain', signal: controller.signal }),
      'JOB_ABORTED',
    );
    expect(await store.head(target)).toBeNull();
  });

  describe('listing and prefix deletion', () => {
    interface Seeded {
      base: string;
      prefix: ObjectRef;
      expected: { key: string; size: number }[];
      siblings: { key: string; size: number }[];
    }

    /** A fresh `ls/<uuid>/` tree: JOB_FILES under `job-1/`, SIBLING_FILES beside it; sizes all differ. */
    async function seed(): Promise<Seeded> {
      const base = `ls/${randomUUID()}/`;
      const put = async (key: string, size: number): Promise<{ key: string; size: number }> => {
        await store.put({ bucket, key }, Buffer.alloc(size, 'x'), { contentType: 'application/octet-stream' });
        return { key, size };
      };
      const expected = await Promise.all(JOB_FILES.map(async (name, i) => put(`${base}job-1/${name}`, i + 1)));
      const siblings = await Promise.all(SIBLING_FILES.map(async (name, i) => put(`${base}${name}`, 100 + i)));
      return { base, prefix: { bucket, key: `${base}job-1/` }, expected: expected.sort(byKey), siblings };
    }

    it('lists exactly the objects under a prefix, nested ones included, in key order, with sizes', async () => {
      const { prefix, expected } = await seed();
      expect(expected.length).toBeGreaterThan(2 * LIST_PAGE_SIZE);
      const listed = await collect(store.list(prefix));
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual(expected);
      for (const object of listed) expect(Number.isFinite(object.lastModified?.getTime())).toBe(true);
    });

    it('treats a prefix without a trailing slash as a plain string prefix', async () => {
      const { base, expected, siblings } = await seed();
      const listed = await collect(store.list({ bucket, key: `${base}job-1` }));
      const wanted = [...expected, ...siblings.filter(({ key }) => key.startsWith(`${base}job-1`))].sort(byKey);
      expect(listed.map(({ key, size }) => ({ key, size }))).toEqual(wanted);
      expect(listed.map(({ key }) => key)).not.toContain(`${base}job-2/job-1/decoy.txt`);
    });

    it('lets the caller stop early', async () => {
      const { prefix, expected } = await seed();
      const first: ListedObject[] = [];
      for await (const object of store.list(prefix)) {
        first.push(object);
        if (first.length === 3) break;
      }
      expect(first.map(({ key }) => key)).toEqual(expected.slice(0, 3).map(({ key }) => key));
    });

    it('lists nothing under a prefix with no objects', async () => {
      expect(await collect(store.list({ bucket, key: `ls/${randomUUID()}/` }))).toEqual([]);
    });

    it('deletes everything under a prefix, returns the count, and spares its siblings', async () => {
      const { base, prefix, expected, siblings } = await seed();
      expect(await store.deletePrefix(prefix)).toBe(expected.length);
      expect(await collect(store.list(prefix))).toEqual([]);
      for (const { key } of expected) expect(await store.head({ bucket, key })).toBeNull();
      const left = await collect(store.list({ bucket, key: base }));
      expect(left.map(({ key, size }) => ({ key, size }))).toEqual([...siblings].sort(byKey));
      // The prefix can be written to again.
      const again = { bucket, key: `${prefix.key}hls/index.m3u8` };
      await store.put(again, Buffer.from('#EXTM3U'), { contentType: 'application/vnd.apple.mpegurl' });
      expect(await store.head(again)).toMatchObject({ size: 7, contentType: 'application/vnd.apple.mpegurl' });
    });

    it('returns 0 when deleting a prefix with nothing under it', async () => {
      expect(await store.deletePrefix({ bucket, key: `ls/${randomUUID()}/` })).toBe(0);
    });

    it('refuses to delete an empty prefix, which would empty the bucket', async () => {
      const { base, expected, siblings } = await seed();
      await expectAppError(store.deletePrefix({ bucket, key: '' }), 'VALIDATION_FAILED');
      expect(await collect(store.list({ bucket, key: base }))).toHaveLength(expected.length + siblings.length);
    });

    it.each(['/', '../', 'a//', 'a/../', 'a/./b/', '..', 'a\\b/'])('refuses the prefix %p', async (key) => {
      await expectAppError(collect(store.list({ bucket, key })), 'INVALID_SOURCE');
      await expectAppError(store.deletePrefix({ bucket, key }), 'INVALID_SOURCE');
    });

    it('fails with STORAGE_ERROR for a bucket that does not exist', async () => {
      const missing = { bucket: `mf-missing-${randomUUID().slice(0, 8)}`, key: 'a/' };
      await expectAppError(collect(store.list(missing)), 'STORAGE_ERROR');
      await expectAppError(store.deletePrefix(missing), 'STORAGE_ERROR');
    });
  });

  it('deletes an object, and deleting a missing one is not an error', async () => {
    const target = ref('doomed.txt');
    await store.put(target, Buffer.from('bye'), { contentType: 'text/plain' });
    await store.delete(target);
    expect(await store.head(target)).toBeNull();
    await expectAppError(store.get(target), 'NOT_FOUND');
    await store.delete(target);
  });

  describe('metadata and multipart uploads', () => {
    it('stores user metadata with put, returns it from head, and replaces it keeping bytes and type', async () => {
      const target = ref('owned.mp4');
      const data = randomBytes(1000);
      await store.put(target, data, { contentType: 'video/mp4', metadata: { owner: 'alice' } });
      expect(await store.head(target)).toMatchObject({ contentType: 'video/mp4', metadata: { owner: 'alice' } });
      await store.replaceMetadata(target, { owner: 'alice', sha256: sha256(data) });
      const head = await store.head(target);
      expect(head).toMatchObject({ size: 1000, contentType: 'video/mp4' });
      expect(head?.metadata).toEqual({ owner: 'alice', sha256: sha256(data) });
      expect(sha256(await readAll((await store.get(target)).body))).toBe(sha256(data));
      await expectAppError(store.replaceMetadata(ref('missing.mp4'), { owner: 'x' }), 'NOT_FOUND');
      await expectAppError(
        store.put(target, data, { contentType: 'video/mp4', metadata: { 'Bad Key': 'x' } }),
        'VALIDATION_FAILED',
      );
    });

    it('uploads parts, lists them, replaces a retried part, and completes with metadata', async () => {
      const target = ref('multi.bin');
      const data = randomBytes(11 * MiB);
      const uploadId = await store.createMultipartUpload(target, {
        contentType: 'video/webm',
        metadata: { owner: 'bob' },
      });
      expect(await store.head(target)).toBeNull();
      const first = await store.uploadPart(target, uploadId, 1, randomBytes(5 * MiB), {});
      const retried = await store.uploadPart(target, uploadId, 1, data.subarray(0, 5 * MiB), {
        contentLength: 5 * MiB,
      });
      expect(retried.etag).not.toBe(first.etag);
      const second = await store.uploadPart(target, uploadId, 2, Readable.from([data.subarray(5 * MiB)]), {
        contentLength: 6 * MiB,
      });
      const parts = await store.listParts(target, uploadId);
      expect(parts?.map(({ partNumber, etag, size }) => ({ partNumber, etag, size }))).toEqual([
        { partNumber: 1, etag: retried.etag, size: 5 * MiB },
        { partNumber: 2, etag: second.etag, size: 6 * MiB },
      ]);
      await expectAppError(
        store.completeMultipartUpload(target, uploadId, [{ partNumber: 1, etag: first.etag }, second]),
        'VALIDATION_FAILED',
      );
      const uploads = await collect(store.listMultipartUploads({ bucket, key: target.key }));
      expect(uploads).toEqual([expect.objectContaining({ key: target.key, uploadId })]);
      await store.completeMultipartUpload(target, uploadId, [retried, second]);
      expect(await store.head(target)).toMatchObject({
        size: data.length,
        contentType: 'video/webm',
        metadata: { owner: 'bob' },
      });
      expect(sha256(await readAll((await store.get(target)).body))).toBe(sha256(data));
      expect(await store.listParts(target, uploadId)).toBeNull();
      expect(await collect(store.listMultipartUploads({ bucket, key: target.key }))).toEqual([]);
    });

    it('refuses a part below 5 MiB that is not the last', async () => {
      const target = ref('small-parts.bin');
      const uploadId = await store.createMultipartUpload(target, { contentType: 'video/mp4' });
      const one = await store.uploadPart(target, uploadId, 1, randomBytes(MiB), {});
      const two = await store.uploadPart(target, uploadId, 2, randomBytes(MiB), {});
      await expectAppError(store.completeMultipartUpload(target, uploadId, [one, two]), 'VALIDATION_FAILED');
      await store.abortMultipartUpload(target, uploadId);
    });

    it('aborts: no parts, no object, no open upload; aborting again is harmless', async () => {
      const target = ref('aborted.bin');
      const uploadId = await store.createMultipartUpload(target, { contentType: 'video/mp4' });
      await store.uploadPart(target, uploadId, 1, randomBytes(MiB), {});
      await store.abortMultipartUpload(target, uploadId);
      await store.abortMultipartUpload(target, uploadId);
      expect(await store.listParts(target, uploadId)).toBeNull();
      expect(await store.head(target)).toBeNull();
      expect(await collect(store.listMultipartUploads({ bucket, key: target.key }))).toEqual([]);
      await expectAppError(store.uploadPart(target, uploadId, 2, randomBytes(10), {}), 'NOT_FOUND');
      if (kind === 'local') expect(await subject.leftovers(target.key)).toEqual([]);
    });

    it('sweeps uploads started before a cutoff and leaves newer ones', async () => {
      const { sweepIncompleteUploads } = await import('../../services/api/src/uploads/upload-sweeper');
      const old = { bucket, key: `uploads/${randomUUID()}/old.mp4` };
      const oldId = await store.createMultipartUpload(old, { contentType: 'video/mp4' });
      // S3 reports Initiated in whole seconds: the recent upload starts at least 2 s after the cutoff.
      const cutoff = new Date(Date.now() + 1_500);
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const recent = { bucket, key: `uploads/${randomUUID()}/recent.mp4` };
      const recentId = await store.createMultipartUpload(recent, { contentType: 'video/mp4' });
      expect(await sweepIncompleteUploads({ store, inputBucket: bucket, startedBefore: cutoff })).toBe(1);
      expect(await store.listParts(old, oldId)).toBeNull();
      expect(await store.listParts(recent, recentId)).toEqual([]);
      await store.abortMultipartUpload(recent, recentId);
    });

    if (kind === 's3') {
      it('signs part URLs that accept exactly the signed length', async () => {
        const target = ref('presigned.bin');
        const uploadId = await store.createMultipartUpload(target, { contentType: 'video/mp4' });
        const body = randomBytes(MiB);
        const url = await store.presignUploadPart(target, uploadId, 1, { expiresInSeconds: 60, contentLength: MiB });
        expect(url).toBeDefined();
        const wrong = await fetch(url ?? '', { method: 'PUT', body: body.subarray(1) });
        expect(wrong.status).toBeGreaterThanOrEqual(400);
        const right = await fetch(url ?? '', { method: 'PUT', body });
        expect(right.status).toBe(200);
        const etag = right.headers.get('etag') ?? '';
        await store.completeMultipartUpload(target, uploadId, [{ partNumber: 1, etag }]);
        expect(sha256(await readAll((await store.get(target)).body))).toBe(sha256(body));
      });
    } else {
      it('has no presigned part URLs', async () => {
        await expect(store.presignUploadPart(ref('x.bin'), 'x', 1, { expiresInSeconds: 60 })).resolves.toBeUndefined();
      });
    }
  });
});

describe('local disk object store confinement', () => {
  let root: string;
  let store: LocalDiskObjectStore;

  beforeAll(async () => {
    const parent = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-confine-'));
    root = path.join(parent, 'objects');
    store = new LocalDiskObjectStore(root);
    await store.ensureBucket('bucket-a');
  });

  afterAll(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  it.each([
    '../escaped.txt',
    '../../escaped.txt',
    'a/../../escaped.txt',
    'a/../../../escaped.txt',
    '..',
    '/etc/passwd',
    'a//b',
    './a',
    'a\\..\\..\\escaped.txt',
  ])('refuses the key %p', async (key) => {
    const target = { bucket: 'bucket-a', key };
    await expectAppError(store.put(target, Buffer.from('x'), { contentType: 'text/plain' }), 'INVALID_SOURCE');
    await expectAppError(store.get(target), 'INVALID_SOURCE');
    await expectAppError(store.head(target), 'INVALID_SOURCE');
    await expectAppError(store.delete(target), 'INVALID_SOURCE');
    await expectAppError(store.download(target, path.join(root, '..', 'out.txt')), 'INVALID_SOURCE');
    expect(existsSync(path.join(path.dirname(root), 'escaped.txt'))).toBe(false);
    expect(existsSync(path.join(root, 'escaped.txt'))).toBe(false);
  });

  it.each(['..', '.meta', '.tmp', 'UPPER', 'a'])('refuses the bucket %p', async (bucket) => {
    await expectAppError(
      store.put({ bucket, key: 'x.txt' }, Buffer.from('x'), { contentType: 'text/plain' }),
      'INVALID_SOURCE',
    );
  });

  it('keeps content types apart from keys that look like sidecars', async () => {
    await store.put({ bucket: 'bucket-a', key: 'v.mp4' }, Buffer.from('video'), { contentType: 'video/mp4' });
    await store.put({ bucket: 'bucket-a', key: 'v.mp4.meta.json' }, Buffer.from('{}'), {
      contentType: 'application/json',
    });
    expect(await store.head({ bucket: 'bucket-a', key: 'v.mp4' })).toMatchObject({ contentType: 'video/mp4', size: 5 });
    expect(await store.head({ bucket: 'bucket-a', key: 'v.mp4.meta.json' })).toMatchObject({
      contentType: 'application/json',
      size: 2,
    });
  });

  it('prunes the directories a prefix deletion empties, up to but not including its parent', async () => {
    const put = async (key: string): Promise<void> => {
      await store.put({ bucket: 'bucket-a', key }, Buffer.from('x'), { contentType: 'text/plain' });
    };
    await put('prune/jobs/job-1/hls/720p/seg.m4s');
    await put('prune/jobs/job-1/poster.jpg');
    await put('prune/jobs/job-2/poster.jpg');
    expect(await store.deletePrefix({ bucket: 'bucket-a', key: 'prune/jobs/job-1/' })).toBe(2);
    for (const tree of [path.join(root, 'bucket-a'), path.join(root, '.meta', 'bucket-a')]) {
      expect(existsSync(path.join(tree, 'prune', 'jobs', 'job-1'))).toBe(false);
      expect(existsSync(path.join(tree, 'prune', 'jobs', 'job-2'))).toBe(true);
    }
    expect(await store.deletePrefix({ bucket: 'bucket-a', key: 'prune/jobs/job-2/' })).toBe(1);
    // The parent stays, though now empty; the bucket always does.
    expect(await readdir(path.join(root, 'bucket-a', 'prune', 'jobs'))).toEqual([]);
    expect(await readdir(path.join(root, '.meta', 'bucket-a', 'prune', 'jobs'))).toEqual([]);
  });

  it('does not list what is not a regular file, nor temp files of puts in flight', async () => {
    await store.put({ bucket: 'bucket-a', key: 'walk/a.txt' }, Buffer.from('a'), { contentType: 'text/plain' });
    await mkdir(path.join(root, 'bucket-a', 'walk', 'empty', 'dir'), { recursive: true });
    await symlink(path.join(root, 'bucket-a', 'walk', 'a.txt'), path.join(root, 'bucket-a', 'walk', 'link.txt'));
    await writeFile(path.join(root, '.tmp', 'stray.part'), 'partial');
    const listed = await collect(store.list({ bucket: 'bucket-a', key: 'walk/' }));
    expect(listed.map(({ key }) => key)).toEqual(['walk/a.txt']);
  });

  it('treats a key that names a directory as missing', async () => {
    await store.put({ bucket: 'bucket-a', key: 'dir/file.txt' }, Buffer.from('x'), { contentType: 'text/plain' });
    expect(await store.head({ bucket: 'bucket-a', key: 'dir' })).toBeNull();
    await expectAppError(store.get({ bucket: 'bucket-a', key: 'dir' }), 'NOT_FOUND');
  });
});

describe('S3 object store outage', () => {
  it('fails fast with STORAGE_ERROR when the server is unreachable', async () => {
    const store = new S3ObjectStore({ ...s3Options, endpoint: 'http://127.0.0.1:1' });
    const target = { bucket: 'mediaflow-input', key: 'a/b.mp4' };
    const started = Date.now();
    await expectAppError(store.ping('mediaflow-input'), 'STORAGE_ERROR');
    await expectAppError(store.head(target), 'STORAGE_ERROR');
    await expectAppError(store.get(target), 'STORAGE_ERROR');
    await expectAppError(store.put(target, Buffer.from('x'), { contentType: 'text/plain' }), 'STORAGE_ERROR');
    await expectAppError(
      store.put(target, unknownLengthStream(randomBytes(6 * MiB)), { contentType: 'video/mp4' }),
      'STORAGE_ERROR',
    );
    await expectAppError(collect(store.list({ bucket: 'mediaflow-input', key: 'a/' })), 'STORAGE_ERROR');
    await expectAppError(store.deletePrefix({ bucket: 'mediaflow-input', key: 'a/' }), 'STORAGE_ERROR');
    expect(Date.now() - started).toBeLessThan(20_000);
    await store.close();
  });
});

describe('S3 prefix deletion that the server partly refuses', () => {
  const bucket = `mf-test-${randomUUID().slice(0, 8)}`;
  const client = createS3Client(s3Options);
  const store = new S3ObjectStore(client);
  const REFUSE_DELETES = 'refuseSomeDeletes';

  beforeAll(async () => {
    await store.ensureBucket(bucket);
  });

  afterAll(async () => {
    client.middlewareStack.remove(REFUSE_DELETES);
    await emptyAndDeleteBucket(client, bucket);
    client.destroy();
  });

  it('throws STORAGE_ERROR naming the first key in the Errors of a DeleteObjects answer', async () => {
    for (const name of ['a.txt', 'b.txt', 'c.txt']) {
      await store.put({ bucket, key: `refused/${name}` }, Buffer.from(name), { contentType: 'text/plain' });
    }
    // versitygw cannot be made to refuse one key, so its answer is replaced.
    client.middlewareStack.add(
      (next, context) => async (args) =>
        context.commandName === 'DeleteObjectsCommand'
          ? {
              response: {},
              output: {
                $metadata: {},
                Errors: [
                  { Key: 'refused/b.txt', Code: 'AccessDenied', Message: 'Access Denied' },
                  { Key: 'refused/c.txt', Code: 'AccessDenied', Message: 'Access Denied' },
                ],
              },
            }
          : next(args),
      { step: 'initialize', name: REFUSE_DELETES },
    );
    const error = await expectAppError(store.deletePrefix({ bucket, key: 'refused/' }), 'STORAGE_ERROR');
    expect(error.message).toContain(`s3://${bucket}/refused/b.txt`);
    expect(error.message).toContain('AccessDenied');
    client.middlewareStack.remove(REFUSE_DELETES);
    expect(await store.deletePrefix({ bucket, key: 'refused/' })).toBe(3);
  });
});

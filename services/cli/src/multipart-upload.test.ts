import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CreatedUpload, PartUrl } from './api-client';
import { ApiError, NetworkError } from './exit-codes';
import { multipartUpload } from './multipart-upload';

const PART = 4;

/** An API double holding parts in memory; `failures` lists errors each part's PUTs throw first. */
function fakeApi(size: number, failures: Record<number, Error[]> = {}) {
  const received = new Map<number, Buffer>();
  const calls: string[] = [];
  const url = (part_number: number, generation: number): PartUrl => ({
    part_number,
    size_bytes: Math.min(PART, size - (part_number - 1) * PART),
    url: `http://store/part/${part_number}?g=${generation}`,
    expires_at: '',
  });
  const partCount = Math.ceil(size / PART);
  let generation = 0;
  return {
    received,
    calls,
    createUpload: async (): Promise<CreatedUpload> =>
      Promise.resolve({
        upload_id: 'u1',
        part_size_bytes: PART,
        part_count: partCount,
        // Only the first two URLs up front, as the API gives at most 100.
        parts: [1, 2].filter((n) => n <= partCount).map((n) => url(n, 0)),
        source: 's3://in/uploads/u1/a.mp4',
      }),
    partUrls: async (_id: string, from: number, count: number): Promise<PartUrl[]> => {
      generation += 1;
      calls.push(`urls ${from}`);
      const parts: PartUrl[] = [];
      for (let n = from; n < from + count && n <= partCount; n += 1) parts.push(url(n, generation));
      return Promise.resolve(parts);
    },
    putPart: async (target: string, bytes: Uint8Array): Promise<string> => {
      const partNumber = Number(/part\/(\d+)/.exec(target)?.[1]);
      calls.push(`put ${partNumber}`);
      const failure = failures[partNumber]?.shift();
      if (failure) return Promise.reject(failure);
      received.set(partNumber, Buffer.from(bytes));
      return Promise.resolve(`"etag-${partNumber}"`);
    },
    completeUpload: async (_id: string, parts: { part_number: number; etag: string }[]) => {
      calls.push(`complete ${parts.map((part) => part.part_number).join(',')}`);
      return Promise.resolve({
        status: 'complete' as const,
        source: 's3://in/uploads/u1/a.mp4',
        size_bytes: size,
        content_type: 'video/mp4',
        sha256: 'abc',
      });
    },
    abortUpload: async (): Promise<void> => {
      calls.push('abort');
      return Promise.resolve();
    },
  };
}

describe('multipartUpload', () => {
  let dir: string;
  let file: string;
  const content = Buffer.from('0123456789abcdefghij!'); // 21 bytes: 5 parts of 4, then one of 1

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-multipart-'));
    file = path.join(dir, 'a.mp4');
    await writeFile(file, content);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('sends each part’s exact bytes, fetches missing URLs, and completes in part order', async () => {
    const api = fakeApi(content.length);
    const progress: number[] = [];
    const result = await multipartUpload(api, file, {
      concurrency: 2,
      attempts: 3,
      onProgress: (sent) => progress.push(sent),
    });
    expect(result).toEqual({
      source: 's3://in/uploads/u1/a.mp4',
      size_bytes: 21,
      content_type: 'video/mp4',
      sha256: 'abc',
    });
    expect(Buffer.concat([1, 2, 3, 4, 5, 6].map((n) => api.received.get(n) ?? Buffer.alloc(0)))).toEqual(content);
    expect(api.calls).toContain('complete 1,2,3,4,5,6');
    expect(api.calls.filter((call) => call.startsWith('urls'))).not.toHaveLength(0);
    expect(progress.at(-1)).toBe(21);
  });

  it('retries a part with a fresh URL after a broken connection or an expired URL', async () => {
    const api = fakeApi(content.length, {
      2: [new NetworkError('reset')],
      4: [new ApiError(403, 'UPLOAD_URL_EXPIRED', 'expired')],
    });
    await multipartUpload(api, file, { concurrency: 1, attempts: 3 });
    expect(api.calls.filter((call) => call === 'put 2' || call === 'put 4')).toEqual([
      'put 2',
      'put 2',
      'put 4',
      'put 4',
    ]);
    expect(api.calls.at(-1)).toBe('complete 1,2,3,4,5,6');
  });

  it('aborts the upload when a part keeps failing or is refused', async () => {
    const flaky = fakeApi(content.length, { 3: [new NetworkError('a'), new NetworkError('b')] });
    await expect(multipartUpload(flaky, file, { concurrency: 1, attempts: 2 })).rejects.toBeInstanceOf(NetworkError);
    expect(flaky.calls.at(-1)).toBe('abort');
    expect(flaky.calls).not.toContain('put 4');

    const refused = fakeApi(content.length, { 1: [new ApiError(400, 'VALIDATION_FAILED', 'bad part')] });
    await expect(multipartUpload(refused, file, { concurrency: 1, attempts: 3 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    expect(refused.calls.filter((call) => call === 'put 1')).toHaveLength(1);
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { LocalDiskObjectStore } from '@mediaflow/storage';
import { signPlaybackToken } from '../../services/api/src/playback-token';
import { startInProcessApi, TEST_PLAYBACK_SECRET } from '../support/in-process-api';
import type { InProcessApi } from '../support/in-process-api';
import { buildStreamingPackage, publishPackageJob } from '../support/streaming-package';
import type { PublishedJob, StreamingPackage } from '../support/streaming-package';
import { TEST_KEYS } from '../support/system';

/**
 * Job files and playback URLs against the real database and S3 server: a
 * real HLS + DASH package built by FFmpeg, stored under a job's folder, the
 * job recorded as completed through the repository, served by the real app.
 */

jest.setTimeout(120_000);

const PLAYER_ORIGIN = 'http://player.example';
const TTL_SECONDS = 600;
const IMMUTABLE_PRIVATE = 'private, max-age=31536000, immutable';

const EXPECTED_TYPES: Readonly<Record<string, string>> = {
  m3u8: 'application/vnd.apple.mpegurl',
  mpd: 'application/dash+xml',
  m4s: 'video/iso.segment',
  jpg: 'image/jpeg',
  // Express adds the charset to text/* types; WebVTT is UTF-8 by definition.
  vtt: 'text/vtt; charset=utf-8',
  log: 'text/plain; charset=utf-8',
};

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** A request whose path goes out byte for byte: fetch() would resolve `..` and re-encode before sending. */
async function raw(
  base: string,
  rawPath: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, path: rawPath, method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}

function auth(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

function errorCode(response: RawResponse): unknown {
  return (JSON.parse(response.body.toString('utf8')) as { error: { code: unknown } }).error.code;
}

/** Every relative URI a playlist lists (URI="…" attributes and plain lines). */
function playlistUris(text: string): string[] {
  return text.split('\n').flatMap((line) => {
    const attribute = /URI="([^"]+)"/.exec(line);
    if (attribute) return [attribute[1]];
    return line.trim() === '' || line.startsWith('#') ? [] : [line.trim()];
  });
}

interface PlaybackBody {
  expires_at: string;
  hls?: string;
  dash?: string;
  poster?: string;
  storyboard?: string;
  storyboard_image?: string;
}

describe('job files and playback URLs (real S3, MongoDB, FFmpeg package)', () => {
  let dir: string;
  let pkg: StreamingPackage;
  let proxy: InProcessApi;
  let redirect: InProcessApi;
  let job: PublishedJob;
  let failedJob: PublishedJob;
  let posterOnlyJob: PublishedJob;
  const runId = randomBytes(4).toString('hex');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-playback-'));
    pkg = await buildStreamingPackage(path.join(dir, 'package'));
    const shared = {
      DB_NAME: `playback_${runId}`,
      OUTPUT_PREFIX: `playback-test/${runId}/`,
      CORS_ORIGINS: PLAYER_ORIGIN,
      PLAYBACK_URL_TTL_SECONDS: String(TTL_SECONDS),
    };
    proxy = await startInProcessApi({ ...shared, PLAYBACK_DELIVERY: 'proxy' });
    redirect = await startInProcessApi({ ...shared, PLAYBACK_DELIVERY: 'redirect' });
    const publish = async (overrides: Partial<Parameters<typeof publishPackageJob>[0]> = {}): Promise<PublishedJob> =>
      publishPackageJob({
        repository: proxy.infrastructure.repository,
        store: proxy.infrastructure.store,
        bucket: proxy.config.OUTPUT_BUCKET,
        outputPrefix: proxy.config.OUTPUT_PREFIX,
        owner: 'alice',
        pkg,
        ...overrides,
      });
    job = await publish();
    failedJob = await publish({ finalStatus: 'failed' });
    posterOnlyJob = await publish({
      pkg: { ...pkg, outputs: pkg.outputs.filter((output) => ['poster', 'log'].includes(output.kind)) },
    });
  });

  afterAll(async () => {
    if (proxy) {
      for (const published of [job, failedJob, posterOnlyJob]) {
        if (published) {
          await proxy.infrastructure.store.deletePrefix({ bucket: proxy.config.OUTPUT_BUCKET, key: published.folder });
        }
      }
    }
    await redirect?.close();
    await proxy?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function playbackOf(api: InProcessApi, jobId: string): Promise<PlaybackBody> {
    const response = await raw(api.base, `/jobs/${jobId}/playback`, auth(TEST_KEYS.alice));
    expect(response.status).toBe(200);
    return JSON.parse(response.body.toString('utf8')) as PlaybackBody;
  }

  it('shows outputs with relative paths and URLs, and no output_path, log_path or object', async () => {
    const response = await raw(proxy.base, `/status/${job.jobId}`, auth(TEST_KEYS.alice));
    expect(response.status).toBe(200);
    const view = JSON.parse(response.body.toString('utf8')) as Record<string, unknown> & {
      outputs: Record<string, unknown>[];
    };
    expect(view).not.toHaveProperty('output_path');
    expect(view).not.toHaveProperty('log_path');
    expect(view.outputs.map((output) => [output.kind, output.path, output.url])).toEqual(
      pkg.outputs.map((output) => [output.kind, output.path, `/jobs/${job.jobId}/files/${output.path}`]),
    );
    for (const output of view.outputs) expect(output).not.toHaveProperty('object');
    expect(view.outputs[2]).toMatchObject({
      kind: 'package',
      file_count: pkg.files.filter((f) => f.startsWith('stream/')).length,
    });
  });

  it('serves every file of the package with its type, length, caching and range support', async () => {
    for (const file of pkg.files) {
      const expected = await readFile(path.join(pkg.dir, file));
      const response = await raw(proxy.base, `/jobs/${job.jobId}/files/${file}`, auth(TEST_KEYS.alice));
      expect({ file, status: response.status }).toEqual({ file, status: 200 });
      expect(response.body.equals(expected)).toBe(true);
      expect(response.headers['content-type']).toBe(EXPECTED_TYPES[path.extname(file).slice(1)]);
      expect(response.headers['content-length']).toBe(String(expected.length));
      expect(response.headers['accept-ranges']).toBe('bytes');
      expect(response.headers['cache-control']).toBe(IMMUTABLE_PRIVATE);
    }

    const segment = 'stream/chunk-stream0-00001.m4s';
    const whole = await readFile(path.join(pkg.dir, segment));
    const head = await raw(proxy.base, `/jobs/${job.jobId}/files/${segment}`, auth(TEST_KEYS.alice), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(whole.length));
    expect(head.body.length).toBe(0);

    const first = await raw(proxy.base, `/jobs/${job.jobId}/files/${segment}`, {
      ...auth(TEST_KEYS.alice),
      range: 'bytes=0-99',
    });
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-99/${whole.length}`);
    expect(first.body.equals(whole.subarray(0, 100))).toBe(true);
    const tail = await raw(proxy.base, `/jobs/${job.jobId}/files/${segment}`, {
      ...auth(TEST_KEYS.alice),
      range: 'bytes=-10',
    });
    expect(tail.status).toBe(206);
    expect(tail.body.equals(whole.subarray(whole.length - 10))).toBe(true);
    const beyond = await raw(proxy.base, `/jobs/${job.jobId}/files/${segment}`, {
      ...auth(TEST_KEYS.alice),
      range: `bytes=${whole.length}-`,
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${whole.length}`);
    expect(errorCode(beyond)).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('keeps /download working: the primary output, ?output=<kind>, no directories', async () => {
    const master = await readFile(path.join(pkg.dir, 'stream/master.m3u8'));
    const primary = await raw(proxy.base, `/download/${job.jobId}`, auth(TEST_KEYS.alice));
    expect(primary.status).toBe(200);
    expect(primary.body.equals(master)).toBe(true);
    expect(primary.headers['content-disposition']).toContain('filename="master.m3u8"');
    const poster = await raw(proxy.base, `/download/${job.jobId}?output=poster`, auth(TEST_KEYS.alice));
    expect(poster.status).toBe(200);
    expect(poster.headers['content-type']).toBe('image/jpeg');
    const storyboard = await raw(proxy.base, `/download/${job.jobId}?output=storyboard_image`, auth(TEST_KEYS.alice));
    expect(storyboard.status).toBe(200);
    const directory = await raw(proxy.base, `/download/${job.jobId}?output=package`, auth(TEST_KEYS.alice));
    expect(directory.status).toBe(404);
  });

  it('hides another key’s job and asks for a key', async () => {
    const file = `/jobs/${job.jobId}/files/stream/master.m3u8`;
    const bob = await raw(proxy.base, file, auth(TEST_KEYS.bob));
    expect(bob.status).toBe(404);
    expect(errorCode(bob)).toBe('JOB_NOT_FOUND');
    expect((await raw(proxy.base, `/jobs/${job.jobId}/playback`, auth(TEST_KEYS.bob))).status).toBe(404);
    expect((await raw(proxy.base, file)).status).toBe(401);
    expect((await raw(proxy.base, file, auth(TEST_KEYS.admin))).status).toBe(200);
  });

  it.each([
    ['..', '/stream/../poster.jpg', 'INVALID_FILE_PATH'],
    ['a leading ..', '/../../etc/passwd', 'INVALID_FILE_PATH'],
    ['encoded ..', '/stream/%2e%2e/poster.jpg', 'INVALID_FILE_PATH'],
    ['an encoded slash', '/stream%2Fmaster.m3u8', 'INVALID_FILE_PATH'],
    ['an encoded ../', '/%2e%2e%2fpolicy.json', 'INVALID_FILE_PATH'],
    ['double encoding', '/stream/%252e%252e/x', 'INVALID_FILE_PATH'],
    ['an empty segment', '/stream//master.m3u8', 'INVALID_FILE_PATH'],
    ['a backslash', '/stream%5c..%5cposter.jpg', 'INVALID_FILE_PATH'],
    ['a NUL', '/stream/master.m3u8%00.jpg', 'INVALID_FILE_PATH'],
    ['a hidden file', '/.meta', 'INVALID_FILE_PATH'],
    ['broken percent-encoding', '/stream/%E0%A4%A', 'VALIDATION_FAILED'],
    ['a file no output covers', '/other.mp4', 'NOT_FOUND'],
    ['a directory itself', '/stream/', 'INVALID_FILE_PATH'],
    ['a missing file in the package', '/stream/chunk-stream9-00001.m4s', 'NOT_FOUND'],
  ])('refuses %s', async (_name, suffix, code) => {
    const response = await raw(proxy.base, `/jobs/${job.jobId}/files${suffix}`, auth(TEST_KEYS.alice));
    expect(response.status).toBe(code === 'NOT_FOUND' ? 404 : 400);
    expect(errorCode(response)).toBe(code);
  });

  it('serves a failed job’s log (from log_path) but nothing else, and no playback', async () => {
    const log = await raw(proxy.base, `/jobs/${failedJob.jobId}/files/ffmpeg.log`, auth(TEST_KEYS.alice));
    expect(log.status).toBe(200);
    expect(log.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(log.headers['cache-control']).toBe('private, no-cache');
    expect(log.body.toString('utf8')).toContain('Stream mapping');
    const status = await raw(proxy.base, `/status/${failedJob.jobId}`, auth(TEST_KEYS.alice));
    const view = JSON.parse(status.body.toString('utf8')) as { outputs: { kind: string; url: string }[] };
    expect(view.outputs).toEqual([
      expect.objectContaining({ kind: 'log', url: `/jobs/${failedJob.jobId}/files/ffmpeg.log` }),
    ]);
    const playback = await raw(proxy.base, `/jobs/${failedJob.jobId}/playback`, auth(TEST_KEYS.alice));
    expect(playback.status).toBe(409);
    expect(errorCode(playback)).toBe('JOB_NOT_COMPLETED');
  });

  it('answers 404 for playback of a job without HLS or DASH', async () => {
    const response = await raw(proxy.base, `/jobs/${posterOnlyJob.jobId}/playback`, auth(TEST_KEYS.alice));
    expect(response.status).toBe(404);
    expect(errorCode(response)).toBe('NOT_FOUND');
  });

  it('issues signed /play URLs that expire with the TTL and need no API key', async () => {
    const before = Date.now();
    const response = await raw(proxy.base, `/jobs/${job.jobId}/playback`, auth(TEST_KEYS.alice));
    expect(response.headers['cache-control']).toBe('no-store');
    const body = JSON.parse(response.body.toString('utf8')) as PlaybackBody;
    const expires = Date.parse(body.expires_at);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + TTL_SECONDS * 1000 - 1000);
    expect(expires).toBeLessThanOrEqual(Date.now() + TTL_SECONDS * 1000);
    const token = /^\/play\/([A-Za-z0-9_-]+)\/stream\/master\.m3u8$/.exec(body.hls ?? '')?.[1];
    expect(token).toBeDefined();
    expect(body).toEqual({
      expires_at: body.expires_at,
      hls: `/play/${token}/stream/master.m3u8`,
      dash: `/play/${token}/stream/manifest.mpd`,
      poster: `/play/${token}/poster.jpg`,
      storyboard: `/play/${token}/storyboard/storyboard.vtt`,
      storyboard_image: `/play/${token}/storyboard/sprite.jpg`,
    });
  });

  it('plays through relative URIs: master → media playlists → init and CMAF segments, with CORS', async () => {
    const { hls, dash } = await playbackOf(proxy, job.jobId);
    const origin = { origin: PLAYER_ORIGIN };
    const master = await raw(proxy.base, hls ?? '', origin);
    expect(master.status).toBe(200);
    expect(master.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    expect(master.headers['access-control-allow-origin']).toBe(PLAYER_ORIGIN);
    expect(master.headers['access-control-expose-headers']).toEqual(expect.stringContaining('Content-Range'));
    expect(master.headers['cross-origin-resource-policy']).toBe('cross-origin');
    expect(master.headers.vary).toContain('Origin');
    const maxAge = Number(/^public, max-age=(\d+), immutable$/.exec(master.headers['cache-control'] ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(TTL_SECONDS - 10);
    expect(maxAge).toBeLessThanOrEqual(TTL_SECONDS);

    // Resolve every URI as a player does: against the URL of the playlist that lists it.
    const fetched = new Set<string>();
    const visit = async (url: URL): Promise<void> => {
      if (fetched.has(url.pathname)) return;
      fetched.add(url.pathname);
      const response = await raw(proxy.base, url.pathname, origin);
      const relative = url.pathname.split('/').slice(3).join('/');
      expect({ relative, status: response.status }).toEqual({ relative, status: 200 });
      expect(response.body.equals(await readFile(path.join(pkg.dir, relative)))).toBe(true);
      expect(response.headers['content-type']).toBe(EXPECTED_TYPES[path.extname(relative).slice(1)]);
      expect(response.headers['access-control-allow-origin']).toBe(PLAYER_ORIGIN);
      if (relative.endsWith('.m3u8')) {
        for (const uri of playlistUris(response.body.toString('utf8'))) await visit(new URL(uri, url));
      }
    };
    await visit(new URL(hls ?? '', proxy.base));
    // The master, three media playlists, three init segments and every media segment.
    expect(fetched.size).toBe(pkg.files.filter((file) => /^stream\/.*\.(m3u8|m4s)$/.test(file)).length);

    const mpdUrl = new URL(dash ?? '', proxy.base);
    const mpd = await raw(proxy.base, mpdUrl.pathname, origin);
    expect(mpd.headers['content-type']).toBe('application/dash+xml');
    const init = await raw(proxy.base, new URL('init-stream2.m4s', mpdUrl).pathname, origin);
    expect(init.status).toBe(200);

    const range = await raw(proxy.base, new URL('chunk-stream1-00002.m4s', mpdUrl).pathname, {
      ...origin,
      range: 'bytes=4-11',
    });
    expect(range.status).toBe(206);
    expect(range.headers['content-range']).toMatch(/^bytes 4-11\/\d+$/);

    const preflight = await raw(
      proxy.base,
      new URL('chunk-stream1-00002.m4s', mpdUrl).pathname,
      { ...origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'range' },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('HEAD');
    expect(preflight.headers['access-control-allow-headers']).toContain('Range');

    const stranger = await raw(proxy.base, hls ?? '', { origin: 'http://evil.example' });
    expect(stranger.status).toBe(200);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses forged, tampered, expired and other-job tokens, without caching the refusal', async () => {
    const { hls } = await playbackOf(proxy, job.jobId);
    const token = (hls ?? '').split('/')[2];
    const nowSeconds = Math.floor(Date.now() / 1000);
    const bytes = Buffer.from(token, 'base64url');
    bytes[5] ^= 0x10;
    const cases: [string, string, number, string][] = [
      ['tampered', bytes.toString('base64url'), 403, 'PLAYBACK_TOKEN_INVALID'],
      ['garbage', 'not-a-token', 403, 'PLAYBACK_TOKEN_INVALID'],
      [
        'signed with another key',
        signPlaybackToken(randomBytes(32), { jobId: job.jobId, expiresAt: nowSeconds + 600 }),
        403,
        'PLAYBACK_TOKEN_INVALID',
      ],
      [
        'expired',
        signPlaybackToken(Buffer.from(TEST_PLAYBACK_SECRET), { jobId: job.jobId, expiresAt: nowSeconds - 1 }),
        403,
        'PLAYBACK_TOKEN_EXPIRED',
      ],
      [
        // A genuine token for a failed job: it has no media, and its log is not for viewers.
        'for another (failed) job',
        signPlaybackToken(Buffer.from(TEST_PLAYBACK_SECRET), { jobId: failedJob.jobId, expiresAt: nowSeconds + 600 }),
        404,
        'NOT_FOUND',
      ],
      [
        'for a job that does not exist',
        signPlaybackToken(Buffer.from(TEST_PLAYBACK_SECRET), {
          jobId: '00000000-0000-4000-8000-000000000000',
          expiresAt: nowSeconds + 600,
        }),
        404,
        'JOB_NOT_FOUND',
      ],
    ];
    for (const [name, candidate, status, code] of cases) {
      const response = await raw(proxy.base, `/play/${candidate}/stream/master.m3u8`, { origin: PLAYER_ORIGIN });
      expect({ name, status: response.status, code: errorCode(response) }).toEqual({ name, status, code });
      expect(response.headers['cache-control']).toBe('no-store');
    }
    // A token only ever opens its own job's folder: the poster-only job's token cannot reach this package.
    const posterToken = signPlaybackToken(Buffer.from(TEST_PLAYBACK_SECRET), {
      jobId: posterOnlyJob.jobId,
      expiresAt: nowSeconds + 600,
    });
    const crossed = await raw(proxy.base, `/play/${posterToken}/stream/master.m3u8`);
    expect(crossed.status).toBe(404);
    expect(errorCode(crossed)).toBe('NOT_FOUND');
    expect(errorCode(await raw(proxy.base, `/play/${token}/ffmpeg.log`))).toBe('NOT_FOUND');
    const failedToken = signPlaybackToken(Buffer.from(TEST_PLAYBACK_SECRET), {
      jobId: failedJob.jobId,
      expiresAt: nowSeconds + 600,
    });
    expect((await raw(proxy.base, `/play/${failedToken}/ffmpeg.log`)).status).toBe(404);
    // Path rules are the same as /jobs/{id}/files.
    expect(errorCode(await raw(proxy.base, `/play/${token}/stream/%2e%2e/poster.jpg`))).toBe('INVALID_FILE_PATH');
    expect((await raw(proxy.base, `/play/${token}`)).status).toBe(404);
  });

  it('with PLAYBACK_DELIVERY=redirect, redirects segments and images to presigned S3 URLs but proxies playlists', async () => {
    const { hls, poster } = await playbackOf(redirect, job.jobId);
    const playlist = await raw(redirect.base, hls ?? '');
    expect(playlist.status).toBe(200);
    expect(playlist.headers['content-type']).toBe('application/vnd.apple.mpegurl');
    const media = await raw(redirect.base, new URL('media_0.m3u8', new URL(hls ?? '', redirect.base)).pathname);
    expect(media.status).toBe(200);

    const segmentPath = new URL('chunk-stream0-00002.m4s', new URL(hls ?? '', redirect.base)).pathname;
    const expected = await readFile(path.join(pkg.dir, 'stream/chunk-stream0-00002.m4s'));
    const segment = await raw(redirect.base, segmentPath);
    expect(segment.status).toBe(302);
    expect(segment.body.length).toBe(0);
    const location = segment.headers.location ?? '';
    expect(location.startsWith(`${process.env.S3_ENDPOINT ?? ''}/`)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    const maxAge = Number(/^public, max-age=(\d+)$/.exec(segment.headers['cache-control'] ?? '')?.[1]);
    expect(maxAge).toBeGreaterThan(TTL_SECONDS - 10);
    const fromS3 = await fetch(location);
    expect(fromS3.status).toBe(200);
    expect(fromS3.headers.get('content-type')).toBe('video/iso.segment');
    expect(Buffer.from(await fromS3.arrayBuffer()).equals(expected)).toBe(true);
    const rangedFromS3 = await fetch(location, { headers: { range: 'bytes=0-15' } });
    expect(rangedFromS3.status).toBe(206);
    expect(Buffer.from(await rangedFromS3.arrayBuffer()).equals(expected.subarray(0, 16))).toBe(true);

    // HEAD cannot use a URL presigned for GET, so it is answered by the API.
    const head = await raw(redirect.base, segmentPath, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(expected.length));

    const image = await raw(redirect.base, poster ?? '');
    expect(image.status).toBe(302);
    const posterFromS3 = await fetch(image.headers.location ?? '');
    expect(posterFromS3.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await posterFromS3.arrayBuffer()).equals(await readFile(path.join(pkg.dir, 'poster.jpg')))).toBe(
      true,
    );

    const file = await raw(
      redirect.base,
      `/jobs/${job.jobId}/files/stream/chunk-stream0-00002.m4s`,
      auth(TEST_KEYS.alice),
    );
    expect(file.status).toBe(302);
    expect(file.headers['cache-control']).toBe('no-store');
    const fileFromS3 = await fetch(file.headers.location ?? '');
    expect(Buffer.from(await fileFromS3.arrayBuffer()).equals(expected)).toBe(true);
  });

  it('falls back to proxying on the local-disk store even with PLAYBACK_DELIVERY=redirect', async () => {
    const local = await startInProcessApi({
      STORAGE_BACKEND: 'local',
      DB_NAME: `playback_${runId}`,
      OUTPUT_PREFIX: `playback-test/${runId}/`,
      PLAYBACK_DELIVERY: 'redirect',
    });
    try {
      expect(local.infrastructure.store).toBeInstanceOf(LocalDiskObjectStore);
      const published = await publishPackageJob({
        repository: local.infrastructure.repository,
        store: local.infrastructure.store,
        bucket: local.config.OUTPUT_BUCKET,
        outputPrefix: local.config.OUTPUT_PREFIX,
        owner: 'alice',
        pkg,
      });
      const { hls } = await playbackOf(local, published.jobId);
      const segment = await raw(
        local.base,
        new URL('chunk-stream0-00001.m4s', new URL(hls ?? '', local.base)).pathname,
      );
      expect(segment.status).toBe(200);
      expect(segment.headers['content-type']).toBe('video/iso.segment');
      expect(segment.body.equals(await readFile(path.join(pkg.dir, 'stream/chunk-stream0-00001.m4s')))).toBe(true);
    } finally {
      await local.close();
    }
  });
});

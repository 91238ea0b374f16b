import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, playInBrowser, startPlayerPageServer } from '../support/browser-player';
import type { PlayerPageServer } from '../support/browser-player';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { REPO_ROOT } from '../support/processes';
import { listKeys } from '../support/s3-inspect';
import { startSystem } from '../support/system';
import type { DbBackend, RunningSystem } from '../support/system';

const run = promisify(execFile);

/**
 * The adaptive_stream operation through the whole system: API, Kafka, a
 * worker, S3 and each database. The package is read back over HTTP by
 * ffprobe and played by hls.js and dash.js in Chromium from another origin,
 * through the signed playback URLs.
 */

jest.setTimeout(600_000);

const ARTIFACTS = path.join(REPO_ROOT, '.services', 'artifacts');

describe.each<DbBackend>(['mongodb', 'dynamodb'])('adaptive_stream end to end on %s', (db) => {
  let system: RunningSystem;
  let dir: string;
  let source: string;
  let longSource: string;
  let pageServer: PlayerPageServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `mediaflow-adaptive-${db}-`));
    await mkdir(ARTIFACTS, { recursive: true });
    const clip = path.join(dir, 'clip.mp4');
    const longClip = path.join(dir, 'long.mp4');
    await Promise.all([
      makeClip(clip, { seconds: 8, width: 640, height: 360 }),
      makeClip(longClip, { seconds: 60, width: 1280, height: 720 }),
    ]);
    pageServer = await startPlayerPageServer();
    system = await startSystem({ db, workers: 1, env: { CORS_ORIGINS: pageServer.origin } });
    source = await system.client.upload('clip.mp4', clip);
    longSource = await system.client.upload('long.mp4', longClip);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 640, height: 360 } });
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await pageServer?.close();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  it('packages a ladder as HLS and DASH with poster and storyboard, served and playable', async () => {
    const jobId = await submitJob(system.client, {
      source,
      method_name: 'adaptive_stream',
      params: { renditions: [720, 360, 240], segment_seconds: 2 },
    });
    const { final, progress } = await waitForJob(system.client, jobId, undefined, 300_000);
    expect({ status: final.status, error: final.error }).toEqual({ status: 'completed', error: null });
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(final).not.toHaveProperty('output_path');

    const byKind = new Map(final.outputs.map((output) => [output.kind, output]));
    expect([...byKind.keys()].sort()).toEqual(
      ['dash', 'hls', 'log', 'package', 'poster', 'storyboard', 'storyboard_image'].sort(),
    );
    expect(byKind.get('hls')).toMatchObject({ path: 'stream/master.m3u8', primary: true });
    expect(byKind.get('package')).toMatchObject({ path: 'stream/', content_type: 'inode/directory' });
    for (const output of final.outputs) {
      expect(output.url).toBe(`/jobs/${jobId}/files/${output.path}`);
      if (output.path.endsWith('/')) continue;
      const response = await system.client.request('HEAD', output.url);
      expect({ kind: output.kind, status: response.status }).toEqual({ kind: output.kind, status: 200 });
      expect(response.headers.get('content-type')).toContain(output.content_type.split(';')[0]);
    }

    // No rung above the 360p source: the ladder is 360 and 240.
    const master = await system.client.request<string>('GET', `/jobs/${jobId}/files/stream/master.m3u8`);
    const masterText = typeof master.body === 'string' ? master.body : JSON.stringify(master.body);
    expect(masterText).toMatch(/RESOLUTION=640x360/);
    expect(masterText).toMatch(/RESOLUTION=426x240|RESOLUTION=428x240/);
    expect(masterText).not.toMatch(/x720/);

    const playback = await system.client.request<{ hls: string; dash: string; poster: string; expires_at: string }>(
      'GET',
      `/jobs/${jobId}/playback`,
    );
    expect(playback.status).toBe(200);
    const base = `http://127.0.0.1:${system.env.PORT ?? ''}`;

    // ffprobe reads both manifests back over HTTP, through the signed URLs (no API key).
    for (const url of [playback.body.hls, playback.body.dash]) {
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-protocol_whitelist',
        'http,tcp',
        '-show_entries',
        'stream=codec_type,width,height',
        '-of',
        'json',
        `${base}${url}`,
      ]);
      const streams = (JSON.parse(stdout) as { streams: { codec_type: string; height?: number }[] }).streams;
      expect(streams.some((stream) => stream.codec_type === 'video' && stream.height === 360)).toBe(true);
      expect(streams.some((stream) => stream.codec_type === 'audio')).toBe(true);
    }

    const results = await playInBrowser(
      page,
      { hlsUrl: `${base}${playback.body.hls}`, dashUrl: `${base}${playback.body.dash}` },
      {
        pageOrigin: pageServer.origin,
        minSeconds: 2 * 2,
        timeoutMs: 60_000,
        screenshotPath: (player) => path.join(ARTIFACTS, `adaptive-${db}-${player}.png`),
      },
    );
    for (const result of results) {
      expect({ player: result.player, errors: result.errors }).toEqual({ player: result.player, errors: [] });
      expect(result.currentTime).toBeGreaterThan(4);
    }
  });

  it('offers thumbnails and storyboard as operations of their own', async () => {
    const thumbnails = await submitJob(system.client, { source, method_name: 'thumbnails', params: { count: 3 } });
    const storyboard = await submitJob(system.client, { source, method_name: 'storyboard' });
    const [thumbs, board] = await Promise.all([
      waitForJob(system.client, thumbnails),
      waitForJob(system.client, storyboard),
    ]);
    expect(thumbs.final.status).toBe('completed');
    expect(thumbs.final.outputs.filter((output) => output.kind === 'thumbnail')).toHaveLength(3);
    expect(board.final.status).toBe('completed');
    const vtt = await system.client.request<string>('GET', `/download/${storyboard}`);
    expect(vtt.status).toBe(200);
    expect(String(vtt.body)).toMatch(/^WEBVTT/);
    expect(String(vtt.body)).toMatch(/sprite\.jpg#xywh=\d+,\d+,\d+,\d+/);
  });

  it('reports the source’s metadata with the probe operation', async () => {
    const jobId = await submitJob(system.client, { source, method_name: 'probe' });
    const { final } = await waitForJob(system.client, jobId);
    expect(final.status).toBe('completed');
    const response = await system.client.request<{
      duration_sec: number;
      video: { width: number; height: number; codec: string };
      audio_streams: { codec: string; chosen: boolean }[];
    }>('GET', `/download/${jobId}`);
    expect(response.status).toBe(200);
    expect(response.body.duration_sec).toBeCloseTo(8, 0);
    expect(response.body.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(response.body.audio_streams).toEqual([expect.objectContaining({ codec: 'aac', chosen: true })]);
  });

  it('refuses impossible params with a 400 naming the field', async () => {
    const response = await system.client.postJson<{ error: { code: string; details: { path: string }[] } }>(
      '/process',
      { source, method_name: 'adaptive_stream', params: { segment_seconds: 1, formats: ['rtmp'] } },
    );
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    const paths = response.body.error.details.map((detail) => detail.path);
    expect(paths).toEqual(expect.arrayContaining(['params.segment_seconds']));
  });

  it('removes every object a cancelled package job wrote but its log', async () => {
    const jobId = await submitJob(system.client, { source: longSource, method_name: 'adaptive_stream' });
    await waitForJob(
      system.client,
      jobId,
      (status: StatusBody) => status.status === 'processing' && status.progress > 3,
    );
    const cancelled = await system.client.request('POST', `/jobs/${jobId}/cancel`);
    expect(cancelled.status).toBeLessThan(300);
    const { final } = await waitForJob(system.client, jobId);
    expect(final.status).toBe('cancelled');
    const bucket = system.env.OUTPUT_BUCKET ?? 'mediaflow-output';
    const prefix = `${system.env.OUTPUT_PREFIX ?? ''}${jobId}/`;
    expect((await listKeys(bucket, prefix)).map((key) => key.slice(prefix.length))).toEqual([
      expect.stringMatching(/^[^/]+\.log$/),
    ]);
  });
});

/**
 * Names and impossible requests through the HTTP API, on the built services:
 * an upload keeps the letters and digits of every script, outputs are named
 * after it and download under it (RFC 6266 filename* plus an ASCII
 * filename), and a resize this source cannot give fails its job with
 * RESIZE_IMPOSSIBLE instead of a squashed picture.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '@mediaflow/media';
import { submitJob, waitForJob } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { startSystem } from '../support/system';
import type { DbBackend, RunningSystem } from '../support/system';

jest.setTimeout(300_000);

interface ErrorBody {
  error: { code: string; message: string };
}

/** The name an RFC 6266 client saves the download under. */
function filenameStar(header: string | null): string | undefined {
  const match = /filename\*=UTF-8''([^;\s]+)/.exec(header ?? '');
  return match ? decodeURIComponent(match[1]) : undefined;
}

function asciiFilename(header: string | null): string | undefined {
  return /filename="([^"]*)"/.exec(header ?? '')?.[1];
}

describe.each<DbBackend>(['mongodb', 'dynamodb'])('Unicode names and impossible resizes on %s', (db) => {
  let system: RunningSystem;
  let dir: string;
  let mp4: string;
  let mov: string;
  let strip: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `mediaflow-names-${db}-`));
    mp4 = path.join(dir, 'clip.mp4');
    mov = path.join(dir, 'clip.mov');
    strip = path.join(dir, 'strip.mp4');
    await Promise.all([
      makeClip(mp4, { seconds: 1 }),
      makeClip(mov, { seconds: 1 }),
      makeClip(strip, { seconds: 1, width: 2000, height: 16, audio: false }),
    ]);
    system = await startSystem({ db, workers: 1 });
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  it.each([
    ['видео.mp4', 'clip.mp4', 'video/mp4', 'видео_compress.mp4'],
    ['日本語の動画.MOV', 'clip.mov', 'video/quicktime', '日本語の動画_compress.mp4'],
  ])('%s (made as %s, %s) keeps its name and downloads as %s', async (name, fixture, contentType, outputName) => {
    const source = await system.client.upload(name, path.join(dir, fixture), contentType);
    // The key keeps the name, extension as typed; the URI carries it as UTF-8.
    expect(source).toMatch(new RegExp(`^s3://mediaflow-input/uploads/[0-9a-f-]{36}/${name.replace('.', '\\.')}$`));

    const jobId = await submitJob(system.client, { source, method_name: 'compress' });
    const { final } = await waitForJob(system.client, jobId);
    expect({ status: final.status, error: final.error }).toEqual({ status: 'completed', error: null });
    const primary = final.outputs.find((output) => output.primary === true);
    expect(primary?.path).toBe(outputName);

    const download = await system.client.download(`/download/${jobId}`);
    expect(download.status).toBe(200);
    const disposition = download.headers.get('content-disposition');
    expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9._-]+"; filename\*=UTF-8''/);
    expect(filenameStar(disposition)).toBe(outputName);
    expect(asciiFilename(disposition)).toBe('compress.mp4');
    const saved = path.join(dir, `${db}-${jobId}.mp4`);
    await writeFile(saved, download.data);
    expect((await probeMedia(saved)).video?.codec).toBe('h264');

    // The file URL the job view lists serves the same object.
    const file = await system.client.download(primary?.url ?? '');
    expect(file.status).toBe(200);
    expect(file.data.equals(download.data)).toBe(true);
  });

  it('refuses a name with no letter or digit, saying what a name needs', async () => {
    const response = await system.client.request<ErrorBody>('PUT', `/uploads/${encodeURIComponent('💥.mp4')}`, {
      headers: { 'content-type': 'video/mp4' },
      body: 'x',
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_FILENAME');
    expect(response.body.error.message).toMatch(/letter or digit \(of any script\)/);
  });

  it('fails resize {width: 16} of a 2000x16 video with RESIZE_IMPOSSIBLE, once, naming the size', async () => {
    const source = await system.client.upload('strip.mp4', strip);
    const jobId = await submitJob(system.client, { source, method_name: 'resize', params: { width: 16 } });
    const { final } = await waitForJob(system.client, jobId);
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('RESIZE_IMPOSSIBLE');
    expect(final.error?.message).toMatch(/16x0\.128 px \(16x2 in even pixels\)/);
    // Not retryable: the source will not change between attempts.
    expect(final.attempts).toBe(1);
  });

  it('still refuses at submit what no source could give', async () => {
    const response = await system.client.postJson<ErrorBody>('/process', {
      source: 's3://mediaflow-input/uploads/x/clip.mp4',
      method_name: 'resize',
      params: { width: 8 },
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
  });
});

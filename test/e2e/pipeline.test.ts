import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import type { JsonObject } from '../support/api-client';
import { submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { measureChroma } from '../support/media-assertions';
import { startSystem } from '../support/system';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import type { DbBackend, RunningSystem } from '../support/system';

jest.setTimeout(300_000);

describe.each<DbBackend>(['mongodb', 'dynamodb'])('job pipeline end to end on %s', (db) => {
  let system: RunningSystem;
  let dir: string;
  let source: string;
  let longSource: string;
  const jobs = new Map<string, string>();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `mediaflow-e2e-${db}-`));
    const clip = path.join(dir, 'clip.mp4');
    const longClip = path.join(dir, 'long.mp4');
    await Promise.all([
      makeClip(clip, { seconds: 4, width: 320, height: 240 }),
      makeClip(longClip, { seconds: 20, width: 640, height: 360 }),
    ]);
    system = await startSystem({ db, workers: 2 });
    source = await system.client.upload('clip.mp4', clip);
    longSource = await system.client.upload('long clip.mp4', longClip);
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  async function downloadAndProbe(
    jobId: string,
    name: string,
  ): Promise<{ probe: MediaProbe; file: string; bytes: Buffer }> {
    const response = await system.client.download(`/download/${jobId}`);
    expect(response.status).toBe(200);
    expect(Number(response.headers.get('content-length'))).toBe(response.data.length);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
    const file = path.join(dir, name);
    await writeFile(file, response.data);
    return { probe: await probeMedia(file), file, bytes: response.data };
  }

  it('submits every operation, reports progress, and produces correct media', async () => {
    const requests: [string, JsonObject][] = [
      ['compress', { source, method_name: 'compress', params: { crf: 30 } }],
      ['extract_audio', { source, method_name: 'extract_audio' }],
      ['extract_audio_wav', { source, method_name: 'extract_audio', output_format: 'wav' }],
      ['resize', { source, method_name: 'resize', params: { width: 160 } }],
      ['resize_default', { source, method_name: 'resize' }],
      ['convert_webm', { source, method_name: 'convert_format', output_format: 'webm' }],
      ['convert_mkv', { source, method_name: 'convert_format', output_format: 'mkv' }],
      ['grayscale', { source, method_name: 'grayscale' }],
      ['black_and_white', { source, method_name: 'black_and_white' }],
      ['slow_compress', { source: longSource, method_name: 'compress', params: { preset: 'medium', crf: 23 } }],
    ];
    for (const [name, body] of requests) jobs.set(name, await submitJob(system.client, body));

    const watched = new Map<string, { final: StatusBody; progress: number[] }>();
    await Promise.all(
      [...jobs].map(async ([name, jobId]) => watched.set(name, await waitForJob(system.client, jobId))),
    );

    for (const [name, { final, progress }] of watched) {
      expect({ name, status: final.status, error: final.error }).toEqual({ name, status: 'completed', error: null });
      expect(final.progress).toBe(100);
      for (let i = 1; i < progress.length; i += 1) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
      const primary = final.outputs.find((output) => output.kind !== 'log');
      expect(primary?.path).toMatch(/^[^/]+\.[a-z0-9]+$/);
      expect(primary?.url).toBe(`/jobs/${final.job_id}/files/${primary?.path}`);
      expect(final.outputs.find((output) => output.kind === 'log')?.path).toMatch(/ffmpeg\.log$/);
      expect(final).not.toHaveProperty('output_path');
      expect(final).not.toHaveProperty('log_path');
      expect(final.attempts).toBe(1);
    }
    // The long encode is slow enough to be seen part-way through.
    const slow = watched.get('slow_compress')!.progress;
    expect(slow.some((value) => value > 0 && value < 100)).toBe(true);

    const compress = await downloadAndProbe(jobs.get('compress')!, 'compress.mp4');
    expect(compress.probe.video).toMatchObject({ codec: 'h264', width: 320, height: 240 });
    expect(compress.probe.audio?.codec).toBe('aac');
    expect(compress.probe.durationSec).toBeCloseTo(4, 0);

    const mp3 = await downloadAndProbe(jobs.get('extract_audio')!, 'audio.mp3');
    expect(mp3.probe.video).toBeUndefined();
    expect(mp3.probe.audio?.codec).toBe('mp3');
    expect(mp3.probe.streamCount).toBe(1);
    expect(mp3.probe.durationSec).toBeCloseTo(4, 0);

    const wav = await downloadAndProbe(jobs.get('extract_audio_wav')!, 'audio.wav');
    expect(wav.probe.video).toBeUndefined();
    expect(wav.probe.audio?.codec).toBe('pcm_s16le');

    const resized = await downloadAndProbe(jobs.get('resize')!, 'resized.mp4');
    expect(resized.probe.video).toMatchObject({ width: 160, height: 120 });
    const resizedDefault = await downloadAndProbe(jobs.get('resize_default')!, 'resized-default.mp4');
    expect(resizedDefault.probe.video).toMatchObject({ width: 960, height: 720 });

    const webm = await downloadAndProbe(jobs.get('convert_webm')!, 'converted.webm');
    expect(webm.probe.formatName).toContain('webm');
    expect(webm.probe.video?.codec).toBe('vp9');
    expect(webm.probe.audio?.codec).toBe('opus');
    const mkv = await downloadAndProbe(jobs.get('convert_mkv')!, 'converted.mkv');
    expect(mkv.probe.formatName).toContain('matroska');
    expect(mkv.probe.video?.codec).toBe('h264');

    for (const name of ['grayscale', 'black_and_white']) {
      const gray = await downloadAndProbe(jobs.get(name)!, `${name}.mp4`);
      expect(gray.probe.video?.codec).toBe('h264');
      const chroma = await measureChroma(gray.file);
      expect(Math.abs(chroma.u - 128)).toBeLessThan(2);
      expect(Math.abs(chroma.v - 128)).toBeLessThan(2);
      expect(chroma.satAvg).toBeLessThan(1);
    }
    // The source really is colourful, so the check above means something.
    const colour = await measureChroma(compress.file);
    expect(colour.satAvg).toBeGreaterThan(50);
  });

  it('serves byte ranges for seeking players', async () => {
    const jobId = jobs.get('compress')!;
    const whole = await system.client.download(`/download/${jobId}`);
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-type')).toBe('video/mp4');

    const first = await system.client.download(`/download/${jobId}`, { range: 'bytes=0-99' });
    expect(first.status).toBe(206);
    expect(first.headers.get('content-range')).toBe(`bytes 0-99/${whole.data.length}`);
    expect(first.data.equals(whole.data.subarray(0, 100))).toBe(true);

    const tail = await system.client.download(`/download/${jobId}`, { range: 'bytes=-50' });
    expect(tail.status).toBe(206);
    expect(tail.data.equals(whole.data.subarray(whole.data.length - 50))).toBe(true);

    const beyond = await system.client.download(`/download/${jobId}`, { range: `bytes=${whole.data.length + 10}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.data.length}`);

    const log = await system.client.download(`/download/${jobId}?output=log`);
    expect(log.status).toBe(200);
    const text = log.data.toString('utf8');
    expect(text).toMatch(/^\$ ffmpeg .*-c:v libx264/);
    expect(text).toContain('Stream mapping');

    // Each output's `url` serves the same bytes as /download.
    const status = await system.client.request<StatusBody>('GET', `/status/${jobId}`);
    const primary = status.body.outputs.find((output) => output.kind !== 'log');
    const viaUrl = await system.client.download(primary?.url ?? '/missing');
    expect(viaUrl.status).toBe(200);
    expect(viaUrl.headers.get('cache-control')).toBe('private, max-age=31536000, immutable');
    expect(viaUrl.data.equals(whole.data)).toBe(true);
  });

  it('lists jobs newest first with offset and cursor paging', async () => {
    const first = await system.client.request<{ jobs: StatusBody[]; count: number; next_cursor: string | null }>(
      'GET',
      '/process?limit=4&skip=0',
    );
    expect(first.status).toBe(200);
    expect(first.body.count).toBeGreaterThanOrEqual(10);
    expect(first.body.jobs).toHaveLength(4);
    expect(first.body.jobs[0].job_id).toBe(jobs.get('slow_compress'));
    const created = first.body.jobs.map((job) => String(job.created_at));
    expect([...created].sort().reverse()).toEqual(created);

    const skipped = await system.client.request<{ jobs: StatusBody[] }>('GET', '/process?limit=2&skip=2');
    expect(skipped.body.jobs.map((job) => job.job_id)).toEqual(first.body.jobs.slice(2, 4).map((job) => job.job_id));

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `/process?limit=3&cursor=${encodeURIComponent(cursor)}` : '/process?limit=3';
      const page = await system.client.request<{ jobs: StatusBody[]; next_cursor: string | null }>('GET', query);
      expect(page.status).toBe(200);
      seen.push(...page.body.jobs.map((job) => job.job_id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(first.body.count);
    expect(new Set(seen).size).toBe(seen.length);

    const badCursor = await system.client.request<JsonObject>('GET', '/process?cursor=not-a-cursor');
    expect(badCursor.status).toBe(400);
    const badLimit = await system.client.request<JsonObject>('GET', '/process?limit=100000');
    expect(badLimit.status).toBe(400);
  });

  it('answers bad requests with 4xx and a machine-readable code', async () => {
    const cases: [JsonObject, string][] = [
      [{ source, method_name: 'explode' }, 'UNKNOWN_OPERATION'],
      [{ source: '/etc/passwd', method_name: 'compress' }, 'INVALID_SOURCE'],
      [{ source: 'file:///etc/passwd', method_name: 'compress' }, 'INVALID_SOURCE'],
      [{ source: 's3://other-bucket/x.mp4', method_name: 'compress' }, 'INVALID_SOURCE'],
      [{ source: 's3://mediaflow-input/../../x', method_name: 'compress' }, 'INVALID_SOURCE'],
      [{ source: 's3://mediaflow-input/uploads/missing.mp4', method_name: 'compress' }, 'SOURCE_NOT_FOUND'],
      [{ source, method_name: 'compress', params: { crf: 99 } }, 'VALIDATION_FAILED'],
      [{ source, method_name: 'convert_format', output_format: 'avi' }, 'VALIDATION_FAILED'],
      [{ source, method_name: 'resize', params: { width: 'wide' } }, 'VALIDATION_FAILED'],
      [{ source, method_name: 'compress', extra: true }, 'VALIDATION_FAILED'],
      [{ method_name: 'compress' }, 'VALIDATION_FAILED'],
    ];
    for (const [body, code] of cases) {
      const response = await system.client.postJson<{ error: { code: string; message: string } }>('/process', body);
      const status = code === 'SOURCE_NOT_FOUND' ? 404 : 400;
      expect({ body, status: response.status, code: response.body.error?.code }).toEqual({ body, status, code });
      expect(typeof response.body.error.message).toBe('string');
    }

    const malformed = await system.client.request<{ error: { code: string } }>('POST', '/process', {
      headers: { 'content-type': 'application/json' },
      body: '{"source": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_JSON');

    const unknown = await system.client.request<{ error: { code: string } }>(
      'GET',
      '/status/00000000-0000-4000-8000-000000000000',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('JOB_NOT_FOUND');
    expect((await system.client.request('GET', '/download/not-a-uuid')).status).toBe(404);
    expect((await system.client.request('GET', '/nowhere')).status).toBe(404);
  });

  it('fails a garbage upload cleanly, answers 409 on its download, and keeps serving', async () => {
    const garbageFile = path.join(dir, 'garbage.mp4');
    await writeFile(garbageFile, randomBytes(64 * 1024));
    const garbage = await system.client.upload('garbage.mp4', garbageFile);
    const badJob = await submitJob(system.client, { source: garbage, method_name: 'compress' });
    const { final } = await waitForJob(system.client, badJob);
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('NOT_MEDIA');
    expect(final.attempts).toBe(1);

    const download = await system.client.request<{ error: { code: string } }>('GET', `/download/${badJob}`);
    expect(download.status).toBe(409);
    expect(download.body.error.code).toBe('JOB_NOT_COMPLETED');

    const audioOnlyFile = path.join(dir, 'tone.m4a');
    await makeClip(audioOnlyFile, { video: false, seconds: 2 });
    const audioOnly = await system.client.upload('tone.m4a', audioOnlyFile, 'audio/mp4');
    const grayJob = await submitJob(system.client, { source: audioOnly, method_name: 'grayscale' });
    const gray = await waitForJob(system.client, grayJob);
    expect(gray.final.status).toBe('failed');
    expect(gray.final.error?.code).toBe('NO_VIDEO_STREAM');

    const next = await submitJob(system.client, { source, method_name: 'extract_audio', output_format: 'm4a' });
    const after = await waitForJob(system.client, next);
    expect(after.final.status).toBe('completed');
    const m4a = await downloadAndProbe(next, 'after.m4a');
    expect(m4a.probe.audio?.codec).toBe('aac');
    expect(m4a.probe.video).toBeUndefined();
  });

  it('makes submissions idempotent with an Idempotency-Key', async () => {
    const key = `e2e-${db}-${Date.now()}`;
    const body = { source, method_name: 'extract_audio', output_format: 'wav' };
    const send = async (payload: JsonObject) =>
      system.client.request<{ job_id: string; error?: { code: string } }>('POST', '/process', {
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(payload),
      });
    const first = await send(body);
    const again = await send(body);
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await send({ ...body, output_format: 'mp3' });
    expect(other.status).toBe(422);
    expect(other.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, async () =>
        system.client.request<{ job_id: string }>('POST', '/process', {
          headers: { 'content-type': 'application/json', 'idempotency-key': `${key}-race` },
          body: JSON.stringify(body),
        }),
      ),
    );
    expect(new Set(concurrent.map((response) => response.body.job_id)).size).toBe(1);
    expect((await waitForJob(system.client, first.body.job_id)).final.status).toBe('completed');
  });

  it('reports health and readiness', async () => {
    expect((await system.client.request('GET', '/')).body).toMatchObject({
      status: 'ok',
      docs: '/docs',
      openapi: '/openapi.json',
    });
    expect((await system.client.request('GET', '/healthz')).status).toBe(200);
    const ready = await system.client.request<{ checks: Record<string, string> }>('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ database: 'ok', queue: 'ok', storage: 'ok' });
  });

  it('both workers took part', () => {
    const busy = system.workers.filter((worker) => worker.output().includes('job completed'));
    expect(busy.length).toBe(2);
  });
});

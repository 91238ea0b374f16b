import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FINAL_STATUSES, submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { listKeys } from '../support/s3-inspect';
import { startSystem, TEST_KEYS } from '../support/system';
import type { RunningSystem } from '../support/system';
import {
  beepOnset,
  cutIntoChunks,
  flashTime,
  frameTimeAfterSeek,
  probeFile,
  recordWebmToPipe,
} from '../support/webm-recording';

const run = promisify(execFile);

jest.setTimeout(300_000);

/** One frame at 25 fps: the tolerance for durations and for flash-and-beep sync. */
const FRAME = 0.04;
const SECONDS = 8;
const FLASH_AT = 4;
const UPLOAD_MAX_BYTES = 1_500_000;

/**
 * concat through the real API and worker (S3, Kafka, MongoDB, FFmpeg):
 * MediaRecorder-style chunks of one recording (encoded to a pipe, so without
 * Duration or Cues, and cut at Cluster boundaries) become one MP4 that has a
 * real duration, stays in sync and seeks; separate recordings of different
 * sizes and rates become one; a missing or misplaced chunk fails the job
 * naming its index; another key's upload is refused like a missing one.
 */
describe('concat on mongodb', () => {
  let system: RunningSystem;
  let dir: string;
  /** The chunks' s3:// URIs, uploaded by the admin key, in recording order. */
  let chunkUris: string[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-concat-'));
    const recording = await recordWebmToPipe({ seconds: SECONDS, flashAt: FLASH_AT });
    const chunks = await cutIntoChunks(recording, 10);
    // Every upload here fits; three copies of the recording's chunks together do not.
    system = await startSystem({ db: 'mongodb', workers: 1, env: { UPLOAD_MAX_BYTES: String(UPLOAD_MAX_BYTES) } });
    chunkUris = [];
    for (const [index, chunk] of chunks.entries()) {
      const file = path.join(dir, `chunk-${index}.webm`);
      await writeFile(file, chunk);
      // Names say nothing about which chunk is first: the worker reads the bytes.
      chunkUris.push(await system.client.upload(`blob-${index}.webm`, file, 'video/webm'));
    }
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  async function finished(body: Record<string, unknown>): Promise<StatusBody> {
    return (await waitForJob(system.client, await submitJob(system.client, body), undefined, 180_000)).final;
  }

  async function primaryOutput(job: StatusBody, name: string): Promise<string> {
    const response = await system.client.download(`/download/${job.job_id}`);
    expect(response.status).toBe(200);
    const file = path.join(dir, name);
    await writeFile(file, response.data);
    return file;
  }

  it('joins MediaRecorder chunks into an MP4 with the recording’s duration, in sync, that seeks', async () => {
    const job = await finished({ sources: chunkUris, method_name: 'concat', params: { preset: 'ultrafast' } });
    expect(job.status).toBe('completed');
    expect(job.source).toBe(chunkUris[0]);
    expect(job.sources).toEqual(chunkUris);
    const listed = await system.client.request<{ jobs: StatusBody[] }>('GET', '/process?method_name=concat');
    expect(listed.body.jobs.find((entry) => entry.job_id === job.job_id)?.sources).toEqual(chunkUris);

    const file = await primaryOutput(job, 'joined.mp4');
    const probed = await probeFile(file);
    expect(probed.streams.map((stream) => stream.codec_name).sort()).toEqual(['aac', 'h264']);
    expect(Math.abs(probed.durationSec - SECONDS)).toBeLessThanOrEqual(FRAME + 0.005);
    // faststart: the index (moov) comes before the media data, so players start before the end arrives.
    const bytes = await readFile(file);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));

    const flash = await flashTime(file);
    const beep = await beepOnset(file);
    expect(flash).toBeDefined();
    expect(beep).toBeDefined();
    expect(Math.abs(flash! - FLASH_AT)).toBeLessThanOrEqual(FRAME);
    expect(Math.abs(beep! - flash!)).toBeLessThanOrEqual(FRAME);

    // Seeking to the middle decodes the frame at that time (the MP4's index works).
    const middle = SECONDS / 2 + 0.52;
    const shown = await frameTimeAfterSeek(file, middle);
    expect(shown).toBeDefined();
    expect(Math.abs(shown! - middle)).toBeLessThanOrEqual(FRAME);
  });

  it('fails a job whose chunk is missing, and one whose chunks are out of order, naming the index', async () => {
    const missing = await finished({
      sources: [...chunkUris.slice(0, 3), ...chunkUris.slice(4)],
      method_name: 'concat',
    });
    expect(missing.status).toBe('failed');
    expect(missing.error?.code).toBe('CHUNK_SEQUENCE_BROKEN');
    expect(missing.error?.message).toMatch(/^chunk 3 missing or out of order/);

    const order = [...chunkUris];
    [order[5], order[6]] = [order[6], order[5]];
    const swapped = await finished({ sources: order, method_name: 'concat' });
    expect(swapped.status).toBe('failed');
    expect(swapped.error?.code).toBe('CHUNK_SEQUENCE_BROKEN');
    expect(swapped.error?.message).toMatch(/^chunk 5 missing or out of order/);

    const headless = await finished({ sources: chunkUris.slice(1), method_name: 'concat' });
    expect(headless.error?.code).toBe('CHUNK_HEADER_MISSING');
    expect(headless.error?.message).toMatch(/^sources\[0\]/);
  });

  it('normalises recordings of different sizes, rates and sample rates into one', async () => {
    const first = path.join(dir, 'wide.webm');
    await writeFile(first, await recordWebmToPipe({ seconds: 3, width: 640, height: 360, fps: 25 }));
    const second = path.join(dir, 'small.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
      '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30:duration=2',
      '-f', 'lavfi', '-i', 'sine=frequency=660:sample_rate=44100:duration=2',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest',
      '-f', 'mp4', `file:${second}`,
    ]);
    const third = path.join(dir, 'silent.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
      '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=24:duration=1',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-f', 'mp4', `file:${third}`,
    ]);
    const sources = [
      await system.client.upload('wide.webm', first, 'video/webm'),
      await system.client.upload('small.mp4', second),
      await system.client.upload('silent.mp4', third),
    ];
    const job = await finished({ sources, method_name: 'concat', params: { preset: 'ultrafast' } });
    expect(job.status).toBe('completed');
    const probed = await probeFile(await primaryOutput(job, 'recordings.mp4'));
    expect(Math.abs(probed.durationSec - 6)).toBeLessThanOrEqual(0.15);
    const video = probed.streams.filter((stream) => stream.codec_type === 'video');
    expect(video).toEqual([expect.objectContaining({ width: 640, height: 360 })]);
    const audio = probed.streams.filter((stream) => stream.codec_type === 'audio');
    expect(audio).toEqual([expect.objectContaining({ codec_name: 'aac', sample_rate: '48000' })]);
  });

  it('refuses another key’s upload among the sources like a missing one, sources above UPLOAD_MAX_BYTES together, and several sources for compress', async () => {
    const alice = system.client.as(TEST_KEYS.alice);
    const bob = system.client.as(TEST_KEYS.bob);
    const file = path.join(dir, 'chunk-0.webm');
    const alices = await alice.upload('mine.webm', file, 'video/webm');
    const bobs = await bob.upload('mine.webm', file, 'video/webm');

    const refused = await bob.postJson<{ error: { code: string; message: string } }>('/process', {
      sources: [bobs, alices],
      method_name: 'concat',
    });
    expect(refused.status).toBe(404);
    expect(refused.body.error.code).toBe('SOURCE_NOT_FOUND');
    expect(refused.body.error.message).toBe(`sources[1] ${alices} does not exist`);

    const tooBig = await system.client.postJson<{ error: { code: string; message: string } }>('/process', {
      sources: [...chunkUris, ...chunkUris, ...chunkUris],
      method_name: 'concat',
    });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(tooBig.body.error.message).toMatch(/at most 1500000 \(UPLOAD_MAX_BYTES\)/);

    const several = await bob.postJson<{ error: { code: string; message: string } }>('/process', {
      sources: [bobs, bobs],
      method_name: 'compress',
    });
    expect(several.status).toBe(400);
    expect(several.body.error.code).toBe('MULTIPLE_SOURCES_NOT_SUPPORTED');
    expect(several.body.error.message).toMatch(/^compress takes one source/);
  });
  it('runs concat then grayscale as one multi-step job, and refuses a chain whose step cannot read its predecessor', async () => {
    const job = await finished({
      sources: chunkUris,
      steps: [{ method_name: 'concat', params: { preset: 'ultrafast' } }, { method_name: 'grayscale' }],
    });
    expect(job.status).toBe('completed');
    const media = (job.outputs as { kind: string; path: string; primary?: boolean; step?: number }[]).filter(
      (output) => output.kind === 'video',
    );
    expect(media.map((output) => [output.step, output.path.split('/')[0], output.primary ?? false])).toEqual([
      [0, 'step-1', false],
      [1, 'step-2', true],
    ]);
    const probed = await probeFile(await primaryOutput(job, 'chain.mp4'));
    expect(probed.durationSec).toBeGreaterThan(1);

    const refused = await system.client.postJson<{ error: { code: string; message: string } }>('/process', {
      sources: chunkUris,
      steps: [
        { method_name: 'concat' },
        { method_name: 'extract_audio' },
        { method_name: 'resize', params: { width: 320 } },
      ],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    expect(refused.body.error.message).toContain('steps[2] (resize)');
    expect(refused.body.error.message).toContain('steps[1] (extract_audio)');
  });

  it('keeps a failed chain’s finished step downloadable, and a retry resumes at the step that failed', async () => {
    // The second step asks for an audio track the recording lacks: AUDIO_TRACK_NOT_FOUND, not retried.
    const job = await finished({
      sources: chunkUris,
      steps: [
        { method_name: 'concat', params: { preset: 'ultrafast' } },
        { method_name: 'extract_audio', params: { audio_track: 3 } },
      ],
    });
    expect(job).toMatchObject({ status: 'failed', error: { code: 'AUDIO_TRACK_NOT_FOUND' }, completed_steps: [0] });
    const kept = (job.outputs as { kind: string; step?: number }[]).filter((output) => output.kind !== 'log');
    expect(kept.map((output) => [output.step, output.kind])).toEqual([[0, 'video']]);
    // The joined MP4 is a result in its own right.
    const video = await system.client.download(`/download/${job.job_id}?output=video`);
    expect(video.status).toBe(200);
    const joined = path.join(dir, 'failed-chain-step-1.mp4');
    await writeFile(joined, video.data);
    expect((await probeFile(joined)).durationSec).toBeCloseTo(SECONDS, 0);

    const retried = await system.client.request<{ status: string }>('POST', `/jobs/${job.job_id}/retry`);
    expect(retried.status).toBe(202);
    const { final } = await waitForJob(system.client, job.job_id, undefined, 120_000);
    expect(final).toMatchObject({ status: 'failed', error: { code: 'AUDIO_TRACK_NOT_FOUND' }, completed_steps: [0] });
    const log = await system.client.request<string>('GET', `/download/${job.job_id}?output=log`);
    expect(String(log.body)).toContain('# resumed at step 2 of 2');
    expect(String(log.body)).not.toContain('# step 1 of 2');
  });

  it('cancels a multi-step job in a later step through the API and leaves nothing under its output prefix', async () => {
    // Two 20 s uploads, small (low resolution, few bits) so they fit UPLOAD_MAX_BYTES together. concat
    // upscales them to 960x540 with ultrafast, the cheap step; grayscale re-encodes that, and compress at
    // veryslow takes a minute or more on two cores: a later step runs long after step 0 is recorded.
    const clips: string[] = [];
    for (const [index, frequency] of [440, 660].entries()) {
      const file = path.join(dir, `long-${index}.mp4`);
      // prettier-ignore
      await run('ffmpeg', [
        '-hide_banner', '-loglevel', 'error', '-y', '-nostdin',
        '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25:duration=20',
        '-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000:duration=20`,
        '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '40', '-pix_fmt', 'yuv420p',
        '-c:a', 'aac', '-b:a', '32k', '-shortest', '-f', 'mp4', `file:${file}`,
      ]);
      clips.push(await system.client.upload(`long-${index}.mp4`, file));
    }
    const jobId = await submitJob(system.client, {
      sources: clips,
      steps: [
        { method_name: 'concat', params: { preset: 'ultrafast', width: 960, height: 540 } },
        { method_name: 'grayscale' },
        { method_name: 'compress', params: { preset: 'veryslow', crf: 20 } },
      ],
    });
    const completedSteps = (status: StatusBody): number[] => (status.completed_steps as number[] | undefined) ?? [];
    // Step 0 is recorded (its output published to S3) and the job still runs a later step.
    const { final: midChain } = await waitForJob(
      system.client,
      jobId,
      (status) =>
        FINAL_STATUSES.includes(status.status) ||
        (status.status === 'processing' && completedSteps(status).includes(0)),
      240_000,
    );
    expect(midChain.status).toBe('processing');
    const bucket = system.env.OUTPUT_BUCKET ?? 'mediaflow-output';
    const prefix = `${system.env.OUTPUT_PREFIX ?? ''}${jobId}/`;
    // The finished step's output is in S3 now: the cancel has something to remove.
    expect((await listKeys(bucket, prefix)).some((key) => key.startsWith(`${prefix}step-1/`))).toBe(true);

    const cancelled = await system.client.request<{ status: string }>('POST', `/jobs/${jobId}/cancel`);
    expect(cancelled.status).toBeLessThan(300);
    const { final } = await waitForJob(system.client, jobId, undefined, 120_000);
    expect(final.status).toBe('cancelled');
    expect(final.outputs.map((output) => output.kind)).toEqual(['log']);
    // Every step's files are gone; only the log of what ran until the cancel stays.
    expect((await listKeys(bucket, prefix)).map((key) => key.slice(prefix.length))).toEqual([
      expect.stringMatching(/^[^/]+\.log$/),
    ]);
    const log = await system.client.request<string>('GET', `/download/${jobId}?output=log`);
    expect(log.status).toBe(200);
    expect(String(log.body)).toMatch(/# cancelled\s*$/);
  });
});

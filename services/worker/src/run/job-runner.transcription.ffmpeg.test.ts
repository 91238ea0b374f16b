import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { AppError, createLogger, loadConfig, parseS3Uri } from '@mediaflow/domain';
import type { AppConfig, Job } from '@mediaflow/domain';
import { parseSrt } from '@mediaflow/media';
import type { Transcriber, Transcript, TranscriptionRequest } from '@mediaflow/media';
import { operationFor } from '@mediaflow/operations';
import { InProcessJobQueue } from '@mediaflow/queue';
import { createJobRepository } from '@mediaflow/repository';
import type { JobRepository, RepositoryHandle } from '@mediaflow/repository';
import { createObjectStore } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { makeTestClip } from '../../../../test/support/media-clips';
import { createStepExecutors, transcriptionStallMs } from '../steps';
import { JobRunner } from './job-runner';
import type { RunnerConfig } from './job-runner';

const run = promisify(execFile);

/**
 * Transcribe jobs through the runner with real FFmpeg, the embedded job store
 * and the local object store; the recogniser is scripted here, since what is
 * under test is what the job does around it (test/e2e/transcribe.test.ts runs
 * the real model).
 */
function scriptedTranscriber(
  segments: Transcript['segments'],
  options: { failWith?: AppError } = {},
): { transcriber: Transcriber; requests: TranscriptionRequest[] } {
  const requests: TranscriptionRequest[] = [];
  const transcriber = {
    transcribe: async (request: TranscriptionRequest): Promise<Transcript> => {
      requests.push(request);
      if (options.failWith) throw options.failWith;
      const { stdout } = await run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'format=duration',
        '-of',
        'csv=p=0',
        request.audioPath,
      ]);
      const durationSec = Number(stdout.trim());
      for (const segment of segments) {
        // A recogniser takes a while per segment; the pause lets each report reach the job record.
        await sleep(100);
        request.onProgress?.({ processedSec: segment.end, durationSec });
      }
      return { language: request.language ?? 'en', durationSec, model: request.model, segments };
    },
    close: async () => Promise.resolve(),
  } satisfies Transcriber;
  return { transcriber, requests };
}

const SEGMENTS = [
  { start: 0.2, end: 1.1, text: 'Hello there.' },
  { start: 1.3, end: 2.6, text: 'General Kenobi.' },
];

describe('JobRunner: transcribe jobs (real FFmpeg, embedded store, local objects)', () => {
  let dir: string;
  let config: AppConfig;
  let database: RepositoryHandle;
  let repository: JobRepository;
  let store: ObjectStore;
  const logger = createLogger({ level: 'error', service: 'test' });
  // A failing job logs a warning by design; the assertions say what matters.
  logger.silent = true;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-transcription-job-'));
    config = loadConfig({
      DATA_DIR: dir,
      WORK_DIR: path.join(dir, 'work'),
      INPUT_BUCKET: 'uploads',
      OUTPUT_BUCKET: 'out',
      OUTPUT_PREFIX: 'outputs/',
      WHISPER_MODEL: 'base',
      PROGRESS_INTERVAL_MS: '100',
    });
    await mkdir(config.WORK_DIR, { recursive: true });
    database = await createJobRepository(config);
    repository = database.repository;
    await repository.init();
    store = createObjectStore(config);
    await store.ensureBucket(config.INPUT_BUCKET);
    await store.ensureBucket(config.OUTPUT_BUCKET);
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Uploads the clip as the job's source, stores the job as the API would, and runs it. */
  async function transcribe(
    jobId: string,
    clip: string,
    params: Record<string, unknown>,
    options: { transcriber?: ReturnType<typeof scriptedTranscriber>; config?: Partial<RunnerConfig> } = {},
  ) {
    const sourceKey = `x/${jobId} clip${path.extname(clip)}`;
    await store.put({ bucket: config.INPUT_BUCKET, key: sourceKey }, await readFile(clip), {
      contentType: 'application/octet-stream',
    });
    await repository.create({
      job_id: jobId,
      source: `s3://${config.INPUT_BUCKET}/${sourceKey}`,
      operation: operationFor('transcribe').parse({ method_name: 'transcribe', params }),
      created_at: new Date().toISOString(),
    });
    const scripted = options.transcriber ?? scriptedTranscriber(SEGMENTS);
    const runner = new JobRunner({
      repository,
      store,
      publisher: new InProcessJobQueue().publisher,
      // Frequent writes, so the progress each step reports reaches the job record to be read back.
      config: { ...config, PROGRESS_INTERVAL_MS: 20, ...options.config },
      logger,
      workerId: 'worker-t',
      executors: createStepExecutors({ transcriber: scripted.transcriber, slots: undefined }),
    });
    // Spied, not faked: the writes reach the store; the test reads the progress they carried.
    const writes = jest.spyOn(repository, 'updateProgress');
    let progress: number[];
    try {
      await expect(
        runner.handle(
          { job_id: jobId },
          { signal: new AbortController().signal, heartbeat: async () => Promise.resolve() },
        ),
      ).resolves.toBe('done');
      progress = writes.mock.calls.filter(([id]) => id === jobId).map(([, , update]) => update.progress);
    } finally {
      writes.mockRestore();
    }
    const job = await repository.get(jobId);
    if (!job) throw new Error(`job ${jobId} is gone`);
    return { job, progress, requests: scripted.requests };
  }

  async function bytes(uri: string): Promise<Buffer> {
    const object = await store.get(parseS3Uri(uri));
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function text(uri: string | undefined): Promise<string> {
    if (uri === undefined) throw new Error('no object');
    return (await bytes(uri)).toString('utf8');
  }

  /** The object URI of the job's output of this kind. */
  function objectOf(job: Job, kind: string): string {
    const output = job.outputs.find((candidate) => candidate.kind === kind);
    if (!output?.object) throw new Error(`job ${job.job_id} has no ${kind} output`);
    return output.object;
  }

  async function folder(jobId: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const object of store.list({ bucket: 'out', key: `outputs/${jobId}/` })) keys.push(object.key);
    return keys;
  }

  it('extracts audio, writes srt/vtt/json, muxes the video, uploads all under the job folder', async () => {
    const clip = await makeTestClip(dir, 'video.mp4', { seconds: 3, width: 160, height: 120 });
    const { job, progress, requests } = await transcribe('job-video', clip, { language: 'en' });

    expect(job.status).toBe('completed');
    expect(job.outputs.map((output) => [output.kind, output.path, output.object, output.content_type])).toEqual([
      ['srt', 'transcript.srt', 's3://out/outputs/job-video/transcript.srt', 'application/x-subrip; charset=utf-8'],
      ['vtt', 'transcript.vtt', 's3://out/outputs/job-video/transcript.vtt', 'text/vtt; charset=utf-8'],
      ['json', 'transcript.json', 's3://out/outputs/job-video/transcript.json', 'application/json; charset=utf-8'],
      ['video', 'job-video_clip_subtitled.mp4', 's3://out/outputs/job-video/job-video_clip_subtitled.mp4', 'video/mp4'],
      ['log', 'transcription.log', 's3://out/outputs/job-video/transcription.log', 'text/plain; charset=utf-8'],
    ]);
    expect(job.outputs.find((output) => output.primary)?.kind).toBe('srt');
    expect(job.output_path).toBe('s3://out/outputs/job-video/transcript.srt');
    expect(job.log_path).toBe('s3://out/outputs/job-video/transcription.log');
    // Nothing else lands in the folder: the work files (audio, raw transcript) stay on the worker.
    expect(await folder('job-video')).toEqual(job.outputs.map((output) => `outputs/job-video/${output.path}`).sort());

    const [request] = requests;
    expect(request).toMatchObject({ model: 'base', language: 'en' });
    expect(path.basename(request.audioPath)).toBe('transcription-audio.wav');

    expect(parseSrt(await text(objectOf(job, 'srt'))).map((cue) => cue.text)).toEqual([
      'Hello there.',
      'General Kenobi.',
    ]);
    expect(await text(objectOf(job, 'vtt'))).toMatch(/^WEBVTT\n\n00:00:00\.200 --> 00:00:01\.100\nHello there\.\n/);
    expect(JSON.parse(await text(objectOf(job, 'json')))).toMatchObject({
      model: 'base',
      language: 'en',
      segments: [{ id: 1, start: 0.2, end: 1.1, text: 'Hello there.' }, { id: 2 }],
    });

    const video = path.join(dir, 'downloaded.mp4');
    await writeFile(video, await bytes(objectOf(job, 'video')));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name:stream_tags=language',
      '-of',
      'csv=p=0',
      video,
    ]);
    expect(stdout.trim().split('\n')).toEqual(['h264,und', 'aac,und', 'mov_text,eng']);

    // Extraction is the first 15 % of the job, recognition most of the rest.
    expect(progress.every((value, index) => index === 0 || value >= progress[index - 1])).toBe(true);
    expect(progress.some((value) => value > 0 && value <= 15)).toBe(true);
    expect(progress.some((value) => value > 15 && value < 90)).toBe(true);
    expect(job.progress).toBe(100);
    const log = await text(job.log_path);
    expect(log).toMatch(/^\$ ffmpeg .*-ar 16000/m);
    expect(log).toMatch(/^# whisper: done \{"model":"base"/m);
    expect(log).toMatch(/^\$ ffmpeg .*-c:s mov_text/m);
  }, 60_000);

  it('makes no video for audio-only input or when embedding is turned off', async () => {
    const clip = await makeTestClip(dir, 'audio.m4a', { seconds: 2, width: 160, height: 120 });
    const audioOnly = path.join(dir, 'audio-only.m4a');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vn', '-c:a', 'copy', audioOnly]);
    const audio = await transcribe('job-audio', audioOnly, {});
    expect(audio.job.status).toBe('completed');
    expect(audio.job.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'log']);

    const video = await makeTestClip(dir, 'no-embed.mp4', { seconds: 2, width: 160, height: 120 });
    const off = await transcribe('job-off', video, { embed_subtitles: false });
    expect(off.job.status).toBe('completed');
    expect(off.job.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'log']);
  }, 60_000);

  it('gives an empty transcript for a video without any audio stream, without running the recogniser', async () => {
    const clip = await makeTestClip(dir, 'mute.mp4', { seconds: 2, width: 160, height: 120, audio: false });
    const { job, requests } = await transcribe('job-mute', clip, {});
    expect(requests).toEqual([]);
    expect(job.status).toBe('completed');
    expect(job.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'video', 'log']);
    expect(await text(objectOf(job, 'srt'))).toBe('');
    expect(JSON.parse(await text(objectOf(job, 'json')))).toMatchObject({ language: 'und', segments: [] });
  }, 60_000);

  it('reports an operator model path by its name only, and keeps the log with a failure', async () => {
    const clip = await makeTestClip(dir, 'pathmodel.mp4', { seconds: 1, width: 160, height: 120 });
    const named = await transcribe(
      'job-path-model',
      clip,
      { embed_subtitles: false },
      { config: { WHISPER_MODEL: '/srv/models/my-model' } },
    );
    expect(named.requests[0].model).toBe('/srv/models/my-model');
    expect(JSON.parse(await text(objectOf(named.job, 'json')))).toMatchObject({ model: 'my-model' });

    const failing = scriptedTranscriber(SEGMENTS, { failWith: new AppError('MODEL_NOT_FOUND', 'no model here') });
    const { job } = await transcribe('job-no-model', clip, { embed_subtitles: false }, { transcriber: failing });
    expect(job).toMatchObject({ status: 'failed', error: { code: 'MODEL_NOT_FOUND', message: 'no model here' } });
    expect(job.log_path).toBe('s3://out/outputs/job-no-model/transcription.log');
    expect(await text(job.log_path)).toMatch(/^\$ ffmpeg .*-ar 16000/m);
    expect(await folder('job-no-model')).toEqual(['outputs/job-no-model/transcription.log']);
  }, 60_000);

  it('waits at least five minutes for a silent recogniser before calling it stalled', () => {
    expect(transcriptionStallMs({ FFMPEG_STALL_TIMEOUT: 120 })).toBe(300_000);
    expect(transcriptionStallMs({ FFMPEG_STALL_TIMEOUT: 900 })).toBe(900_000);
  });
});

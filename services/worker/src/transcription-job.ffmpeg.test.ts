import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { AppError, createLogger, operationSchema, parseS3Uri } from '@mediaflow/domain';
import type { OperationOf } from '@mediaflow/domain';
import { parseSrt, probeMedia, Transcriber } from '@mediaflow/media';
import type { Transcript, TranscriptionRequest } from '@mediaflow/media';
import { LocalDiskObjectStore } from '@mediaflow/storage';
import { makeTestClip } from '../../../test/support/media-clips';
import type { ProgressSnapshot } from './progress-reporter';
import { embedsSubtitles, runTranscription, transcriptionOutputKeys, transcriptionStallMs } from './transcription-job';
import type { TranscriptionJobConfig } from './transcription-job';

const run = promisify(execFile);

/**
 * The orchestration with real FFmpeg and a real (local-disk) object store;
 * the recogniser is scripted here, since what is under test is what the job
 * does around it (test/e2e/transcribe.test.ts runs the real model).
 */
class ScriptedTranscriber extends Transcriber {
  readonly requests: TranscriptionRequest[] = [];

  constructor(private readonly segments: Transcript['segments']) {
    super();
  }

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    this.requests.push(request);
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
    for (const segment of this.segments) request.onProgress?.({ processedSec: segment.end, durationSec });
    return { language: request.language ?? 'en', durationSec, model: request.model, segments: this.segments };
  }

  async close(): Promise<void> {
    return Promise.resolve();
  }
}

const config: TranscriptionJobConfig = {
  FFMPEG_PATH: 'ffmpeg',
  WHISPER_MODEL: 'base',
  FFMPEG_STALL_TIMEOUT: 120,
  JOB_TIMEOUT_FACTOR: 10,
  JOB_TIMEOUT_MIN_SECONDS: 300,
  MAX_MEDIA_DURATION_SECONDS: 3600,
  MAX_VIDEO_PIXELS: 1920 * 1080,
  MAX_STREAMS: 16,
  FFMPEG_MEMORY_LIMIT_MB: 4096,
  FFMPEG_CPU_TIME_LIMIT_SECONDS: 0,
};

const SEGMENTS = [
  { start: 0.2, end: 1.1, text: 'Hello there.' },
  { start: 1.3, end: 2.6, text: 'General Kenobi.' },
];

function transcribeOp(params: Record<string, unknown> = {}): OperationOf<'transcribe'> {
  const operation = operationSchema.parse({ method_name: 'transcribe', params });
  if (operation.method_name !== 'transcribe') throw new Error('not a transcribe operation');
  return operation;
}

describe('runTranscription (real FFmpeg, local object store)', () => {
  let dir: string;
  let store: LocalDiskObjectStore;
  const logger = createLogger({ level: 'error', service: 'test' });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-transcription-job-'));
    store = new LocalDiskObjectStore(path.join(dir, 'store'));
    await store.ensureBucket('out');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function transcribe(name: string, clip: string, operation: OperationOf<'transcribe'>, segments = SEGMENTS) {
    const probe = await probeMedia(clip);
    const keys = transcriptionOutputKeys({
      bucket: 'out',
      prefix: 'outputs/',
      jobId: name,
      sourceKey: `uploads/x/${name} clip.mp4`,
      video: embedsSubtitles(operation, probe),
    });
    const workDir = await mkdtemp(path.join(dir, `${name}-`));
    const progress: ProgressSnapshot[] = [];
    const transcriber = new ScriptedTranscriber(segments);
    const result = await runTranscription({
      job: { job_id: name },
      operation,
      probe,
      inputPath: clip,
      workDir,
      keys,
      store,
      transcriber,
      config,
      signal: new AbortController().signal,
      onProgress: (snapshot) => progress.push(snapshot),
      logger,
    });
    return { result, progress, transcriber, keys };
  }

  async function bytes(uri: string): Promise<Buffer> {
    const object = await store.get(parseS3Uri(uri));
    const chunks: Buffer[] = [];
    for await (const chunk of object.body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async function text(uri: string): Promise<string> {
    return (await bytes(uri)).toString('utf8');
  }

  it('extracts audio, writes srt/vtt/json, muxes the video, uploads all under the job folder', async () => {
    const clip = await makeTestClip(dir, 'video.mp4', { seconds: 3, width: 160, height: 120 });
    const { result, progress, transcriber } = await transcribe('job-video', clip, transcribeOp({ language: 'en' }));

    expect(result.outputs.map((output) => [output.kind, output.path, output.content_type])).toEqual([
      ['srt', 's3://out/outputs/job-video/transcript.srt', 'application/x-subrip; charset=utf-8'],
      ['vtt', 's3://out/outputs/job-video/transcript.vtt', 'text/vtt; charset=utf-8'],
      ['json', 's3://out/outputs/job-video/transcript.json', 'application/json; charset=utf-8'],
      ['video', 's3://out/outputs/job-video/job-video_clip_subtitled.mp4', 'video/mp4'],
    ]);
    expect(result.primaryPath).toBe('s3://out/outputs/job-video/transcript.srt');

    const [request] = transcriber.requests;
    expect(request).toMatchObject({ model: 'base', language: 'en' });
    expect(path.basename(request.audioPath)).toBe('transcription-audio.wav');

    expect(parseSrt(await text(result.outputs[0].path)).map((cue) => cue.text)).toEqual([
      'Hello there.',
      'General Kenobi.',
    ]);
    expect(await text(result.outputs[1].path)).toMatch(/^WEBVTT\n\n00:00:00\.200 --> 00:00:01\.100\nHello there\.\n/);
    expect(JSON.parse(await text(result.outputs[2].path))).toMatchObject({
      model: 'base',
      language: 'en',
      segments: [{ id: 1, start: 0.2, end: 1.1, text: 'Hello there.' }, { id: 2 }],
    });

    const video = path.join(dir, 'downloaded.mp4');
    await writeFile(video, await bytes(result.outputs[3].path));
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

    const percents = progress.map((snapshot) => snapshot.percent);
    expect(percents.every((value, index) => index === 0 || value >= percents[index - 1])).toBe(true);
    expect(percents.some((value) => value > 0 && value <= 15)).toBe(true);
    expect(percents.some((value) => value > 15 && value < 90)).toBe(true);
    expect(percents.at(-1)).toBe(100);
    expect(result.log).toMatch(/^\$ ffmpeg .*-ar 16000/m);
    expect(result.log).toMatch(/^# whisper: done \{"model":"base"/m);
    expect(result.log).toMatch(/^\$ ffmpeg .*-c:s mov_text/m);
  }, 60_000);

  it('makes no video for audio-only input or when embedding is turned off', async () => {
    const clip = await makeTestClip(dir, 'audio.m4a', { seconds: 2, width: 160, height: 120 });
    const audioOnly = path.join(dir, 'audio-only.m4a');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', clip, '-vn', '-c:a', 'copy', audioOnly]);
    const audio = await transcribe('job-audio', audioOnly, transcribeOp());
    expect(audio.result.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json']);

    const video = await makeTestClip(dir, 'no-embed.mp4', { seconds: 2, width: 160, height: 120 });
    const off = await transcribe('job-off', video, transcribeOp({ embed_subtitles: false }));
    expect(off.result.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json']);
  }, 60_000);

  it('gives an empty transcript for a video without any audio stream, without running the recogniser', async () => {
    const clip = await makeTestClip(dir, 'mute.mp4', { seconds: 2, width: 160, height: 120, audio: false });
    const { result, transcriber } = await transcribe('job-mute', clip, transcribeOp());
    expect(transcriber.requests).toEqual([]);
    expect(result.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'video']);
    expect(await text(result.outputs[0].path)).toBe('');
    expect(JSON.parse(await text(result.outputs[2].path))).toMatchObject({ language: 'und', segments: [] });
  }, 60_000);

  it('reports an operator model path by its name only, and keeps the log with a failure', async () => {
    const clip = await makeTestClip(dir, 'pathmodel.mp4', { seconds: 1, width: 160, height: 120 });
    const operation = transcribeOp({ embed_subtitles: false });
    const probe = await probeMedia(clip);
    const keys = transcriptionOutputKeys({ bucket: 'out', prefix: '', jobId: 'p', sourceKey: 'a.mp4', video: false });
    const base = {
      job: { job_id: 'p' },
      operation,
      probe,
      inputPath: clip,
      keys,
      store,
      signal: new AbortController().signal,
      onProgress: () => undefined,
      logger,
    };
    const result = await runTranscription({
      ...base,
      workDir: await mkdtemp(path.join(dir, 'p-')),
      transcriber: new ScriptedTranscriber(SEGMENTS),
      config: { ...config, WHISPER_MODEL: '/srv/models/my-model' },
    });
    expect(JSON.parse(await text(result.outputs[2].path))).toMatchObject({ model: 'my-model' });

    const failing = new ScriptedTranscriber(SEGMENTS);
    failing.transcribe = async () => Promise.reject(new AppError('MODEL_NOT_FOUND', 'no model here'));
    const error = await runTranscription({
      ...base,
      workDir: await mkdtemp(path.join(dir, 'f-')),
      transcriber: failing,
      config,
    }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: 'MODEL_NOT_FOUND', message: 'no model here' });
    expect((error as { log: string }).log).toMatch(/^\$ ffmpeg .*-ar 16000/m);
  }, 60_000);

  it('waits at least five minutes for a silent recogniser before calling it stalled', () => {
    expect(transcriptionStallMs({ FFMPEG_STALL_TIMEOUT: 120 })).toBe(300_000);
    expect(transcriptionStallMs({ FFMPEG_STALL_TIMEOUT: 900 })).toBe(900_000);
  });
});

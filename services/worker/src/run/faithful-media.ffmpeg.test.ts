import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createLogger } from '@mediaflow/domain';
import type { AppConfig, ErrorCode, Job, JobWarning } from '@mediaflow/domain';
import { operationFor } from '@mediaflow/operations';
import { InProcessJobQueue } from '@mediaflow/queue';
import type { DeliveryContext } from '@mediaflow/queue';
import type { JobRepository, ProgressUpdate } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';
import {
  ffprobeSummary,
  makeEmptyAudioMkv,
  makePipedWebm,
  makeTruncatedFaststartMp4,
} from '../../../../test/support/unfaithful-media';
import { jobTimeLimitMs } from '../retry-policy';
import { createStepExecutors } from '../steps';
import type { StepExecutors } from '../steps';
import { JobRunner } from './job-runner';
import type { RunnerConfig } from './job-runner';
import { openRunnerWorld } from '../../../../test/support/runner-world';
import type { RunnerWorld } from '../../../../test/support/runner-world';

/**
 * "Faithful media": a job never says `completed` when its result is empty or
 * cut short, and a source that states no duration still gets progress, an
 * ETA and a time limit. Each row says how its source is made with FFmpeg (at
 * test time), which operation runs on it through the real runner (embedded
 * store, local objects, real FFmpeg), and what must come out.
 */

type SourceName = 'emptyAudioMkv' | 'truncatedMp4' | 'pipedWebm';

/** How each source is made; the makers live in test/support/unfaithful-media.ts. */
const SOURCES: Record<SourceName, { key: string; make: (dir: string) => Promise<string> }> = {
  // H.264 for 3 s, plus an Opus track declared with no packets in it.
  emptyAudioMkv: { key: 'uploads/recording.mkv', make: async (dir) => makeEmptyAudioMkv(dir, 'recording.mkv', 3) },
  // A 10 s faststart MP4 cut after 40 % of its bytes: the header still says 10 s.
  truncatedMp4: {
    key: 'uploads/holiday.mp4',
    make: async (dir) => (await makeTruncatedFaststartMp4(dir, 'holiday.mp4', { seconds: 10, keepFraction: 0.4 })).file,
  },
  // VP8/Opus written to a pipe: no Duration, no Cues. Long enough to report progress on the way.
  pipedWebm: {
    key: 'uploads/screen.webm',
    make: async (dir) => makePipedWebm(dir, 'screen.webm', { seconds: 12, width: 480, height: 270 }),
  },
};

interface OutputCheck {
  path: string;
  /** ffprobe's codec_type of each stream, in order. */
  streams: string[];
  /** Seconds, checked to ±0.3 s; undefined for text. */
  durationSec?: number;
  /** For text outputs: the exact size. */
  sizeBytes?: number;
}

interface Row {
  name: string;
  source: SourceName;
  method: string;
  output_format?: string;
  params?: Record<string, unknown>;
  status: 'completed' | 'failed';
  error?: { code: ErrorCode; message: RegExp };
  warnings?: JobWarning['code'][];
  outputs?: OutputCheck[];
}

const rows: Row[] = [
  {
    name: 'extract_audio to MP3 of a track without packets fails NO_AUDIO_STREAM (it used to complete with a 237-byte file)',
    source: 'emptyAudioMkv',
    method: 'extract_audio',
    output_format: 'mp3',
    status: 'failed',
    error: {
      code: 'NO_AUDIO_STREAM',
      message:
        /^extract_audio needs an audio stream, and the input has only an audio track \(opus\) that holds no audio data$/,
    },
  },
  {
    name: 'extract_audio to M4A of the same source fails the same way (it used to complete with a 0 s file)',
    source: 'emptyAudioMkv',
    method: 'extract_audio',
    output_format: 'm4a',
    status: 'failed',
    error: { code: 'NO_AUDIO_STREAM', message: /holds no audio data$/ },
  },
  {
    name: 'compress of the same source completes as a video without sound, and says why',
    source: 'emptyAudioMkv',
    method: 'compress',
    params: { preset: 'ultrafast' },
    status: 'completed',
    warnings: ['SOURCE_STREAM_EMPTY'],
    outputs: [{ path: 'recording_compress.mp4', streams: ['video'], durationSec: 3 }],
  },
  {
    name: 'transcribe of the same source completes with an empty SRT (a text result may be empty) and a subtitled copy',
    source: 'emptyAudioMkv',
    method: 'transcribe',
    status: 'completed',
    warnings: ['SOURCE_STREAM_EMPTY'],
    outputs: [
      { path: 'transcript.srt', streams: [], sizeBytes: 0 },
      { path: 'recording_subtitled.mp4', streams: ['video', 'subtitle'], durationSec: 3 },
    ],
  },
  ...(['compress', 'convert_format', 'extract_audio'] as const).map((method): Row => ({
    name: `${method} of a faststart MP4 cut off at 40 % fails SOURCE_TRUNCATED (it used to complete with ~4 s)`,
    source: 'truncatedMp4',
    method,
    ...(method === 'convert_format' ? { output_format: 'mkv' } : {}),
    ...(method === 'compress' ? { params: { preset: 'ultrafast' } } : {}),
    status: 'failed',
    error: {
      code: 'SOURCE_TRUNCATED',
      message:
        /^The source is cut short: it declares 10\.0 s but its data ends after [34]\.\d s \(\d\d %\)\. The upload or the file is incomplete; upload the complete file again\.$/,
    },
  })),
  {
    name: 'compress of a piped WebM (no stated duration) completes with all 12 s',
    source: 'pipedWebm',
    method: 'compress',
    // Slow enough that FFmpeg reports progress (every 0.5 s) before it ends.
    params: { preset: 'medium' },
    status: 'completed',
    outputs: [{ path: 'screen_compress.mp4', streams: ['video', 'audio'], durationSec: 12 }],
  },
  {
    name: 'extract_audio of the piped WebM completes with all 12 s',
    source: 'pipedWebm',
    method: 'extract_audio',
    output_format: 'opus',
    status: 'completed',
    outputs: [{ path: 'screen_extract_audio.opus', streams: ['audio'], durationSec: 12 }],
  },
];

const WORKER = 'worker-faithful';
let dataDir: string;
let appConfig: AppConfig;
let world: RunnerWorld | undefined;
let repository: JobRepository;
let store: ObjectStore;
const logger = createLogger({ level: 'error', service: 'faithful-media-test' });
// Failures are logged as warnings by design; the assertions say what matters.
logger.silent = true;

beforeAll(async () => {
  world = await openRunnerWorld('faithful', { FFMPEG_STALL_TIMEOUT: '60' });
  ({ dataDir, appConfig, repository, store } = world);
  const sources = path.join(dataDir, 'sources');
  await mkdir(sources);
  for (const source of Object.values(SOURCES)) {
    const file = await source.make(sources);
    await store.put({ bucket: appConfig.INPUT_BUCKET, key: source.key }, await readFile(file), {
      contentType: 'application/octet-stream',
    });
  }
}, 120_000);

afterAll(async () => {
  await world?.close();
});

function runner(overrides: Partial<RunnerConfig> = {}, executors?: StepExecutors): JobRunner {
  return new JobRunner({
    repository,
    store,
    publisher: new InProcessJobQueue().publisher,
    config: { ...appConfig, ...overrides },
    logger,
    workerId: WORKER,
    executors: executors ?? createStepExecutors({ transcriber: undefined, slots: undefined }),
  });
}

function delivery(): DeliveryContext {
  return { signal: new AbortController().signal, heartbeat: async () => Promise.resolve() };
}

async function runJob(
  row: Pick<Row, 'source' | 'method' | 'output_format' | 'params'>,
  runWith = runner(),
): Promise<Job> {
  const operation = operationFor(row.method).parse({
    method_name: row.method,
    ...(row.output_format ? { output_format: row.output_format } : {}),
    params: row.params ?? {},
  });
  const job = await repository.create({
    job_id: randomUUID(),
    source: `s3://${appConfig.INPUT_BUCKET}/${SOURCES[row.source].key}`,
    operation,
    created_at: new Date().toISOString(),
  });
  await expect(runWith.handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');
  const stored = await repository.get(job.job_id);
  if (!stored) throw new Error(`job ${job.job_id} is gone`);
  return stored;
}

/** Downloads an object of the job's folder to a local file, for ffprobe. */
async function fetchOutput(job: Job, relative: string): Promise<string> {
  const object = await store.get({
    bucket: appConfig.OUTPUT_BUCKET,
    key: `${appConfig.OUTPUT_PREFIX}${job.job_id}/${relative}`,
  });
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  const file = path.join(dataDir, `${job.job_id}-${path.basename(relative)}`);
  await writeFile(file, Buffer.concat(chunks));
  return file;
}

async function folderKeys(job: Job): Promise<string[]> {
  const prefix = `${appConfig.OUTPUT_PREFIX}${job.job_id}/`;
  const keys: string[] = [];
  for await (const object of store.list({ bucket: appConfig.OUTPUT_BUCKET, key: prefix })) {
    keys.push(object.key.slice(prefix.length));
  }
  return keys.sort();
}

describe('faithful media through the real runner (embedded store, real FFmpeg)', () => {
  it.each(rows)(
    '$name',
    async (row) => {
      const job = await runJob(row);

      expect(job.status).toBe(row.status);
      expect(job.attempts).toBe(1);
      if (row.status === 'failed') {
        expect(job.error?.code).toBe(row.error?.code);
        expect(job.error?.message).toMatch(row.error?.message ?? /./);
        // Permanent: failed at once, not queued for a retry nor dead-lettered.
        expect(job.dead_lettered_at).toBeUndefined();
        expect(job.warnings).toBeUndefined();
        // Nothing half-made stands; the log, which says why, does.
        expect(await folderKeys(job)).toEqual([path.posix.basename(job.log_path ?? 'missing')]);
        const log = await readFile(await fetchOutput(job, path.posix.basename(job.log_path ?? '')), 'utf8');
        expect(log).toContain(`# failed ${row.error?.code}: `);
        return;
      }

      expect(job.error).toBeUndefined();
      expect((job.warnings ?? []).map((warning) => warning.code)).toEqual(row.warnings ?? []);
      for (const warning of job.warnings ?? []) {
        expect(warning.message).toMatch(/^The source's audio stream #1 \(opus\) holds no audio data/);
      }
      for (const check of row.outputs ?? []) {
        const output = job.outputs.find((candidate) => candidate.path === check.path);
        expect(output).toBeDefined();
        const file = await fetchOutput(job, check.path);
        if (check.sizeBytes !== undefined) {
          expect(output?.size_bytes).toBe(check.sizeBytes);
          continue;
        }
        const summary = await ffprobeSummary(file);
        expect(summary.streams.map((stream) => stream.codec_type)).toEqual(check.streams);
        expect(summary.durationSec).toBeGreaterThan((check.durationSec ?? 0) - 0.3);
        expect(summary.durationSec).toBeLessThan((check.durationSec ?? 0) + 0.3);
      }
    },
    120_000,
  );

  it('gives a source without a stated duration progress before 100, an ETA and a time limit that scales', async () => {
    // A 1 s floor and 10x the media's duration: with the duration unknown (0)
    // the limit would be the 1 s floor and the job would time out.
    const factor = 10;
    const limits: number[] = [];
    const expected: number[] = [];
    const real = createStepExecutors({ transcriber: undefined, slots: undefined });
    const executors: StepExecutors = {
      ...real,
      ffmpeg: async (step, context) => {
        expected.push(step.expectedDurationSec);
        return real.ffmpeg(step, {
          ...context,
          watch: (options) => {
            limits.push(options.limitMs);
            context.watch(options);
          },
        });
      },
    };
    const writes = jest.spyOn(repository, 'updateProgress');
    let updates: ProgressUpdate[];
    let job: Job;
    try {
      job = await runJob(
        { source: 'pipedWebm', method: 'compress', params: { preset: 'medium' } },
        runner({ JOB_TIMEOUT_MIN_SECONDS: 1, JOB_TIMEOUT_FACTOR: factor, PROGRESS_INTERVAL_MS: 50 }, executors),
      );
      updates = writes.mock.calls.map(([, , update]) => update);
    } finally {
      writes.mockRestore();
    }

    expect(job.status).toBe('completed');
    expect(expected).toHaveLength(1);
    expect(expected[0]).toBeGreaterThan(11.9);
    expect(expected[0]).toBeLessThan(12.1);
    expect(limits).toEqual([jobTimeLimitMs(expected[0], factor, 1)]);
    expect(limits[0]).toBeGreaterThanOrEqual(120_000);
    const moving = updates.filter((update) => update.progress > 0 && update.progress < 100);
    expect(moving.length).toBeGreaterThan(0);
    expect(updates.some((update) => update.eta_seconds !== undefined && update.eta_seconds >= 0)).toBe(true);
  }, 120_000);
});

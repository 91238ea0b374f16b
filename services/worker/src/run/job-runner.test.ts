import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createLogger } from '@mediaflow/domain';
import type { AppConfig, Job } from '@mediaflow/domain';
import { operationFor } from '@mediaflow/operations';
import { InProcessJobQueue } from '@mediaflow/queue';
import type { DeliveryContext, DeliveryOutcome } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';
import { filenameMetadata } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { makeTestClip } from '../../../../test/support/media-clips';
import { openRunnerWorld } from '../../../../test/support/runner-world';
import type { RunnerWorld } from '../../../../test/support/runner-world';
import { createStepExecutors } from '../steps';
import type { StepContext, StepExecutors } from '../steps';
import { JobRunner } from './job-runner';
import type { JobRunnerDeps, RunnerConfig } from './job-runner';

const run = promisify(execFile);

/**
 * The runner as the embedded mode wires it: the DynamoDB adapter on an
 * in-process dynalite, the local object store, the in-process queue, real
 * FFmpeg. The stalling wrapper hangs FFmpeg on inputs carrying its marker, so
 * a step can be held open for as long as a case needs ("mid-step").
 */
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const STALLING_FFMPEG = path.join(REPO_ROOT, 'test/support/stalling-ffmpeg.sh');
const WORKER = 'worker-a';
const CLIP_KEY = 'uploads/clip.mp4';
const STALL_KEY = 'uploads/stall.mp4';
const MUTE_KEY = 'uploads/mute.mp4';
/** What the runner's stops must beat: a progress tick (100 ms) plus killing FFmpeg and recording the outcome. */
const PROMPTLY_MS = 3_000;

let dataDir: string;
let appConfig: AppConfig;
let world: RunnerWorld | undefined;
let repository: JobRepository;
let store: ObjectStore;
const logger = createLogger({ level: 'error', service: 'job-runner-test' });
// The failure paths log warnings and errors by design; the assertions say what matters.
logger.silent = true;

beforeAll(async () => {
  world = await openRunnerWorld('runner', { FFMPEG_STALL_TIMEOUT: '60' });
  ({ dataDir, appConfig, repository, store } = world);

  const clips = path.join(dataDir, 'clips');
  await mkdir(clips);
  const clip = await makeTestClip(clips, 'clip.mp4', { seconds: 2, width: 160, height: 120 });
  const mute = await makeTestClip(clips, 'mute.mp4', { seconds: 1, width: 160, height: 120, audio: false });
  // The marker at the end leaves the file playable and probeable; only the wrapper looks for it.
  const marked = path.join(clips, 'stall.mp4');
  await writeFile(marked, Buffer.concat([await readFile(clip), Buffer.from('MEDIAFLOW_STALL')]));
  for (const [key, file] of [
    [CLIP_KEY, clip],
    [STALL_KEY, marked],
    [MUTE_KEY, mute],
  ]) {
    await store.put({ bucket: appConfig.INPUT_BUCKET, key }, await readFile(file), { contentType: 'video/mp4' });
  }
}, 60_000);

afterAll(async () => {
  await world?.close();
});

function runnerConfig(overrides: Partial<RunnerConfig>): RunnerConfig {
  return { ...appConfig, ...overrides };
}

function runner(overrides: Partial<RunnerConfig> = {}, deps: Partial<JobRunnerDeps> = {}): JobRunner {
  return new JobRunner({
    repository,
    store,
    publisher: new InProcessJobQueue().publisher,
    config: runnerConfig(overrides),
    logger,
    workerId: WORKER,
    executors: createStepExecutors({ transcriber: undefined, slots: undefined }),
    ...deps,
  });
}

/** The real executors, telling the test when the first FFmpeg step is under way. */
function signallingExecutors(): { executors: StepExecutors; ffmpegStarted: Promise<void> } {
  const real = createStepExecutors({ transcriber: undefined, slots: undefined });
  let started: () => void = () => undefined;
  const ffmpegStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  const executors: StepExecutors = {
    ...real,
    ffmpeg: async (step, context) => {
      started();
      return real.ffmpeg(step, context);
    },
  };
  return { executors, ffmpegStarted };
}

function delivery(): { context: DeliveryContext; shutdown: AbortController } {
  const shutdown = new AbortController();
  return { context: { signal: shutdown.signal, heartbeat: async () => Promise.resolve() }, shutdown };
}

async function createJob(sourceKey: string, method = 'compress', params: Record<string, unknown> = {}): Promise<Job> {
  // Normalised as the API stores it: the operation's schema with its defaults applied.
  const operation = operationFor(method).parse({ method_name: method, params });
  return repository.create({
    job_id: randomUUID(),
    source: `s3://${appConfig.INPUT_BUCKET}/${sourceKey}`,
    operation,
    created_at: new Date().toISOString(),
  });
}

async function stored(jobId: string): Promise<Job> {
  const job = await repository.get(jobId);
  if (!job) throw new Error(`job ${jobId} is gone`);
  return job;
}

function folderOf(jobId: string): string {
  return `${appConfig.OUTPUT_PREFIX}${jobId}/`;
}

/** Keys under the job's folder, relative to it. */
async function objectsOf(jobId: string): Promise<string[]> {
  const prefix = folderOf(jobId);
  const keys: string[] = [];
  for await (const object of store.list({ bucket: appConfig.OUTPUT_BUCKET, key: prefix })) {
    keys.push(object.key.slice(prefix.length));
  }
  return keys;
}

async function objectText(uri: string): Promise<string> {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new Error(`not an object URI: ${uri}`);
  const object = await store.get({ bucket: match[1], key: match[2] });
  const chunks: Buffer[] = [];
  for await (const chunk of object.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** An object another attempt of the job wrote (one that published, then could not complete). */
async function leaveEarlierOutput(jobId: string, name: string): Promise<void> {
  const ref = { bucket: appConfig.OUTPUT_BUCKET, key: `${folderOf(jobId)}${name}` };
  await store.put(ref, Buffer.from('from an earlier attempt'), { contentType: 'video/mp4' });
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('JobRunner (embedded store, local objects, real FFmpeg)', () => {
  it('completes a compress job delivered by the in-process queue, with its outputs stored', async () => {
    const job = await createJob(CLIP_KEY, 'compress', { preset: 'ultrafast' });
    const queue = new InProcessJobQueue({ logger });
    const jobRunner = runner({}, { publisher: queue.publisher });
    const outcomes: DeliveryOutcome[] = [];
    const consumer = queue.createConsumer();
    await consumer.start(async (message, context) => {
      const outcome = await jobRunner.handle(message, context);
      outcomes.push(outcome);
      return outcome;
    });
    try {
      await queue.publisher.publish({ job_id: job.job_id });
      await waitFor('the outcome', () => outcomes[0], 30_000);
    } finally {
      await consumer.stop();
    }

    expect(outcomes).toEqual(['done']);
    const done = await stored(job.job_id);
    const folder = `s3://${appConfig.OUTPUT_BUCKET}/${folderOf(job.job_id)}`;
    expect(done).toMatchObject({ status: 'completed', progress: 100, attempts: 1 });
    expect(done.outputs).toEqual([
      {
        kind: 'video',
        path: 'clip_compress.mp4',
        content_type: 'video/mp4',
        size_bytes: expect.any(Number) as number,
        object: `${folder}clip_compress.mp4`,
        primary: true,
      },
      {
        kind: 'log',
        path: 'ffmpeg.log',
        content_type: 'text/plain; charset=utf-8',
        size_bytes: expect.any(Number) as number,
        object: `${folder}ffmpeg.log`,
      },
    ]);
    expect(done.output_path).toBe(`${folder}clip_compress.mp4`);
    expect(done.log_path).toBe(`${folder}ffmpeg.log`);

    // The sizes recorded are the objects' sizes, and the video is a real H.264 file.
    expect(await objectsOf(job.job_id)).toEqual(['clip_compress.mp4', 'ffmpeg.log']);
    for (const output of done.outputs) {
      const info = await store.head({ bucket: appConfig.OUTPUT_BUCKET, key: `${folderOf(job.job_id)}${output.path}` });
      expect(info).toMatchObject({ size: output.size_bytes, contentType: output.content_type });
      expect(output.size_bytes).toBeGreaterThan(0);
    }
    const video = path.join(dataDir, `${job.job_id}.mp4`);
    const { body } = await store.get({
      bucket: appConfig.OUTPUT_BUCKET,
      key: `${folderOf(job.job_id)}clip_compress.mp4`,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    await writeFile(video, Buffer.concat(chunks));
    const { stdout } = await run('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name',
      '-of',
      'csv=p=0',
      video,
    ]);
    expect(stdout.trim().split('\n')).toEqual(['h264', 'aac']);
    expect(await objectText(done.log_path ?? '')).toMatch(/^\$ ffmpeg .*-c:v libx264/m);
  }, 30_000);

  it('names the outputs after the file name a tus upload recorded, not after its id', async () => {
    const key = 'uploads/tus/0123456789abcdef0123456789abcdef';
    const { body } = await store.get({ bucket: appConfig.INPUT_BUCKET, key: CLIP_KEY });
    const bytes = Buffer.concat((await body.toArray()) as Buffer[]);
    await store.put({ bucket: appConfig.INPUT_BUCKET, key }, bytes, {
      contentType: 'video/mp4',
      metadata: filenameMetadata('garden_party.mp4'),
    });
    const job = await createJob(key, 'compress', { preset: 'ultrafast' });
    await expect(runner().handle({ job_id: job.job_id }, delivery().context)).resolves.toBe('done');
    const done = await stored(job.job_id);
    expect(done.outputs.map((output) => output.path)).toEqual(['garden_party_compress.mp4', 'ffmpeg.log']);
  });

  it('makes WORK_DIR when it is missing (a fresh data directory, a swept /tmp) instead of stopping the worker', async () => {
    const workDir = path.join(appConfig.WORK_DIR, 'not-yet', 'made');
    const job = await createJob(CLIP_KEY, 'compress', { preset: 'ultrafast' });
    await expect(runner({ WORK_DIR: workDir }).handle({ job_id: job.job_id }, delivery().context)).resolves.toBe(
      'done',
    );
    expect((await stored(job.job_id)).status).toBe('completed');
  });

  it('abandons the attempt without touching the job when another worker has taken it over', async () => {
    const job = await createJob(STALL_KEY);
    const { executors, ffmpegStarted } = signallingExecutors();
    const handling = runner({ FFMPEG_PATH: STALLING_FFMPEG }, { executors }).handle(
      { job_id: job.job_id },
      delivery().context,
    );
    await ffmpegStarted;
    // The lease as another worker would find it after this one went quiet: expired, so claimable.
    const later = new Date(Date.now() + appConfig.JOB_LEASE_SECONDS * 1000 + 5_000);
    const taken = await repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: later, leaseMs: 60_000 });
    expect(taken).toMatchObject({ status: 'processing', worker_id: 'worker-b', attempts: 2 });
    // The folder is the new owner's now: what it writes there must survive the old attempt.
    await leaveEarlierOutput(job.job_id, 'stall_compress.mp4');
    const takenOver = await stored(job.job_id);
    const stoppedAt = Date.now();

    await expect(handling).resolves.toBe('done');

    expect(Date.now() - stoppedAt).toBeLessThan(PROMPTLY_MS);
    expect(await stored(job.job_id)).toEqual(takenOver);
    expect(await objectsOf(job.job_id)).toEqual(['stall_compress.mp4']);
  }, 20_000);

  it('stops FFmpeg promptly on a cancel, records it, and leaves only its log under the job’s folder', async () => {
    const job = await createJob(STALL_KEY);
    await leaveEarlierOutput(job.job_id, 'stall_compress.mp4');
    const { executors, ffmpegStarted } = signallingExecutors();
    const handling = runner({ FFMPEG_PATH: STALLING_FFMPEG }, { executors }).handle(
      { job_id: job.job_id },
      delivery().context,
    );
    await ffmpegStarted;
    await sleep(200);
    const requested = await repository.requestCancel(job.job_id, new Date());
    expect(requested).toMatchObject({ status: 'processing', cancel_requested: true });
    const cancelledAt = Date.now();

    await expect(handling).resolves.toBe('done');

    expect(Date.now() - cancelledAt).toBeLessThan(PROMPTLY_MS);
    const cancelled = await stored(job.job_id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.error).toBeUndefined();
    // The earlier output is gone; what ran until the cancel is kept, as for a failure.
    expect(await objectsOf(job.job_id)).toEqual(['ffmpeg.log']);
    expect(cancelled.log_path).toMatch(/\/ffmpeg\.log$/);
  }, 20_000);

  it('keeps no log for a job deleted while it ran: DELETE removes the folder, and the worker writes nothing after', async () => {
    const job = await createJob(STALL_KEY);
    const { executors, ffmpegStarted } = signallingExecutors();
    const handling = runner({ FFMPEG_PATH: STALLING_FFMPEG }, { executors }).handle(
      { job_id: job.job_id },
      delivery().context,
    );
    await ffmpegStarted;
    await sleep(200);
    // What DELETE /jobs/{id} does to the record: a cancel request, then the tombstone.
    await repository.requestCancel(job.job_id, new Date());
    await repository.markDeleted(job.job_id, new Date());
    await expect(handling).resolves.toBe('done');
    const cancelled = await stored(job.job_id);
    expect(cancelled).toMatchObject({ status: 'cancelled', deleted_at: expect.any(String) as unknown });
    expect(cancelled.log_path).toBeUndefined();
    expect(await objectsOf(job.job_id)).toEqual([]);
  }, 20_000);

  it('hands the job back, queued and unchanged, when the consumer shuts down mid-step', async () => {
    const job = await createJob(STALL_KEY);
    const queue = new InProcessJobQueue({ logger, retryDelayMs: 10 });
    const { executors, ffmpegStarted } = signallingExecutors();
    const jobRunner = runner({ FFMPEG_PATH: STALLING_FFMPEG }, { executors, publisher: queue.publisher });
    const outcomes: DeliveryOutcome[] = [];
    const consumer = queue.createConsumer();
    await consumer.start(async (message, context) => {
      const outcome = await jobRunner.handle(message, context);
      outcomes.push(outcome);
      return outcome;
    });
    await queue.publisher.publish({ job_id: job.job_id });
    await ffmpegStarted;
    const stoppingAt = Date.now();

    // Stopping the consumer aborts the delivery's signal, as SIGTERM does in the worker.
    await consumer.stop();

    expect(Date.now() - stoppingAt).toBeLessThan(PROMPTLY_MS);
    expect(outcomes).toEqual(['retry']);
    const handedBack = await stored(job.job_id);
    expect(handedBack).toMatchObject({ status: 'queued', attempts: 1, progress: 0 });
    expect(handedBack.worker_id).toBeUndefined();
    expect(handedBack.retry_at).toBeUndefined();
    expect(handedBack.error).toBeUndefined();
    expect(handedBack.history.at(-1)).toMatchObject({ status: 'queued', note: 'worker shutting down' });
    // The message goes back on the queue for another worker.
    await waitFor('the message to be queued again', () => (queue.size === 1 ? true : undefined));
    // Another worker may take it at once.
    const next = await repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: new Date(), leaseMs: 60_000 });
    expect(next).toMatchObject({ status: 'processing', attempts: 2 });
  }, 20_000);

  it('releases a stalled attempt for a retry after a backoff within the jitter bounds', async () => {
    const job = await createJob(STALL_KEY);
    const jobRunner = runner({
      FFMPEG_PATH: STALLING_FFMPEG,
      FFMPEG_STALL_TIMEOUT: 0.5,
      MAX_ATTEMPTS: 3,
      RETRY_BASE_DELAY_MS: 60_000,
      RETRY_MAX_DELAY_MS: 600_000,
    });
    const before = Date.now();
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery().context)).resolves.toBe('done');
    const after = Date.now();

    const released = await stored(job.job_id);
    expect(released).toMatchObject({ status: 'queued', attempts: 1 });
    expect(released.worker_id).toBeUndefined();
    expect(released.error).toBeUndefined();
    expect(released.history.at(-1)).toMatchObject({ status: 'queued', note: 'retry after FFMPEG_STALLED' });
    // First retry: between half and all of the base delay.
    const retryAt = Date.parse(released.retry_at ?? '');
    expect(retryAt).toBeGreaterThanOrEqual(before + 30_000);
    expect(retryAt).toBeLessThanOrEqual(after + 60_000);
    // Not before then: a claim now is refused.
    expect(
      await repository.claim({ jobId: job.job_id, workerId: 'worker-b', now: new Date(), leaseMs: 60_000 }),
    ).toBeNull();
    expect(await objectsOf(job.job_id)).toEqual([]);
  }, 20_000);

  it('dead-letters a job whose retryable failure outlasts MAX_ATTEMPTS, keeping its log', async () => {
    const job = await createJob(STALL_KEY);
    const queue = new InProcessJobQueue({ logger });
    const jobRunner = runner(
      {
        FFMPEG_PATH: STALLING_FFMPEG,
        FFMPEG_STALL_TIMEOUT: 0.5,
        MAX_ATTEMPTS: 2,
        // Due at once, so the second attempt can follow straight away.
        RETRY_BASE_DELAY_MS: 0,
        RETRY_MAX_DELAY_MS: 0,
      },
      { publisher: queue.publisher },
    );

    await expect(jobRunner.handle({ job_id: job.job_id }, delivery().context)).resolves.toBe('done');
    expect(await stored(job.job_id)).toMatchObject({ status: 'queued', attempts: 1 });
    expect(queue.deadLetters).toEqual([]);
    await leaveEarlierOutput(job.job_id, 'stall_compress.mp4');
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery().context)).resolves.toBe('done');

    const failed = await stored(job.job_id);
    const error = { code: 'FFMPEG_STALLED', message: 'FFmpeg made no progress for 0.5 s (gave up after 2 attempts)' };
    expect(failed).toMatchObject({ status: 'failed', attempts: 2, error });
    expect(failed.dead_lettered_at).toEqual(expect.any(String));
    expect(queue.deadLetters).toEqual([{ job_id: job.job_id, error, attempts: 2, failed_at: failed.dead_lettered_at }]);
    // The log says what ran; what an attempt published is gone.
    expect(failed.log_path).toBe(`s3://${appConfig.OUTPUT_BUCKET}/${folderOf(job.job_id)}ffmpeg.log`);
    expect(await objectsOf(job.job_id)).toEqual(['ffmpeg.log']);
    expect(await objectText(failed.log_path ?? '')).toContain(`$ ${STALLING_FFMPEG} `);
  }, 20_000);

  it('does not run again a job whose earlier workers all died with it, and dead-letters it', async () => {
    const job = await createJob(CLIP_KEY);
    const queue = new InProcessJobQueue({ logger });
    // Two workers claimed it and vanished without a word: their leases (1 ms) ran out.
    for (const workerId of ['worker-gone-1', 'worker-gone-2']) {
      expect(await repository.claim({ jobId: job.job_id, workerId, now: new Date(), leaseMs: 1 })).not.toBeNull();
      await sleep(10);
    }

    await expect(
      runner({ MAX_ATTEMPTS: 2 }, { publisher: queue.publisher }).handle({ job_id: job.job_id }, delivery().context),
    ).resolves.toBe('done');

    const error = {
      code: 'WORKER_LOST',
      message: 'the worker running this job stopped unexpectedly (gave up after 3 attempts)',
    };
    const failed = await stored(job.job_id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 3, error });
    expect(failed.dead_lettered_at).toEqual(expect.any(String));
    expect(queue.deadLetters).toEqual([expect.objectContaining({ job_id: job.job_id, error, attempts: 3 })]);
    expect(await objectsOf(job.job_id)).toEqual([]);
  }, 20_000);

  it('records a programmer error as INTERNAL and rethrows it, so the process fails loudly', async () => {
    const job = await createJob(CLIP_KEY);
    const bug = new TypeError("Cannot read properties of undefined (reading 'args')");
    const real = createStepExecutors({ transcriber: undefined, slots: undefined });
    const executors: StepExecutors = {
      ...real,
      ffmpeg: async () => Promise.reject(bug),
    };

    await expect(runner({}, { executors }).handle({ job_id: job.job_id }, delivery().context)).rejects.toBe(bug);

    const failed = await stored(job.job_id);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'INTERNAL', message: 'internal error while processing the job' },
    });
    expect(failed.dead_lettered_at).toBeUndefined();
  }, 20_000);

  it('fails a job that ran past its time limit, keeping its log and removing its other outputs', async () => {
    const job = await createJob(STALL_KEY);
    await leaveEarlierOutput(job.job_id, 'stall_compress.mp4');
    // A limit of 0.3 s for the 2 s clip: the watchdog fires at its first check.
    const jobRunner = runner({ FFMPEG_PATH: STALLING_FFMPEG, JOB_TIMEOUT_FACTOR: 0, JOB_TIMEOUT_MIN_SECONDS: 0.3 });

    await expect(jobRunner.handle({ job_id: job.job_id }, delivery().context)).resolves.toBe('done');

    const failed = await stored(job.job_id);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'JOB_TIMEOUT', message: 'the job ran past its time limit' },
    });
    expect(failed.dead_lettered_at).toBeUndefined();
    expect(failed.log_path).toBe(`s3://${appConfig.OUTPUT_BUCKET}/${folderOf(job.job_id)}ffmpeg.log`);
    expect(await objectsOf(job.job_id)).toEqual(['ffmpeg.log']);
    expect(await objectText(failed.log_path ?? '')).toMatch(/^\$ \S+stalling-ffmpeg\.sh .*-c:v libx264/m);
  }, 20_000);

  it('reports progress across a two-step plan weighted and never going back', async () => {
    // A video without sound, transcribed without embedding: an empty transcript written, then the subtitles.
    const job = await createJob(MUTE_KEY, 'transcribe', { embed_subtitles: false });
    const real = createStepExecutors({ transcriber: undefined, slots: undefined });
    /** Each step takes a while and says so, as a real one would, before doing its work. */
    const paced = async (context: StepContext): Promise<void> => {
      for (const percent of [30, 60]) {
        await sleep(150);
        context.onProgress({ percent });
      }
      await sleep(150);
    };
    const executors: StepExecutors = {
      ...real,
      write_text: async (step, context) => {
        await paced(context);
        return real.write_text(step, context);
      },
      write_subtitles: async (step, context) => {
        await paced(context);
        return real.write_subtitles(step, context);
      },
    };
    // Spied, not faked: the writes go on to the store; the test only reads what they said.
    const writes = jest.spyOn(repository, 'updateProgress');
    let percents: number[];
    try {
      await expect(
        runner({ PROGRESS_INTERVAL_MS: 20 }, { executors }).handle({ job_id: job.job_id }, delivery().context),
      ).resolves.toBe('done');
      percents = writes.mock.calls.filter(([jobId]) => jobId === job.job_id).map(([, , update]) => update.progress);
    } finally {
      writes.mockRestore();
    }

    expect(percents.every((value, index) => index === 0 || value >= percents[index - 1])).toBe(true);
    // Two steps of equal weight: step 1's 30 % and 60 % are the job's 15 and 30, step 2's its 65 and 80;
    // 99.9 is the most a running job shows. A write may be skipped (one in flight), never altered.
    expect(percents.every((value) => [0, 15, 30, 50, 65, 80, 99.9].includes(value))).toBe(true);
    expect(percents.some((value) => value > 0 && value < 50)).toBe(true);
    expect(percents.some((value) => value > 50 && value < 100)).toBe(true);
    const done = await stored(job.job_id);
    expect(done.error).toBeUndefined();
    expect(done).toMatchObject({ status: 'completed', progress: 100 });
    expect(done.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'log']);
  }, 20_000);
});

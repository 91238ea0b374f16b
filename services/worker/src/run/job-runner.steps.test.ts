import { randomUUID } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, createLogger } from '@mediaflow/domain';
import type { AppConfig, Job } from '@mediaflow/domain';
import { validateSubmission } from '@mediaflow/operations';
import { InProcessJobQueue } from '@mediaflow/queue';
import type { DeliveryContext } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';
import { makeTestClip } from '../../../../test/support/media-clips';
import { openRunnerWorld } from '../../../../test/support/runner-world';
import type { RunnerWorld } from '../../../../test/support/runner-world';
import { createStepExecutors } from '../steps';
import type { StepContext, StepExecutors } from '../steps';
import { JobRunner } from './job-runner';
import type { RunnerConfig } from './job-runner';

/**
 * Multi-step jobs through the runner as the embedded mode wires it (DynamoDB
 * adapter on dynalite, local object store, real FFmpeg). Executors are the
 * real ones, wrapped to count FFmpeg invocations per chain step and to inject
 * a failure or hold a step open.
 */
const WORKER = 'worker-a';
const CLIP_KEY = 'uploads/meeting.mp4';

let dataDir: string;
let appConfig: AppConfig;
let world: RunnerWorld | undefined;
let repository: JobRepository;
let store: ObjectStore;
const logger = createLogger({ level: 'error', service: 'job-runner-steps-test' });
logger.silent = true;

beforeAll(async () => {
  world = await openRunnerWorld('steps');
  ({ dataDir, appConfig, repository, store } = world);
  const clips = path.join(dataDir, 'clips');
  await mkdir(clips);
  const clip = await makeTestClip(clips, 'meeting.mp4', { seconds: 2, width: 160, height: 120 });
  await store.put({ bucket: appConfig.INPUT_BUCKET, key: CLIP_KEY }, await readFile(clip), {
    contentType: 'video/mp4',
  });
}, 60_000);

afterAll(async () => {
  await world?.close();
});

/** Which chain step (1-based) an executor runs for: the runner gives each its own `step-<n>` directory. */
function chainStepOf(context: StepContext): number {
  const match = /step-(\d+)\/?$/.exec(context.workDir);
  return match ? Number(match[1]) : 0;
}

interface Instrumented {
  executors: StepExecutors;
  /** FFmpeg invocations per chain step (1-based). */
  calls: Map<number, number>;
}

/** The real executors, counting FFmpeg runs; `around` may fail or hold a chain step instead of running it. */
function instrumented(around?: (chainStep: number, context: StepContext) => Promise<void> | undefined): Instrumented {
  const real = createStepExecutors({ transcriber: undefined, slots: undefined });
  const calls = new Map<number, number>();
  return {
    calls,
    executors: {
      ...real,
      ffmpeg: async (step, context) => {
        const chainStep = chainStepOf(context);
        calls.set(chainStep, (calls.get(chainStep) ?? 0) + 1);
        const instead = around?.(chainStep, context);
        if (instead) return instead;
        return real.ffmpeg(step, context);
      },
    },
  };
}

function runner(executors: StepExecutors, overrides: Partial<RunnerConfig> = {}): JobRunner {
  return new JobRunner({
    repository,
    store,
    publisher: new InProcessJobQueue().publisher,
    config: { ...appConfig, RETRY_BASE_DELAY_MS: 0, RETRY_MAX_DELAY_MS: 0, ...overrides },
    logger,
    workerId: WORKER,
    executors,
  });
}

function delivery(): DeliveryContext {
  return { signal: new AbortController().signal, heartbeat: async () => Promise.resolve() };
}

/** compress → grayscale → extract_audio, validated and stored as the API does. */
async function createChain(): Promise<Job> {
  const { operation, steps } = validateSubmission(
    {
      source: `s3://${appConfig.INPUT_BUCKET}/${CLIP_KEY}`,
      steps: [
        { method_name: 'compress', params: { preset: 'ultrafast' } },
        { method_name: 'grayscale' },
        { method_name: 'extract_audio', output_format: 'm4a' },
      ],
    },
    [appConfig.INPUT_BUCKET],
  );
  return repository.create({
    job_id: randomUUID(),
    source: `s3://${appConfig.INPUT_BUCKET}/${CLIP_KEY}`,
    operation,
    ...(steps === undefined ? {} : { steps }),
    created_at: new Date().toISOString(),
  });
}

async function stored(jobId: string): Promise<Job> {
  const job = await repository.get(jobId);
  if (!job) throw new Error(`job ${jobId} is gone`);
  return job;
}

async function objectsOf(jobId: string): Promise<string[]> {
  const prefix = `${appConfig.OUTPUT_PREFIX}${jobId}/`;
  const keys: string[] = [];
  for await (const object of store.list({ bucket: appConfig.OUTPUT_BUCKET, key: prefix })) {
    keys.push(object.key.slice(prefix.length));
  }
  return keys.sort();
}

describe('multi-step jobs in the runner', () => {
  it('runs every step on the previous one’s primary output and lists each step’s outputs', async () => {
    const job = await createChain();
    const { executors, calls } = instrumented();
    await expect(runner(executors).handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');

    const done = await stored(job.job_id);
    expect(done.status).toBe('completed');
    expect([...calls.entries()].sort()).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    const media = done.outputs.filter((output) => output.kind !== 'log');
    expect(media.map((output) => [output.step, output.kind, output.path.split('/')[0]])).toEqual([
      [0, 'video', 'step-1'],
      [1, 'video', 'step-2'],
      [2, 'audio', 'step-3'],
    ]);
    // Only the last step's primary is the job's.
    expect(done.outputs.filter((output) => output.primary).map((output) => output.step)).toEqual([2]);
    expect(done.output_path).toMatch(/step-3\/.+\.m4a$/);
    expect(done.completed_steps?.map((step) => step.index)).toEqual([0, 1]);
    expect(await objectsOf(job.job_id)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^step-1\//), expect.stringMatching(/^step-2\//)]),
    );
  }, 60_000);

  it('a retry after a failure in the third step runs only the third step', async () => {
    const job = await createChain();
    let failOnce = true;
    const { executors, calls } = instrumented((chainStep): Promise<void> | undefined => {
      if (chainStep !== 3 || !failOnce) return undefined;
      failOnce = false;
      return Promise.reject(new AppError('STORAGE_ERROR', 'injected: the third step failed'));
    });
    const jobRunner = runner(executors);
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');
    const released = await stored(job.job_id);
    expect(released).toMatchObject({ status: 'queued', attempts: 1 });
    expect(released.completed_steps?.map((step) => step.index)).toEqual([0, 1]);
    expect(calls.get(3)).toBe(1);

    calls.clear();
    await sleep(5);
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');
    const done = await stored(job.job_id);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    // Steps 1 and 2 were not run again: their stored outputs fed step 3.
    expect([...calls.entries()]).toEqual([[3, 1]]);
    expect(done.outputs.filter((output) => output.kind !== 'log').map((output) => output.step)).toEqual([0, 1, 2]);
  }, 60_000);

  it('a failure for good in the third step keeps the first two steps’ files, and a retry runs only the third', async () => {
    const job = await createChain();
    let failOnce = true;
    const { executors, calls } = instrumented((chainStep): Promise<void> | undefined => {
      if (chainStep !== 3 || !failOnce) return undefined;
      failOnce = false;
      // Not retryable: the job fails at once, as when its attempts have run out.
      return Promise.reject(new AppError('NO_VIDEO_STREAM', 'injected: the third step cannot run'));
    });
    const jobRunner = runner(executors);
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');
    const failed = await stored(job.job_id);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'NO_VIDEO_STREAM' } });
    expect(failed.completed_steps?.map((step) => step.index)).toEqual([0, 1]);
    expect(failed.outputs.map((output) => output.step)).toEqual([0, 1]);
    const objects = await objectsOf(job.job_id);
    expect(objects.filter((key) => key.startsWith('step-3/'))).toEqual([]);
    expect(objects).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^step-1\//),
        expect.stringMatching(/^step-2\//),
        expect.stringMatching(/\.log$/),
      ]),
    );

    // POST /jobs/{id}/retry: the job is queued again with its checkpoints.
    const requeued = await repository.requeue(job.job_id, new Date(), 'retried by an operator');
    expect(requeued?.completed_steps?.map((step) => step.index)).toEqual([0, 1]);
    calls.clear();
    await expect(jobRunner.handle({ job_id: job.job_id }, delivery())).resolves.toBe('done');
    const done = await stored(job.job_id);
    expect(done.status).toBe('completed');
    expect([...calls.entries()]).toEqual([[3, 1]]);
    expect(done.outputs.filter((output) => output.kind !== 'log').map((output) => output.step)).toEqual([0, 1, 2]);
  }, 60_000);

  it('a cancel during the second step stops it and removes the first step’s outputs too', async () => {
    const job = await createChain();
    let holding: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const { executors } = instrumented((chainStep, context): Promise<void> | undefined => {
      if (chainStep !== 2) return undefined;
      holding();
      // A long step: it ends only when the runner aborts it.
      return new Promise<void>((_resolve, reject) => {
        context.signal.addEventListener('abort', () => reject(context.signal.reason as Error), { once: true });
      });
    });
    const handling = runner(executors).handle({ job_id: job.job_id }, delivery());
    await held;
    expect(await objectsOf(job.job_id)).toEqual([expect.stringMatching(/^step-1\//)]);
    expect(await repository.requestCancel(job.job_id, new Date())).toMatchObject({ cancel_requested: true });
    await expect(handling).resolves.toBe('done');
    const cancelled = await stored(job.job_id);
    expect(cancelled).toMatchObject({ status: 'cancelled', outputs: [] });
    expect(cancelled.completed_steps).toBeUndefined();
    // Only the log of what ran is left.
    expect(await objectsOf(job.job_id)).toEqual([expect.stringMatching(/\.log$/)]);
  }, 60_000);
});

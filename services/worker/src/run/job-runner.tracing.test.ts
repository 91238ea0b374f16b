import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { loadConfig } from '@mediaflow/domain';
import type { AppConfig, Logger, TraceCarrier } from '@mediaflow/domain';
import { operationFor } from '@mediaflow/operations';
import { InProcessJobQueue } from '@mediaflow/queue';
import type { JobMessage } from '@mediaflow/queue';
import { createJobRepository } from '@mediaflow/repository';
import type { RepositoryHandle } from '@mediaflow/repository';
import { createObjectStore } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { makeTestClip } from '../../../../test/support/media-clips';
import { createStepExecutors } from '../steps';
import { JobRunner } from './job-runner';

/**
 * Which trace a job's log lines continue: the message's, else the one stored
 * with the job at submit (a message the reaper republished carries none).
 * The runner as the embedded mode wires it, with real FFmpeg.
 */

const CLIP_KEY = 'uploads/clip.mp4';

let dataDir: string;
let config: AppConfig;
let database: RepositoryHandle;
let store: ObjectStore;
const lines: Record<string, unknown>[] = [];
const logger: Logger = winston.createLogger({
  level: 'info',
  format: winston.format.json(),
  transports: [
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          callback();
        },
      }),
    }),
  ],
});

function carrier(): { traceId: string; trace: TraceCarrier } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, trace: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } };
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'mediaflow-runner-tracing-'));
  config = loadConfig({ DATA_DIR: dataDir, WORK_DIR: path.join(dataDir, 'work'), PROGRESS_INTERVAL_MS: '100' });
  await mkdir(config.WORK_DIR, { recursive: true });
  database = await createJobRepository(config);
  await database.repository.init();
  store = createObjectStore(config);
  await store.ensureBucket(config.INPUT_BUCKET);
  await store.ensureBucket(config.OUTPUT_BUCKET);
  const clip = await makeTestClip(dataDir, 'clip.mp4', { seconds: 1, width: 160, height: 120 });
  await store.put({ bucket: config.INPUT_BUCKET, key: CLIP_KEY }, await readFile(clip), { contentType: 'video/mp4' });
}, 60_000);

afterAll(async () => {
  await database?.close();
  await store?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function runJob(stored: TraceCarrier | undefined, message: TraceCarrier | undefined): Promise<string> {
  const jobId = randomUUID();
  await database.repository.create({
    job_id: jobId,
    source: `s3://${config.INPUT_BUCKET}/${CLIP_KEY}`,
    operation: operationFor('probe').parse({ method_name: 'probe', params: {} }),
    created_at: new Date().toISOString(),
    ...(stored === undefined ? {} : { trace: stored }),
  });
  expect((await database.repository.get(jobId))?.trace).toEqual(stored);
  const runner = new JobRunner({
    repository: database.repository,
    store,
    publisher: new InProcessJobQueue().publisher,
    config,
    logger,
    workerId: 'worker-tracing',
    executors: createStepExecutors({ transcriber: undefined, slots: undefined }),
  });
  const delivered: JobMessage = { job_id: jobId, ...(message === undefined ? {} : { trace: message }) };
  const outcome = await runner.handle(delivered, { signal: new AbortController().signal, heartbeat: async () => {} });
  expect(outcome).toBe('done');
  expect((await database.repository.get(jobId))?.status).toBe('completed');
  return jobId;
}

function linesOf(jobId: string): Record<string, unknown>[] {
  const found = lines.filter((line) => line.jobId === jobId);
  expect(found.map((line) => line.message)).toEqual(expect.arrayContaining(['job started', 'job completed']));
  return found;
}

describe('JobRunner trace context', () => {
  it("continues the message's trace on every log line of the job", async () => {
    const submitted = carrier();
    const jobId = await runJob(submitted.trace, submitted.trace);
    for (const line of linesOf(jobId)) expect(line.trace_id).toBe(submitted.traceId);
  }, 60_000);

  it('falls back to the trace stored with the job when the message carries none (a republish)', async () => {
    const submitted = carrier();
    const jobId = await runJob(submitted.trace, undefined);
    for (const line of linesOf(jobId)) expect(line.trace_id).toBe(submitted.traceId);
  }, 60_000);

  it('logs no trace fields for a job submitted without a trace context', async () => {
    const jobId = await runJob(undefined, undefined);
    for (const line of linesOf(jobId)) expect(line).not.toHaveProperty('trace_id');
  }, 60_000);
});

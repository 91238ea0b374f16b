import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import winston from 'winston';
import { loadConfig } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { createInfrastructure } from '@mediaflow/runtime';
import type { Infrastructure } from '@mediaflow/runtime';
import { Worker } from '@mediaflow/worker';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { submitJob, waitForJob } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { startOtlpReceiver } from '../support/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../support/otlp-receiver';
import { waitFor } from '../support/processes';
import { startSystem } from '../support/system';
import type { RunningSystem } from '../support/system';

/**
 * Issue 13: the W3C trace context of the request that submits a job travels
 * in the Kafka message's headers to the worker; the worker's spans are its
 * children and every log line of the job names the trace.
 */

jest.setTimeout(300_000);

const SPAN_KIND = { server: 2, producer: 4, consumer: 5 } as const;

/** A caller's trace context: a trace id and the id of the caller's own span. */
function callerContext(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

/** The JSON log lines about one job. */
function jobLogLines(output: string, jobId: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.jobId === jobId);
}

let dir: string;
let clip: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-e2e-tracing-'));
  clip = path.join(dir, 'clip.mp4');
  await makeClip(clip, { seconds: 2, width: 160, height: 120 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('trace context across the queue, tracing on (API and worker export OTLP)', () => {
  let receiver: OtlpReceiver;
  let system: RunningSystem | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    system = await startSystem({
      db: 'mongodb',
      workers: 1,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Export finished spans within a fraction of a second, not the default 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  dumpLogsOnFailure(() => system);

  it("continues the submit's trace from the API's request span to every span and log line of the job", async () => {
    const { client } = system!;
    const caller = callerContext();
    const source = await client.upload('clip.mp4', clip);
    const jobId = await submitJob(
      client,
      { source, method_name: 'compress', params: { crf: 35 } },
      { traceparent: caller.traceparent, tracestate: 'mediaflow-test=1' },
    );
    const { final } = await waitForJob(client, jobId);
    expect(final.status).toBe('completed');

    const spans = await waitFor(
      "the job's spans to be exported",
      () => {
        const inTrace = receiver.spans().filter((span) => span.traceId === caller.traceId);
        // The job span ends last, after the job's final state is stored.
        return ['job publish', 'upload', 'job compress'].every((name) => inTrace.some((span) => span.name === name))
          ? inTrace
          : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const ancestorsOf = (span: ReceivedSpan): string[] => {
      const ids: string[] = [];
      for (let parent = span.parentSpanId; parent !== ''; parent = byId.get(parent)?.parentSpanId ?? '') {
        ids.push(parent);
      }
      return ids;
    };
    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((span) => span.name === name);
      expect(found).toHaveLength(1);
      return found[0];
    };

    // The API's HTTP server span is the caller's child; the publish descends from it.
    const server = spans.find((span) => span.kind === SPAN_KIND.server && span.parentSpanId === caller.spanId);
    expect(server).toMatchObject({ service: 'mediaflow-api' });
    const publish = one('job publish');
    expect(publish).toMatchObject({ service: 'mediaflow-api', kind: SPAN_KIND.producer });
    expect(ancestorsOf(publish)).toContain(server!.spanId);

    // The worker's job span is the child of the message's producer span, across Kafka.
    const job = one('job compress');
    expect(job).toMatchObject({ service: 'mediaflow-worker', kind: SPAN_KIND.consumer, parentSpanId: publish.spanId });
    expect(job.attributes).toMatchObject({ 'mediaflow.job.id': jobId, 'mediaflow.job.operation': 'compress' });
    for (const name of ['download', 'probe', 'verify', 'upload']) {
      expect(one(name)).toMatchObject({ service: 'mediaflow-worker', parentSpanId: job.spanId, statusCode: 0 });
    }
    expect(Number(one('download').attributes['mediaflow.bytes'])).toBeGreaterThan(0);
    const steps = spans.filter((span) => span.name.startsWith('step '));
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) expect(step.parentSpanId).toBe(job.spanId);
    expect(steps.some((step) => Number(step.attributes['ffmpeg.speed']) > 0)).toBe(true);

    // Every log line of the job names the trace; the runner's lines name the job span.
    const lines = jobLogLines(system!.workers[0].output(), jobId);
    expect(lines.map((line) => line.message)).toEqual(expect.arrayContaining(['job started', 'job completed']));
    for (const line of lines) expect(line).toMatchObject({ trace_id: caller.traceId });
    expect(lines.find((line) => line.message === 'job started')).toMatchObject({ span_id: job.spanId });
  });
});

describe('trace context across the queue, tracing off in the processes', () => {
  let system: RunningSystem | undefined;
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const logLines: string[] = [];
  let infrastructure: Infrastructure | undefined;
  let worker: Worker | undefined;

  beforeAll(async () => {
    // No worker process: the worker runs here, where an in-memory exporter sees its spans.
    system = await startSystem({ db: 'mongodb', workers: 0 });
    trace.setGlobalTracerProvider(provider);
    const config = loadConfig({ ...process.env, ...system.env, WORKER_ID: `in-process-${randomUUID().slice(0, 8)}` });
    const logger: Logger = winston.createLogger({
      level: 'info',
      format: winston.format.json(),
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _encoding, callback) {
              logLines.push(chunk.toString('utf8'));
              callback();
            },
          }),
        }),
      ],
    });
    infrastructure = await createInfrastructure(config, logger);
    worker = new Worker({
      infrastructure,
      config,
      logger,
      onFatal: (error) => {
        throw error;
      },
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop();
    await infrastructure?.close();
    await provider.shutdown();
    trace.disable();
    await system?.stop();
  });

  dumpLogsOnFailure(() => system);

  it("makes the worker's job span a child of the submitted span, and its log lines carry the trace id", async () => {
    const { client } = system!;
    const caller = callerContext();
    const source = await client.upload('clip.mp4', clip);
    const jobId = await submitJob(
      client,
      { source, method_name: 'compress', params: { crf: 35 } },
      { traceparent: caller.traceparent },
    );
    const { final } = await waitForJob(client, jobId);
    expect(final.status).toBe('completed');

    const spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === caller.traceId);
    const named = (name: string): ReadableSpan[] => spans.filter((span) => span.name === name);
    expect(named('job compress')).toHaveLength(1);
    const job = named('job compress')[0];
    // The API records no span of its own: the message carried the caller's context unchanged.
    expect(job.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(job.attributes['mediaflow.job.id']).toBe(jobId);
    for (const name of ['download', 'probe', 'verify', 'upload']) {
      expect(named(name).map((span) => span.parentSpanContext?.spanId)).toEqual([job.spanContext().spanId]);
    }
    expect(spans.filter((span) => span.name.startsWith('step ')).length).toBeGreaterThan(0);

    const lines = logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.jobId === jobId);
    expect(lines.map((line) => line.message)).toEqual(expect.arrayContaining(['job started', 'job completed']));
    for (const line of lines) expect(line).toMatchObject({ trace_id: caller.traceId });
    expect(lines.find((line) => line.message === 'job started')).toMatchObject({
      span_id: job.spanContext().spanId,
    });
  });

  it("puts the trace id on a worker process's log lines with no SDK at all", async () => {
    // Hand the group over to a real worker process, started without any OTEL_* setting.
    await worker?.stop();
    worker = undefined;
    const process = await system!.startWorker('worker1');
    const { client } = system!;
    const caller = callerContext();
    const source = await client.upload('clip.mp4', clip);
    const jobId = await submitJob(
      client,
      { source, method_name: 'compress', params: { crf: 35 } },
      { traceparent: caller.traceparent },
    );
    const { final } = await waitForJob(client, jobId);
    expect(final.status).toBe('completed');

    const lines = jobLogLines(process.output(), jobId);
    expect(lines.map((line) => line.message)).toEqual(expect.arrayContaining(['job started', 'job completed']));
    for (const line of lines) {
      expect(line).toMatchObject({ trace_id: caller.traceId });
      // Nothing is recorded, so no line claims a span of its own.
      expect(line).not.toHaveProperty('span_id');
    }
  });
});

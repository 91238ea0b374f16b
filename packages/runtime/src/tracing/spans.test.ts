import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { AppError } from '@mediaflow/domain';
import { inTraceScope, requestTraceCarrier } from './spans';
import type { TraceScope } from './spans';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const SUBMIT = { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, tracestate: 'vendor=1' };

describe('trace scopes with tracing off (no SDK registered)', () => {
  it('continue the carried trace: its id in the log fields, the carrier passed on unchanged', async () => {
    const seen = await inTraceScope('job compress', { parent: SUBMIT, kind: 'consumer' }, async (scope) =>
      scope.child('download', {}, async (child) => Promise.resolve({ scope, child })),
    );
    // No span is recorded, so there is no span id of our own to log.
    expect(seen.scope.logFields).toEqual({ trace_id: TRACE_ID });
    expect(seen.child.logFields).toEqual({ trace_id: TRACE_ID });
    expect(seen.scope.carrier()).toEqual(SUBMIT);
    expect(seen.child.carrier()).toEqual(SUBMIT);
  });

  it('carry nothing when there is no trace to continue', async () => {
    const scope = await inTraceScope('job compress', {}, async (s) => Promise.resolve(s));
    expect(scope.logFields).toEqual({});
    expect(scope.carrier()).toBeUndefined();
  });

  it('take a request traceparent header when no span is active', () => {
    expect(requestTraceCarrier({ traceparent: SUBMIT.traceparent, tracestate: SUBMIT.tracestate })).toEqual(SUBMIT);
    expect(requestTraceCarrier({ traceparent: 'garbage' })).toBeUndefined();
    expect(requestTraceCarrier({})).toBeUndefined();
  });

  it('pass errors through', async () => {
    await expect(inTraceScope('x', {}, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});

describe('trace scopes with an SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(() => exporter.reset());

  it('record a span that is a child of the carried context, and children of it', async () => {
    let job: TraceScope | undefined;
    let step: TraceScope | undefined;
    await inTraceScope(
      'job compress',
      { parent: SUBMIT, kind: 'consumer', attributes: { 'mediaflow.job.id': 'j1' } },
      async (scope) => {
        job = scope;
        await scope.child('step encode', { 'mediaflow.step.kind': 'ffmpeg' }, async (child) => {
          step = child;
          child.setAttributes({ 'ffmpeg.speed': 3.5 });
          return Promise.resolve();
        });
      },
    );
    const spans = exporter.getFinishedSpans();
    const jobSpan = spans.find((span) => span.name === 'job compress')!;
    const stepSpan = spans.find((span) => span.name === 'step encode')!;
    expect(jobSpan.kind).toBe(SpanKind.CONSUMER);
    expect(jobSpan.spanContext().traceId).toBe(TRACE_ID);
    expect(jobSpan.parentSpanContext?.spanId).toBe(SPAN_ID);
    expect(jobSpan.attributes['mediaflow.job.id']).toBe('j1');
    expect(stepSpan.spanContext().traceId).toBe(TRACE_ID);
    expect(stepSpan.parentSpanContext?.spanId).toBe(jobSpan.spanContext().spanId);
    expect(stepSpan.attributes).toMatchObject({ 'mediaflow.step.kind': 'ffmpeg', 'ffmpeg.speed': 3.5 });

    // Log lines name the span they were written in.
    expect(job!.logFields).toEqual({ trace_id: TRACE_ID, span_id: jobSpan.spanContext().spanId });
    expect(step!.logFields).toEqual({ trace_id: TRACE_ID, span_id: stepSpan.spanContext().spanId });
    // Work sent elsewhere on the job's behalf is a child of the job span, tracestate kept.
    expect(job!.carrier()).toEqual({
      traceparent: `00-${TRACE_ID}-${jobSpan.spanContext().spanId}-01`,
      tracestate: 'vendor=1',
    });
  });

  it('mark a failed span with the error code, and one whose work recorded a failure', async () => {
    await expect(
      inTraceScope('download', {}, async () => Promise.reject(new AppError('SOURCE_NOT_FOUND', 'gone'))),
    ).rejects.toThrow('gone');
    await inTraceScope('job', { parent: SUBMIT }, async (scope) => {
      scope.recordFailure(new AppError('FFMPEG_FAILED', 'exit 1'));
      return Promise.resolve();
    });
    const [download, job] = exporter.getFinishedSpans();
    expect(download.status).toEqual({ code: SpanStatusCode.ERROR, message: 'gone' });
    expect(download.attributes['error.type']).toBe('SOURCE_NOT_FOUND');
    expect(job.status.code).toBe(SpanStatusCode.ERROR);
    expect(job.attributes['error.type']).toBe('FFMPEG_FAILED');
  });

  it('start a new trace when there is nothing to continue', async () => {
    const scope = await inTraceScope('job', {}, async (s) => Promise.resolve(s));
    const [span] = exporter.getFinishedSpans();
    expect(span.parentSpanContext).toBeUndefined();
    expect(scope.logFields.trace_id).toBe(span.spanContext().traceId);
  });
});

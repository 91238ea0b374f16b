import type { IncomingHttpHeaders } from 'node:http';
import {
  context,
  createTraceState,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext } from '@opentelemetry/api';
import { errorMessage, formatTraceparent, isAppError, parseTraceparent, traceCarrierOf } from '@mediaflow/domain';
import type { TraceCarrier } from '@mediaflow/domain';

/**
 * The tracing port the API and the worker use: spans that continue a W3C
 * trace context carried with a job. Only @opentelemetry/api is used, whose
 * calls are no-ops until an SDK registers itself (bootstrap.ts): with
 * tracing off a scope still knows the trace it continues, so log lines and
 * queue messages carry the submitter's trace id, but nothing is recorded.
 */

export type SpanAttributes = Attributes;

/** `trace_id` and, when a span is being recorded, `span_id`: the fields log lines carry. */
export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
}

/** A traced unit of work: a span with tracing on, the continued context without. */
export interface TraceScope {
  /** For log lines. Empty when the work continues no trace and none is recorded. */
  readonly logFields: TraceLogFields;
  /** This scope as the parent of work done elsewhere (a queue message's headers); undefined without a trace. */
  carrier(): TraceCarrier | undefined;
  setAttributes(attributes: SpanAttributes): void;
  /** Marks the scope failed with the error's code, for work that handles its own errors (a job that failed). */
  recordFailure(error: unknown): void;
  /**
   * Runs `work` in a child scope, which ends when `work` settles. A rejection
   * marks the child failed (with the error's code) and passes through.
   */
  child<T>(name: string, attributes: SpanAttributes, work: (scope: TraceScope) => Promise<T>): Promise<T>;
}

export interface TraceScopeOptions {
  /** The context to continue: a job's carried headers. Absent: the active context (an HTTP request's span). */
  parent?: TraceCarrier;
  /** consumer for the worker's job span (the Kafka hop), producer for the API's publish. Default internal. */
  kind?: 'internal' | 'producer' | 'consumer';
  attributes?: SpanAttributes;
}

const TRACER_NAME = 'mediaflow';
const KINDS = { internal: SpanKind.INTERNAL, producer: SpanKind.PRODUCER, consumer: SpanKind.CONSUMER } as const;

/**
 * Runs `work` in a new scope: a span named `name`, a child of the given
 * carrier (or of the active span), ended when `work` settles.
 *
 * @throws whatever `work` throws, after recording it on the span.
 */
export async function inTraceScope<T>(
  name: string,
  options: TraceScopeOptions,
  work: (scope: TraceScope) => Promise<T>,
): Promise<T> {
  const parent = options.parent === undefined ? context.active() : contextOf(options.parent);
  return runScope(name, parent, KINDS[options.kind ?? 'internal'], options.attributes ?? {}, work);
}

/**
 * The trace context a job submitted by this request continues: the active
 * span (the HTTP server span, when tracing is on), else the request's own
 * `traceparent`/`tracestate` headers, else none.
 */
export function requestTraceCarrier(headers: IncomingHttpHeaders): TraceCarrier | undefined {
  const active = trace.getSpanContext(context.active());
  if (active && isSpanContextValid(active)) return carrierOf(active);
  return traceCarrierOf(headers.traceparent, headers.tracestate);
}

/** The OpenTelemetry context whose (remote) parent span is the carrier's; ROOT_CONTEXT for none or a malformed one. */
export function contextOf(carrier: TraceCarrier | undefined): Context {
  const parent = parseTraceparent(carrier?.traceparent);
  if (!parent) return ROOT_CONTEXT;
  const spanContext: SpanContext = {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.flags,
    isRemote: true,
    ...(carrier?.tracestate === undefined ? {} : { traceState: createTraceState(carrier.tracestate) }),
  };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

function carrierOf(spanContext: SpanContext): TraceCarrier {
  const state = spanContext.traceState?.serialize();
  return {
    traceparent: formatTraceparent({
      traceId: spanContext.traceId,
      spanId: spanContext.spanId,
      flags: spanContext.traceFlags,
    }),
    ...(state ? { tracestate: state } : {}),
  };
}

async function runScope<T>(
  name: string,
  parent: Context,
  kind: SpanKind,
  attributes: SpanAttributes,
  work: (scope: TraceScope) => Promise<T>,
): Promise<T> {
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind, attributes }, parent);
  const active = trace.setSpan(parent, span);
  try {
    // With an SDK, whatever `work` calls (S3 over HTTP, say) nests under this span.
    return await context.with(active, async () => work(new SpanScope(span, active)));
  } catch (error) {
    markFailed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

class SpanScope implements TraceScope {
  readonly logFields: TraceLogFields;

  constructor(
    private readonly span: Span,
    private readonly active: Context,
  ) {
    // Without an SDK the span is the parent's context, not recording: its
    // span id is the submitter's, which would mislabel this work's lines.
    const ids = span.spanContext();
    this.logFields = isSpanContextValid(ids)
      ? { trace_id: ids.traceId, ...(span.isRecording() ? { span_id: ids.spanId } : {}) }
      : {};
  }

  carrier(): TraceCarrier | undefined {
    const ids = this.span.spanContext();
    return isSpanContextValid(ids) ? carrierOf(ids) : undefined;
  }

  setAttributes(attributes: SpanAttributes): void {
    this.span.setAttributes(attributes);
  }

  recordFailure(error: unknown): void {
    markFailed(this.span, error);
  }

  async child<T>(name: string, attributes: SpanAttributes, work: (scope: TraceScope) => Promise<T>): Promise<T> {
    return runScope(name, this.active, SpanKind.INTERNAL, attributes, work);
  }
}

function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) });
  span.setAttribute('error.type', isAppError(error) ? error.code : error instanceof Error ? error.name : 'unknown');
}

import { traceCarrierOf } from '@mediaflow/domain';
import type { JobMessage } from './job-queue';

/** Kafka message headers as kafkajs hands them over (values are Buffers when read back). */
export type MessageHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export function encodeJobMessage(message: JobMessage): string {
  return JSON.stringify({ job_id: message.job_id });
}

/**
 * The headers a job message is sent with: its trace context as W3C
 * `traceparent`/`tracestate`, set per message (messages batched into one
 * send each keep their own submit's context). Empty without a context.
 */
export function jobMessageHeaders(message: JobMessage): Record<string, string> {
  if (!message.trace) return {};
  return {
    traceparent: message.trace.traceparent,
    ...(message.trace.tracestate === undefined ? {} : { tracestate: message.trace.tracestate }),
  };
}

/**
 * Undefined for anything that is not a job message: such a message is
 * poison. A malformed or missing `traceparent` header only loses the trace
 * context; the job still runs.
 */
export function decodeJobMessage(
  value: Buffer | string | null | undefined,
  headers?: MessageHeaders,
): JobMessage | undefined {
  if (value === null || value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || !('job_id' in parsed)) return undefined;
  const { job_id: jobId } = parsed;
  if (typeof jobId !== 'string' || jobId === '') return undefined;
  const trace = headers && traceCarrierOf(headers.traceparent, headers.tracestate);
  return trace ? { job_id: jobId, trace } : { job_id: jobId };
}

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as a job carries
 * it from the request that submitted it, through the queue, to the worker
 * that runs it. Plain strings and pure functions: the queue, the job record
 * and the logs need no tracing library to carry or read it.
 */

/** The two W3C headers, as they travel in HTTP requests and in Kafka message headers. */
export interface TraceCarrier {
  /** `00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>`. */
  traceparent: string;
  /** Vendor-specific state, passed on unchanged. */
  tracestate?: string;
}

/** What a `traceparent` names. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the span the next one is a child of. */
  spanId: string;
  /** Bit 0 set: the caller sampled (records) this trace. */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;
/** The spec's limit on tracestate: 32 list members of at most 256 characters each, plus separators. */
const MAX_TRACESTATE_LENGTH = 512;

/**
 * Reads a `traceparent` header. Version 00 must be exactly four fields; a
 * later version may append fields, which are ignored as the spec says.
 * Returns undefined for anything malformed (a caller's bad header is dropped,
 * never an error), for the invalid version ff and for all-zero ids.
 */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  return { traceId, spanId, flags: Number.parseInt(flags, 16) };
}

/** Writes a version-00 `traceparent`. */
export function formatTraceparent(parent: TraceParent): string {
  const flags = (parent.flags & 0xff).toString(16).padStart(2, '0');
  return `00-${parent.traceId}-${parent.spanId}-${flags}`;
}

/**
 * The carrier for incoming header values: the traceparent re-written in
 * version 00 (so what we pass on is always well-formed), the tracestate kept
 * when it is plausible. Undefined when there is no valid traceparent.
 */
export function traceCarrierOf(traceparent: unknown, tracestate?: unknown): TraceCarrier | undefined {
  const parent = parseTraceparent(firstString(traceparent));
  if (!parent) return undefined;
  const state = firstString(tracestate)?.trim();
  return {
    traceparent: formatTraceparent(parent),
    ...(state && state.length <= MAX_TRACESTATE_LENGTH && isPrintableAscii(state) ? { tracestate: state } : {}),
  };
}

/** `trace_id` for log lines (and `span_id` when given), in the names log search tools expect. */
export function traceLogFields(carrier: TraceCarrier | undefined): { trace_id?: string; span_id?: string } {
  const parent = parseTraceparent(carrier?.traceparent);
  return parent ? { trace_id: parent.traceId, span_id: parent.spanId } : {};
}

/** Header values arrive as a string, a list of strings (repeated headers) or a Buffer (Kafka). */
function firstString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value) && value.length > 0) return firstString(value[0]);
  return undefined;
}

function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

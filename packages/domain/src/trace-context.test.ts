import { formatTraceparent, parseTraceparent, traceCarrierOf, traceLogFields } from './trace-context';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const HEADER = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('W3C traceparent', () => {
  it('parses a version-00 header and formats it back unchanged', () => {
    const parent = parseTraceparent(HEADER);
    expect(parent).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 1 });
    expect(formatTraceparent(parent!)).toBe(HEADER);
  });

  it('keeps the flags, sampled or not', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.flags).toBe(0);
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, flags: 0 })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`);
  });

  it('reads a later version by its first four fields, as the spec asks', () => {
    expect(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-whatever`)).toEqual({
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      flags: 1,
    });
  });

  it.each([
    ['nothing', undefined],
    ['empty', ''],
    ['upper-case hex', HEADER.toUpperCase()],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['an all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['version 00 with a fifth field', `${HEADER}-extra`],
    ['a short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['garbage', 'not a traceparent'],
  ])('refuses %s', (_what, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });
});

describe('traceCarrierOf', () => {
  it('takes header values as strings, lists or Buffers', () => {
    expect(traceCarrierOf(HEADER)).toEqual({ traceparent: HEADER });
    expect(traceCarrierOf([HEADER, 'ignored'])).toEqual({ traceparent: HEADER });
    expect(traceCarrierOf(Buffer.from(HEADER), Buffer.from('vendor=1'))).toEqual({
      traceparent: HEADER,
      tracestate: 'vendor=1',
    });
  });

  it('re-writes a later version as version 00, so what is passed on is well-formed', () => {
    expect(traceCarrierOf(`01-${TRACE_ID}-${SPAN_ID}-01-more`)).toEqual({ traceparent: HEADER });
  });

  it('drops a tracestate that is too long or not printable, keeping the traceparent', () => {
    expect(traceCarrierOf(HEADER, 'a=1'.padEnd(600, 'x'))).toEqual({ traceparent: HEADER });
    expect(traceCarrierOf(HEADER, 'a=\u0000')).toEqual({ traceparent: HEADER });
  });

  it('is undefined without a valid traceparent, whatever the tracestate', () => {
    expect(traceCarrierOf(undefined, 'vendor=1')).toBeUndefined();
    expect(traceCarrierOf('00-bad', 'vendor=1')).toBeUndefined();
    expect(traceCarrierOf(42)).toBeUndefined();
  });
});

describe('traceLogFields', () => {
  it('names the trace and the parent span as log search tools expect', () => {
    expect(traceLogFields({ traceparent: HEADER })).toEqual({ trace_id: TRACE_ID, span_id: SPAN_ID });
  });

  it('is empty without a context', () => {
    expect(traceLogFields(undefined)).toEqual({});
    expect(traceLogFields({ traceparent: 'nonsense' })).toEqual({});
  });
});

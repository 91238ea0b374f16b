import { decodeJobMessage, encodeJobMessage, jobMessageHeaders } from './job-message-codec';

describe('job message codec', () => {
  it('round-trips a job id', () => {
    const encoded = encodeJobMessage({ job_id: 'abc-123' });
    expect(JSON.parse(encoded)).toEqual({ job_id: 'abc-123' });
    expect(decodeJobMessage(Buffer.from(encoded))).toEqual({ job_id: 'abc-123' });
  });

  it('keeps only the job id', () => {
    expect(decodeJobMessage('{"job_id":"x","extra":1}')).toEqual({ job_id: 'x' });
  });

  it('carries the trace context in headers, not in the value', () => {
    const trace = { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, tracestate: 'vendor=1' };
    expect(JSON.parse(encodeJobMessage({ job_id: 'x', trace }))).toEqual({ job_id: 'x' });
    const headers = jobMessageHeaders({ job_id: 'x', trace });
    expect(headers).toEqual(trace);
    // Read back, kafkajs hands header values over as Buffers.
    const received = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));
    expect(decodeJobMessage(encodeJobMessage({ job_id: 'x' }), received)).toEqual({ job_id: 'x', trace });
  });

  it('sends no headers without a trace context, and reads a message without them', () => {
    expect(jobMessageHeaders({ job_id: 'x' })).toEqual({});
    expect(decodeJobMessage('{"job_id":"x"}', {})).toEqual({ job_id: 'x' });
  });

  it('still delivers the job when its traceparent header is malformed', () => {
    expect(decodeJobMessage('{"job_id":"x"}', { traceparent: Buffer.from('garbage') })).toEqual({ job_id: 'x' });
  });

  it.each([null, undefined, '', 'not json', '[]', '"x"', '{}', '{"job_id":""}', '{"job_id":42}', 'null'])(
    'refuses %p',
    (value) => {
      expect(decodeJobMessage(value)).toBeUndefined();
    },
  );
});

import { decodeJobMessage, encodeJobMessage } from './job-message-codec';

describe('job message codec', () => {
  it('round-trips a job id', () => {
    const encoded = encodeJobMessage({ job_id: 'abc-123' });
    expect(JSON.parse(encoded)).toEqual({ job_id: 'abc-123' });
    expect(decodeJobMessage(Buffer.from(encoded))).toEqual({ job_id: 'abc-123' });
  });

  it('keeps only the job id', () => {
    expect(decodeJobMessage('{"job_id":"x","extra":1}')).toEqual({ job_id: 'x' });
  });

  it.each([null, undefined, '', 'not json', '[]', '"x"', '{}', '{"job_id":""}', '{"job_id":42}', 'null'])(
    'refuses %p',
    (value) => {
      expect(decodeJobMessage(value)).toBeUndefined();
    },
  );
});

import { AppError, ErrorCodes, toErrorBody } from './errors';
import { redactSecrets } from './logging';

describe('error rendering', () => {
  it('renders an AppError with its code, status and details', () => {
    const error = new AppError('INVALID_SOURCE', 'bad source', { details: { field: 'source' } });
    expect(toErrorBody(error)).toEqual({
      status: 400,
      body: { error: { code: 'INVALID_SOURCE', message: 'bad source', details: { field: 'source' } } },
    });
  });

  it('hides everything about an unknown error', () => {
    const rendered = toErrorBody(new TypeError('cannot read properties of undefined (secret internals)'));
    expect(rendered).toEqual({ status: 500, body: { error: { code: 'INTERNAL', message: 'Internal server error' } } });
  });

  it('gives every code a status in the 4xx/5xx range', () => {
    for (const [code, meta] of Object.entries(ErrorCodes)) {
      expect({ code, ok: meta.status >= 400 && meta.status < 600 }).toEqual({ code, ok: true });
    }
  });

  it('marks dependency outages as retryable and client errors as not', () => {
    expect(new AppError('STORAGE_ERROR', 'x').retryable).toBe(true);
    expect(new AppError('NOT_MEDIA', 'x').retryable).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('removes presigned URL signatures and bearer tokens', () => {
    const line =
      'GET https://s3/x?X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=abcdef123 Authorization: Bearer sk_live.abc-123';
    const redacted = redactSecrets(line);
    expect(redacted).not.toMatch(/abcdef123|AKIA|sk_live/);
    expect(redacted).toContain('X-Amz-Signature=[redacted]');
  });
});

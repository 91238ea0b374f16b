import {
  ApiError,
  CliError,
  ExitCode,
  InterruptedError,
  NetworkError,
  UsageError,
  errorCodeOf,
  exitCodeForError,
  exitCodeForJobStatus,
  exitCodeForStatus,
} from './exit-codes';

describe('exit codes', () => {
  it.each([
    [400, ExitCode.API_REFUSED],
    [401, ExitCode.API_REFUSED],
    [404, ExitCode.API_REFUSED],
    [409, ExitCode.API_REFUSED],
    [429, ExitCode.API_REFUSED],
    [500, ExitCode.UNAVAILABLE],
    [502, ExitCode.UNAVAILABLE],
    [503, ExitCode.UNAVAILABLE],
  ])('maps HTTP %i to %i', (status, code) => {
    expect(exitCodeForStatus(status)).toBe(code);
    expect(new ApiError(status, 'X', 'x').exitCode).toBe(code);
  });

  it('maps terminal job statuses, and none for running ones', () => {
    expect(exitCodeForJobStatus('completed')).toBe(0);
    expect(exitCodeForJobStatus('failed')).toBe(1);
    expect(exitCodeForJobStatus('cancelled')).toBe(5);
    expect(exitCodeForJobStatus('processing')).toBeUndefined();
    expect(exitCodeForJobStatus('queued')).toBeUndefined();
  });

  it('maps every kind of error, keeping the machine-readable code', () => {
    const cases: [unknown, number, string][] = [
      [new UsageError('bad'), 2, 'USAGE'],
      [new ApiError(400, 'UNKNOWN_OPERATION', 'no'), 3, 'UNKNOWN_OPERATION'],
      [new NetworkError('down', 'ECONNREFUSED'), 4, 'ECONNREFUSED'],
      [new InterruptedError(), 130, 'INTERRUPTED'],
      [new CliError(ExitCode.JOB_FAILED, 'NO_VIDEO_STREAM', 'no video'), 1, 'NO_VIDEO_STREAM'],
      [Object.assign(new Error('denied'), { code: 'EACCES' }), 6, 'EACCES'],
      [new Error('bug'), 6, 'INTERNAL'],
      ['thrown string', 6, 'INTERNAL'],
    ];
    for (const [error, exitCode, code] of cases) {
      expect([exitCodeForError(error), errorCodeOf(error)]).toEqual([exitCode, code]);
    }
  });
});

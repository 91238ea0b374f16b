import { ExitCode, UsageError } from './exit-codes';
import { DEFAULT_URL, parseInvocation, resolveGlobalOptions } from './program';
import type { Invocation } from './program';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): { invocation: Invocation; out: string; err: string } {
  let out = '';
  let err = '';
  const invocation = parseInvocation(argv, {
    env,
    writeOut: (text) => (out += text),
    writeErr: (text) => (err += text),
  });
  return { invocation, out, err };
}

function usageError(argv: string[]): UsageError {
  try {
    parse(argv);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error(`expected a usage error for ${argv.join(' ')}`);
}

describe('parseInvocation', () => {
  it('reads process with repeated params, format, output and flags', () => {
    const { invocation } = parse([
      'process',
      'in.mov',
      '--op',
      'compress',
      '--param',
      'crf=23',
      '-p',
      'preset=slow',
      '--format',
      'mp4',
      '-o',
      'out.mp4',
      '--cancel-on-interrupt',
    ]);
    expect(invocation).toEqual({
      command: 'process',
      files: ['in.mov'],
      work: { kind: 'operation', operation: 'compress', params: { crf: '23', preset: 'slow' }, format: 'mp4' },
      out: 'out.mp4',
      cancelOnInterrupt: true,
      wait: true,
      pollIntervalMs: 1000,
      multipartThresholdBytes: 64 * 1024 * 1024,
      global: { url: DEFAULT_URL, apiKey: undefined, json: false, quiet: false },
    });
  });

  it('defaults process to waiting, no params and no cancel on Ctrl-C', () => {
    const { invocation } = parse([
      'process',
      'a.mp4',
      '--op',
      'grayscale',
      '--no-wait',
      '--poll-interval',
      '250',
      '--multipart-threshold',
      '0',
    ]);
    expect(invocation).toMatchObject({
      work: { kind: 'operation', operation: 'grayscale', params: {} },
      cancelOnInterrupt: false,
      wait: false,
      pollIntervalMs: 250,
      multipartThresholdBytes: 0,
    });
  });

  it('reads several files with a preset, and steps with their formats and params', () => {
    expect(
      parse(['process', 'part-1.webm', 'part-2.webm', '--preset', 'meeting_recording', '-p', 'language=en']).invocation,
    ).toMatchObject({
      files: ['part-1.webm', 'part-2.webm'],
      work: { kind: 'preset', preset: 'meeting_recording', params: { language: 'en' } },
    });
    expect(
      parse(['process', 'a.webm', 'b.webm', '--step', 'concat', '--step', 'transcribe:mp4  language=en model=tiny.en'])
        .invocation,
    ).toMatchObject({
      files: ['a.webm', 'b.webm'],
      work: {
        kind: 'steps',
        steps: [
          { operation: 'concat', format: undefined, params: {} },
          { operation: 'transcribe', format: 'mp4', params: { language: 'en', model: 'tiny.en' } },
        ],
      },
    });
    expect(parse(['process', 'a.mp4', '--step', 'adaptive_stream renditions=720,360']).invocation).toMatchObject({
      work: { kind: 'steps', steps: [{ operation: 'adaptive_stream', params: { renditions: '720,360' } }] },
    });
  });

  it('wants exactly one of --op, --preset and --step, and step params inside the step', () => {
    expect(usageError(['process', 'a.mp4']).message).toContain('--op <operation>, --preset <name> or --step');
    expect(usageError(['process', 'a.mp4', '--op', 'compress', '--preset', 'meeting_recording']).message).toBe(
      '--op and --preset cannot be used together',
    );
    expect(usageError(['process', 'a.mp4', '--step', 'compress', '-p', 'crf=20']).message).toContain(
      'inside each step',
    );
    expect(usageError(['process', 'a.mp4', '--step', 'compress:']).message).toContain('--step takes');
    expect(usageError(['process', 'a.mp4', '--step', 'compress crf']).message).toBe(
      '--step "compress crf": params are key=value, got "crf"',
    );
    expect(usageError(['process', 'a.mp4', '--preset', 'meeting_recording', '--format', 'mkv']).message).toContain(
      'preset chooses',
    );
  });

  it('takes global options before or after the command, flags over the environment', () => {
    const env = { MEDIAFLOW_URL: 'http://api.example:9000', MEDIAFLOW_API_KEY: 'from-env' };
    expect(parse(['status', 'job-1'], env).invocation).toEqual({
      command: 'status',
      jobId: 'job-1',
      global: { url: 'http://api.example:9000', apiKey: 'from-env', json: false, quiet: false },
    });
    expect(
      parse(['--json', 'status', 'job-1', '--url', 'https://other/', '--api-key', 'flag'], env).invocation,
    ).toEqual({
      command: 'status',
      jobId: 'job-1',
      global: { url: 'https://other/', apiKey: 'flag', json: true, quiet: false },
    });
  });

  it('reads jobs ls filters and paging', () => {
    const { invocation } = parse([
      'jobs',
      'ls',
      '--status',
      'failed',
      '--op',
      'compress',
      '--created-after',
      '2026-01-01',
      '--limit',
      '50',
      '--skip',
      '0',
      '--all',
    ]);
    expect(invocation).toMatchObject({
      command: 'jobs-ls',
      status: 'failed',
      operation: 'compress',
      createdAfter: '2026-01-01',
      createdBefore: undefined,
      limit: 50,
      skip: 0,
      cursor: undefined,
      all: true,
    });
    expect(parse(['jobs', 'list']).invocation).toMatchObject({ command: 'jobs-ls', all: false, limit: undefined });
  });

  it('reads download with a path and an output kind, and the job commands', () => {
    expect(parse(['download', 'j', '-o', 'dir/', '--output', 'log']).invocation).toMatchObject({
      command: 'download',
      jobId: 'j',
      out: 'dir/',
      output: 'log',
    });
    for (const command of ['cancel', 'retry', 'logs'] as const) {
      expect(parse([command, 'j']).invocation).toMatchObject({ command, jobId: 'j' });
    }
  });

  it('prints help and version as success', () => {
    const help = parse(['--help']);
    expect(help.invocation).toEqual({ command: 'printed', exitCode: ExitCode.OK });
    expect(help.out).toContain('Usage: mediaflow');
    expect(parse(['--version']).invocation).toEqual({ command: 'printed', exitCode: ExitCode.OK });
  });

  it.each([
    [['process', 'a.mp4'], /--op/],
    [['process', '--op', 'compress'], /missing required argument/],
    [['process', 'a.mp4', '--op', 'compress', '--param', 'crf'], /key=value/],
    [['process', 'a.mp4', '--op', 'compress', '--param', '=1'], /key=value/],
    [['process', 'a.mp4', '--op', 'compress', '--bogus'], /unknown option/],
    [['jobs', 'ls', '--limit', '0'], /--limit/],
    [['jobs', 'ls', '--status', 'done'], /Allowed choices/],
    [['explode'], /unknown command/],
    [[], /./],
    [['status', 'j', '--url', 'ftp://x'], /http\(s\) URL/],
  ])('refuses %j as a usage error (exit 2)', (argv, message) => {
    const error = usageError(argv);
    expect(error.exitCode).toBe(ExitCode.USAGE);
    expect(error.message).toMatch(message);
  });
});

describe('resolveGlobalOptions', () => {
  it('falls back to the npm start address and ignores empty variables', () => {
    expect(resolveGlobalOptions({}, { MEDIAFLOW_URL: '', MEDIAFLOW_API_KEY: '' })).toEqual({
      url: 'http://127.0.0.1:8000',
      apiKey: undefined,
      json: false,
      quiet: false,
    });
  });
});

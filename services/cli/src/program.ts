import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ExitCode, UsageError } from './exit-codes';
import { parseParamArgs } from './params';

/** Where `npm start` listens (PORT defaults to 8000). */
export const DEFAULT_URL = 'http://127.0.0.1:8000';
export const DEFAULT_POLL_INTERVAL_MS = 1000;
export const DEFAULT_MULTIPART_THRESHOLD_MIB = 64;

/** Options every command takes, after flags and environment are combined. */
export interface GlobalOptions {
  url: string;
  apiKey: string | undefined;
  json: boolean;
  quiet: boolean;
}

/** One step of a multi-step job as `--step` gave it: `operation[:format] [key=value …]`. */
export interface StepArg {
  operation: string;
  format: string | undefined;
  /** Strings by key; typed later against the operation's schema. */
  params: Record<string, string>;
}

/** What a `process` job runs: one operation (`--op`), a preset (`--preset`), or steps (`--step` …). */
export type ProcessWork =
  | { kind: 'operation'; operation: string; params: Record<string, string>; format: string | undefined }
  | { kind: 'preset'; preset: string; params: Record<string, string> }
  | { kind: 'steps'; steps: StepArg[] };

export interface ProcessInvocation {
  command: 'process';
  /** One file is the job's `source`; several are its `sources`, in this order. */
  files: string[];
  work: ProcessWork;
  out: string | undefined;
  cancelOnInterrupt: boolean;
  wait: boolean;
  pollIntervalMs: number;
  /** Files at least this large go through the multipart route; smaller ones in one streamed PUT. */
  multipartThresholdBytes: number;
}

export interface ListInvocation {
  command: 'jobs-ls';
  status: string | undefined;
  operation: string | undefined;
  createdAfter: string | undefined;
  createdBefore: string | undefined;
  limit: number | undefined;
  skip: number | undefined;
  cursor: string | undefined;
  all: boolean;
}

export interface JobInvocation {
  command: 'status' | 'cancel' | 'retry' | 'logs';
  jobId: string;
}

export interface DownloadInvocation {
  command: 'download';
  jobId: string;
  out: string | undefined;
  /** The output kind (`video`, `log`, `srt`, …); the primary output when undefined. */
  output: string | undefined;
}

/** Help or version was printed: nothing else to do. */
export interface PrintedInvocation {
  command: 'printed';
  exitCode: ExitCode;
}

export type CommandInvocation = ProcessInvocation | ListInvocation | JobInvocation | DownloadInvocation;
export type Invocation = (CommandInvocation & { global: GlobalOptions }) | PrintedInvocation;

export interface ParseContext {
  env: NodeJS.ProcessEnv;
  /** Help and version text (stdout). */
  writeOut: (text: string) => void;
  /** Commander's error messages (stderr). */
  writeErr: (text: string) => void;
}

function positiveInteger(name: string, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < 1 || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    }
    return parsed;
  };
}

function nonNegativeInteger(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * One `--step` value: `operation[:format]`, then `key=value` params separated
 * by spaces (a value may hold commas, e.g. `renditions=720,360`).
 * @throws UsageError for an empty operation or a malformed param.
 */
export function parseStepArg(value: string): StepArg {
  const [head = '', ...rest] = value.trim().split(/\s+/);
  const colon = head.indexOf(':');
  const operation = colon < 0 ? head : head.slice(0, colon);
  const format = colon < 0 ? undefined : head.slice(colon + 1);
  if (operation === '' || format === '') {
    throw new UsageError(`--step takes "operation[:format] [key=value …]", got "${value}"`);
  }
  const bad = rest.find((param) => !/^[^=]+=/.test(param));
  if (bad !== undefined) {
    throw new UsageError(`--step "${value}": params are key=value, got "${bad}"`);
  }
  return { operation, format, params: parseParamArgs(rest) };
}

/**
 * Exactly one of --op, --preset and --step says what runs.
 * @throws UsageError naming the clash, or asking for one.
 */
function processWork(options: {
  op?: string;
  preset?: string;
  step: string[];
  param: string[];
  format?: string;
}): ProcessWork {
  const given = [options.op && '--op', options.preset && '--preset', options.step.length > 0 && '--step'].filter(
    (flag): flag is string => typeof flag === 'string',
  );
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? 'say what to run: --op <operation>, --preset <name> or --step <operation> (repeated)'
        : `${given.join(' and ')} cannot be used together`,
    );
  }
  if (options.step.length > 0) {
    if (options.param.length > 0 || options.format !== undefined) {
      throw new UsageError('with --step, give params and format inside each step: --step "compress:mp4 crf=23"');
    }
    return { kind: 'steps', steps: options.step.map(parseStepArg) };
  }
  if (options.preset) {
    if (options.format !== undefined) throw new UsageError('a preset chooses its own output format');
    return { kind: 'preset', preset: options.preset, params: parseParamArgs(options.param) };
  }
  return {
    kind: 'operation',
    operation: options.op ?? '',
    params: parseParamArgs(options.param),
    format: options.format,
  };
}

const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'cancelled'];

/** Flags win over the environment (MEDIAFLOW_URL, MEDIAFLOW_API_KEY), which wins over the defaults. */
export function resolveGlobalOptions(
  flags: { url?: string; apiKey?: string; json?: boolean; quiet?: boolean },
  env: NodeJS.ProcessEnv,
): GlobalOptions {
  const url = flags.url ?? (env.MEDIAFLOW_URL || undefined) ?? DEFAULT_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  }
  return {
    url,
    apiKey: flags.apiKey ?? (env.MEDIAFLOW_API_KEY || undefined),
    json: flags.json === true,
    quiet: flags.quiet === true,
  };
}

/**
 * The commander program. Actions only record what was asked (`onParsed`);
 * running it is main's job, so parsing is testable without a server.
 */
function buildProgram(
  context: ParseContext,
  onParsed: (invocation: CommandInvocation, command: Command) => void,
): Command {
  const program = new Command('mediaflow')
    .description('Upload, process, watch and download mediaflow jobs.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: context.writeOut, writeErr: context.writeErr })
    .showSuggestionAfterError()
    .option('--url <url>', `API base URL (env MEDIAFLOW_URL; default ${DEFAULT_URL})`)
    .option('--api-key <key>', 'API key, sent as "Authorization: Bearer <key>" (env MEDIAFLOW_API_KEY)')
    .option('--json', 'print one JSON document on stdout (progress, if any, goes to stderr)')
    .option('-q, --quiet', 'no progress output');

  program
    .command('process')
    .description(
      'upload FILE (or several, joined in order), run an operation, a preset or steps on it, show its progress and download the result',
    )
    .argument('<files...>', 'the media file to upload; several become the job’s sources (e.g. recording chunks)')
    .option('--op <operation>', 'operation (method_name): compress, resize, grayscale, concat, …')
    .option('--preset <name>', 'a job preset, e.g. meeting_recording (params: language, model)')
    .option(
      '--step <"operation[:format] key=value …">',
      'a step of a multi-step job; repeat in order (e.g. --step concat --step "transcribe:mp4 language=en")',
      collect,
      [],
    )
    .option(
      '-p, --param <key=value>',
      'an operation or preset parameter; repeat for more (e.g. --param crf=23)',
      collect,
      [],
    )
    .option('--format <format>', 'output format (output_format), e.g. mp4, webm, mp3')
    .option('-o, --out <path>', 'where to save the result (a file, or a directory for the server’s name)')
    .option('--cancel-on-interrupt', 'Ctrl-C cancels the job (otherwise it keeps running and its id is printed)')
    .option('--no-wait', 'submit and print the job id without waiting for the result')
    .addOption(
      new Option('--poll-interval <ms>', 'milliseconds between status polls')
        .argParser(positiveInteger('--poll-interval', 60_000))
        .default(DEFAULT_POLL_INTERVAL_MS),
    )
    .addOption(
      new Option(
        '--multipart-threshold <MiB>',
        'files this large or larger upload in parallel, retried parts (0: always)',
      )
        .argParser(nonNegativeInteger)
        .default(DEFAULT_MULTIPART_THRESHOLD_MIB),
    )
    .action(
      (
        files: string[],
        options: {
          op?: string;
          preset?: string;
          step: string[];
          param: string[];
          format?: string;
          out?: string;
          cancelOnInterrupt?: boolean;
          wait: boolean;
          pollInterval: number;
          multipartThreshold: number;
        },
        command: Command,
      ) => {
        onParsed(
          {
            command: 'process',
            files,
            work: processWork(options),
            out: options.out,
            cancelOnInterrupt: options.cancelOnInterrupt === true,
            wait: options.wait,
            pollIntervalMs: options.pollInterval,
            multipartThresholdBytes: options.multipartThreshold * 1024 * 1024,
          },
          command,
        );
      },
    );

  const jobs = program.command('jobs').description('list jobs');
  jobs
    .command('ls')
    .alias('list')
    .description('list jobs, newest first')
    .addOption(new Option('--status <status>', 'only jobs in this status').choices(JOB_STATUSES))
    .option('--op <operation>', 'only jobs of this operation')
    .option('--created-after <instant>', 'only jobs created at or after this ISO 8601 date or date-time')
    .option('--created-before <instant>', 'only jobs created before this ISO 8601 date or date-time')
    .option('--limit <n>', 'jobs per page (1-100; the API’s default is 10)', positiveInteger('--limit', 100))
    .option('--skip <n>', 'jobs to skip (offset paging)', nonNegativeInteger)
    .option('--cursor <cursor>', 'the next_cursor of the previous page (deep paging)')
    .option('--all', 'follow the cursor through every page')
    .action(
      (
        options: {
          status?: string;
          op?: string;
          createdAfter?: string;
          createdBefore?: string;
          limit?: number;
          skip?: number;
          cursor?: string;
          all?: boolean;
        },
        command: Command,
      ) => {
        onParsed(
          {
            command: 'jobs-ls',
            status: options.status,
            operation: options.op,
            createdAfter: options.createdAfter,
            createdBefore: options.createdBefore,
            limit: options.limit,
            skip: options.skip,
            cursor: options.cursor,
            all: options.all === true,
          },
          command,
        );
      },
    );

  const jobCommands: [JobInvocation['command'], string][] = [
    ['status', 'show a job’s status, progress, error and outputs'],
    ['cancel', 'cancel a queued or running job'],
    ['retry', 'run a failed or cancelled job again'],
    ['logs', 'print a job’s FFmpeg log (also for failed and cancelled jobs)'],
  ];
  for (const [name, description] of jobCommands) {
    program
      .command(name)
      .description(description)
      .argument('<job-id>', 'the id `process` printed')
      .action((jobId: string, _options: unknown, command: Command) => {
        onParsed({ command: name, jobId }, command);
      });
  }

  program
    .command('download')
    .description('download a completed job’s output')
    .argument('<job-id>', 'the id `process` printed')
    .option('-o, --out <path>', 'where to save it (a file, a directory, or - for stdout); default: the server’s name')
    .option('--output <kind>', 'which output: video, audio, srt, vtt, json, log, … (default: the primary one)')
    .action((jobId: string, options: { out?: string; output?: string }, command: Command) => {
      onParsed({ command: 'download', jobId, out: options.out, output: options.output }, command);
    });

  return program;
}

/**
 * Parses a command line (without `node` and the script: `process.argv.slice(2)`).
 *
 * @throws UsageError (exit 2) for an unknown command or option, a missing
 *   argument, a bad value, `--param` or URL (`printed` when commander has
 *   already written the message).
 */
export function parseInvocation(argv: readonly string[], context: ParseContext): Invocation {
  let parsed: { invocation: CommandInvocation; command: Command } | undefined;
  const program = buildProgram(context, (invocation, command) => {
    parsed = { invocation, command };
  });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') {
        return { command: 'printed', exitCode: ExitCode.OK };
      }
      // Commander has already printed its message (and help, for a bare `mediaflow`).
      throw new UsageError(error.message.replace(/^error: /, ''), { printed: true });
    }
    throw error;
  }
  if (!parsed) {
    // `mediaflow` or `mediaflow jobs` alone: commander printed help and did not throw.
    throw new UsageError('a command is required (see --help)');
  }
  const flags = parsed.command.optsWithGlobals<{ url?: string; apiKey?: string; json?: boolean; quiet?: boolean }>();
  return { ...parsed.invocation, global: resolveGlobalOptions(flags, context.env) };
}

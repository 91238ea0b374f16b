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

export interface ProcessInvocation {
  command: 'process';
  file: string;
  operation: string;
  /** `--param` strings by key; typed later against the operation's schema. */
  params: Record<string, string>;
  format: string | undefined;
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
    .description('upload FILE, run an operation on it, show its progress and download the result')
    .argument('<file>', 'the media file to upload')
    .requiredOption('--op <operation>', 'operation (method_name): compress, resize, grayscale, …')
    .option('-p, --param <key=value>', 'an operation parameter; repeat for more (e.g. --param crf=23)', collect, [])
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
        file: string,
        options: {
          op: string;
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
            file,
            operation: options.op,
            params: parseParamArgs(options.param),
            format: options.format,
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

#!/usr/bin/env node
import { MediaflowClient } from './api-client';
import { downloadJob, showLogs } from './commands/download';
import { cancelJob, listJobs, retryJob, showStatus } from './commands/jobs';
import { processFile } from './commands/process';
import type { CommandContext } from './context';
import { ApiError, CliError, ExitCode, UsageError, errorCodeOf, exitCodeForError } from './exit-codes';
import type { CommandInvocation } from './program';
import { parseInvocation } from './program';
import { createReporter } from './progress';

async function dispatch(context: CommandContext, invocation: CommandInvocation): Promise<ExitCode> {
  switch (invocation.command) {
    case 'process':
      return processFile(context, invocation);
    case 'jobs-ls':
      return listJobs(context, invocation);
    case 'status':
      return showStatus(context, invocation);
    case 'cancel':
      return cancelJob(context, invocation);
    case 'retry':
      return retryJob(context, invocation);
    case 'logs':
      return showLogs(context, invocation);
    case 'download':
      return downloadJob(context, invocation);
  }
}

/**
 * An error for people on stderr (`error CODE: message`), and with --json also
 * as one document on stdout: `{"error": {code, message, status?, details?}, "exit_code"}`.
 */
function reportError(
  error: unknown,
  json: boolean,
  write: { stdout: (text: string) => void; stderr: (text: string) => void },
): void {
  const exitCode = exitCodeForError(error);
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof CliError ? error.details : undefined;
  const status = error instanceof ApiError ? error.status : undefined;
  if (!(error instanceof UsageError && error.printed)) {
    const detailText = details === undefined ? '' : `\n  details: ${JSON.stringify(details)}`;
    write.stderr(`mediaflow: error ${code}: ${message}${detailText}\n`);
  }
  // Not one of ours (a bug, a file system error): the stack is what a bug report needs.
  if (process.env.MEDIAFLOW_DEBUG && !(error instanceof CliError) && error instanceof Error && error.stack) {
    write.stderr(`${error.stack}\n`);
  }
  if (json) {
    const body = {
      code,
      message,
      ...(status === undefined ? {} : { status }),
      ...(details === undefined ? {} : { details }),
    };
    write.stdout(`${JSON.stringify({ error: body, exit_code: exitCode }, null, 2)}\n`);
  }
}

/**
 * Runs one command line and resolves with the exit status (see ExitCode).
 * The first Ctrl-C aborts the command gracefully (which may cancel the job);
 * a second one exits at once.
 */
export async function run(argv: readonly string[]): Promise<number> {
  const stdout = (text: string): void => {
    process.stdout.write(text);
  };
  const stderr = (text: string): void => {
    process.stderr.write(text);
  };
  const wantsJson = argv.includes('--json');
  let invocation;
  try {
    invocation = parseInvocation(argv, { env: process.env, writeOut: stdout, writeErr: stderr });
  } catch (error) {
    reportError(error, wantsJson, { stdout, stderr });
    return exitCodeForError(error);
  }
  if (invocation.command === 'printed') return invocation.exitCode;

  const interrupt = new AbortController();
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(ExitCode.INTERRUPTED);
    interrupt.abort();
  };
  process.on('SIGINT', onSigint);
  const reporter = createReporter({ quiet: invocation.global.quiet });
  const context: CommandContext = {
    client: new MediaflowClient({
      baseUrl: invocation.global.url,
      apiKey: invocation.global.apiKey,
      signal: interrupt.signal,
    }),
    global: invocation.global,
    reporter,
    signal: interrupt.signal,
    stdout,
    stderr,
  };
  try {
    return await dispatch(context, invocation);
  } catch (error) {
    reporter.stop();
    reportError(error, invocation.global.json, { stdout, stderr });
    return exitCodeForError(error);
  } finally {
    reporter.stop();
    process.off('SIGINT', onSigint);
  }
}

/** Runs `process.argv` and exits with its status; what the `mediaflow` command does. */
export function main(): void {
  run(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Idle keep-alive sockets must not hold the shell for seconds after the work is done.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (error: unknown) => {
      process.stderr.write(`mediaflow: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = ExitCode.LOCAL_ERROR;
    },
  );
}

if (require.main === module) main();

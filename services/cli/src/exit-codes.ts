/**
 * What the process exit status means, so scripts can branch on it without
 * parsing output. The table is repeated in the README ("Command-line client").
 */
export const ExitCode = {
  /** The command did what it was asked (for `process`: the job completed and was downloaded). */
  OK: 0,
  /** The job ran and failed (its `error.code` is printed). */
  JOB_FAILED: 1,
  /** The command line was wrong: unknown command or option, a malformed `--param`, a missing file. */
  USAGE: 2,
  /** The API refused the request (any 4xx: validation, authentication, not found, conflict, rate limit). */
  API_REFUSED: 3,
  /** The API could not be reached or failed (5xx, connection refused, timeout, a cut-off response). */
  UNAVAILABLE: 4,
  /** The job was cancelled (by `mediaflow cancel`, another client, or `--cancel-on-interrupt`). */
  JOB_CANCELLED: 5,
  /** A local file could not be read or written (the output path, say), or the CLI itself failed. */
  LOCAL_ERROR: 6,
  /** Ctrl-C (SIGINT): 128 + 2, as shells report it. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports and turns into an exit status; `code` is machine-readable. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake on the command line (exit 2). */
export class UsageError extends CliError {
  /** Commander wrote the message already; print it again only as JSON. */
  readonly printed: boolean;
  constructor(message: string, options: { printed?: boolean } = {}) {
    super(ExitCode.USAGE, 'USAGE', message);
    this.printed = options.printed === true;
    this.name = 'UsageError';
  }
}

/** The user pressed Ctrl-C (exit 130). */
export class InterruptedError extends CliError {
  constructor(message = 'interrupted', details?: unknown) {
    super(ExitCode.INTERRUPTED, 'INTERRUPTED', message, details);
    this.name = 'InterruptedError';
  }
}

/**
 * The API answered with an error status. `code` and `message` come from its
 * `{error: {code, message, details}}` body, or describe the status when the
 * body is not that shape (a proxy's HTML page).
 */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    details?: unknown,
  ) {
    super(exitCodeForStatus(status), code, message, details);
    this.name = 'ApiError';
  }
}

/** The API could not be reached, or the connection broke mid-answer (exit 4). */
export class NetworkError extends CliError {
  constructor(message: string, code = 'UNREACHABLE') {
    super(ExitCode.UNAVAILABLE, code, message);
    this.name = 'NetworkError';
  }
}

/** 4xx: the API refused (exit 3); 5xx and anything stranger: unavailable (exit 4). */
export function exitCodeForStatus(status: number): ExitCode {
  return status >= 400 && status < 500 ? ExitCode.API_REFUSED : ExitCode.UNAVAILABLE;
}

/** The terminal status of a job as an exit status; undefined while it is still running. */
export function exitCodeForJobStatus(status: string): ExitCode | undefined {
  switch (status) {
    case 'completed':
      return ExitCode.OK;
    case 'failed':
      return ExitCode.JOB_FAILED;
    case 'cancelled':
      return ExitCode.JOB_CANCELLED;
    default:
      return undefined;
  }
}

/**
 * Any thrown value as an exit status: our own errors carry theirs; anything
 * else (a file system error, a bug) is local, never success.
 */
export function exitCodeForError(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  return ExitCode.LOCAL_ERROR;
}

/** The machine-readable code of any thrown value: ours, Node's (`ENOENT`), or `INTERNAL`. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof CliError) return error.code;
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return 'INTERNAL';
}

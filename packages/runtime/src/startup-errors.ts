import { AppError, ConfigError } from '@mediaflow/domain';

/**
 * Start-up failures an operator causes and can fix (a port in use, a data
 * directory another process holds, a bad setting, a dependency that is not
 * running) are reported as one line saying what to do; a stack trace there
 * only hides the sentence that matters. Anything else is a bug, and keeps
 * its stack.
 */

interface SystemError {
  code: string;
  syscall?: string;
  address?: string;
  port?: number;
  path?: string;
}

function systemError(error: unknown): SystemError | undefined {
  // Walks the cause chain: adapters wrap what the OS said.
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (typeof current !== 'object') return undefined;
    if ('code' in current && typeof current.code === 'string' && 'syscall' in current) {
      return current as SystemError;
    }
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}

const DEPENDENCY_HINTS: Partial<Record<string, string>> = {
  DATABASE_ERROR:
    'check that the database is running and reachable (MONGO_URL / DYNAMODB_ENDPOINT), or unset both for the embedded store',
  STORAGE_ERROR:
    'check that the S3 server is running and reachable (S3_ENDPOINT, credentials), or unset S3_ENDPOINT for local disk',
  QUEUE_ERROR:
    'check that Kafka is running and reachable (KAFKA_BOOTSTRAP_SERVERS), or unset it for the in-process queue',
  DEPENDENCY_UNAVAILABLE: 'check that the services in the configuration are running',
};

function remedyOf(details: unknown): string | undefined {
  if (typeof details !== 'object' || details === null || !('remedy' in details)) return undefined;
  return typeof details.remedy === 'string' ? details.remedy : undefined;
}

/** The one line to print for an operational start-up failure, or undefined for a bug. */
export function startupFailureLine(error: unknown): string | undefined {
  if (error instanceof ConfigError) {
    return `invalid configuration: ${error.problems.join('; ')}`;
  }
  const system = systemError(error);
  if (system?.syscall === 'listen') {
    const where = `${system.address ?? '0.0.0.0'}:${system.port ?? '?'}`;
    if (system.code === 'EADDRINUSE') {
      return `cannot listen on ${where}: the port is in use by another process; stop it or set PORT to a free port`;
    }
    if (system.code === 'EACCES') {
      return `cannot listen on ${where}: not allowed (ports below 1024 need privileges); set PORT to 1024 or above`;
    }
    if (system.code === 'EADDRNOTAVAIL') {
      return `cannot listen on ${where}: this machine has no such address; set HOST (0.0.0.0 for every interface)`;
    }
  }
  if (error instanceof AppError) {
    // An error that knows its own remedy says it; otherwise the code's general hint.
    const remedy = remedyOf(error.details);
    if (remedy !== undefined) return `${error.message}; ${remedy}`;
    const hint = DEPENDENCY_HINTS[error.code];
    if (hint !== undefined) return `${error.message}; ${hint}`;
  }
  if (system?.code === 'ENOENT' && system.path !== undefined) {
    return `${system.path} does not exist (a file named in the configuration, such as API_KEYS_FILE?)`;
  }
  if (system && ['EACCES', 'EPERM', 'ENOSPC', 'EROFS'].includes(system.code) && system.path !== undefined) {
    return `cannot use ${system.path} (${system.code}); check its owner and free space, or point DATA_DIR / WORK_DIR elsewhere`;
  }
  return undefined;
}

/**
 * Prints why the process could not start and exits: one line for an
 * operational cause, the stack for anything else.
 */
export function exitOnStartupFailure(service: string, error: unknown): never {
  const line = startupFailureLine(error);
  if (line !== undefined) {
    process.stderr.write(`${service} failed to start: ${line}\n`);
    process.exit(error instanceof ConfigError ? 78 : 1); // 78: EX_CONFIG
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`${service} failed to start: ${detail}\n`);
  process.exit(1);
}

import winston from 'winston';

export type Logger = winston.Logger;

// Presigned URL signatures and bearer tokens must never reach a log line.
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/(X-Amz-Signature=)[^&\s"]+/gi, '$1[redacted]'],
  [/(X-Amz-Credential=)[^&\s"]+/gi, '$1[redacted]'],
  [/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, '$1[redacted]'],
  // People's API keys and refresh tokens (services/api/src/accounts), and the session cookies, wherever they appear.
  [/\b(mf[kr]_)[A-Za-z0-9_-]{16,}/g, '$1[redacted]'],
  [/\b(mf_refresh=|mf_csrf=)[^;\s"]+/g, '$1[redacted]'],
];

export function redactSecrets(text: string): string {
  return SECRET_PATTERNS.reduce((acc, [pattern, replacement]) => acc.replace(pattern, replacement), text);
}

const redact = winston.format((info) => {
  if (typeof info.message === 'string') info.message = redactSecrets(info.message);
  return info;
});

export function createLogger(options: { level: string; service: string }): Logger {
  return winston.createLogger({
    level: options.level,
    defaultMeta: { service: options.service },
    format: winston.format.combine(
      redact(),
      winston.format.timestamp(),
      winston.format.errors({ stack: true }),
      winston.format.json(),
    ),
    transports: [new winston.transports.Console({ stderrLevels: ['error', 'warn'] })],
  });
}

/** Resolves once every transport has written what it buffered. */
export async function flushLogger(logger: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    logger.on('finish', () => resolve());
    logger.end();
    setTimeout(resolve, 2000).unref();
  });
}

import type { RequestHandler } from 'express';
import type { Logger } from '@mediaflow/domain';

/**
 * A playback token is a capability: whoever has it may watch the job until it
 * expires. Logs travel further than the URL should, so the token is masked.
 */
export function loggablePath(path: string): string {
  return path.replace(/^\/play\/[^/]+/, '/play/<token>');
}

export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      logger.http('request', {
        method: req.method,
        path: loggablePath(req.path),
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError, toErrorBody } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';

/** Errors raised by Express's own body parsers, by their `type`. */
const BODY_PARSER_ERRORS: Record<string, AppError> = {
  'entity.parse.failed': new AppError('INVALID_JSON', 'request body is not valid JSON'),
  'entity.too.large': new AppError('PAYLOAD_TOO_LARGE', 'request body is too large'),
  'encoding.unsupported': new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body encoding is not supported'),
  'charset.unsupported': new AppError('UNSUPPORTED_MEDIA_TYPE', 'request body charset is not supported'),
  'request.aborted': new AppError('VALIDATION_FAILED', 'request body was not fully received'),
};

function fromBodyParser(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error)) return undefined;
  return typeof error.type === 'string' ? BODY_PARSER_ERRORS[error.type] : undefined;
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

/** The one place an error becomes a response. Never leaks a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = isAppError(error) ? error : fromBodyParser(error);
    const { status, body } = toErrorBody(known ?? error);
    if (status >= 500 && !known?.retryable) {
      logger.error('request failed', { method: req.method, path: req.path, error });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (status === 503) res.set('Retry-After', '5');
    res.status(status).json(body);
  };
}

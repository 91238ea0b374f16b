import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError, toErrorBody } from '@mediaflow/domain';
import type { ErrorCode, Logger } from '@mediaflow/domain';

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

const CLIENT_ERROR_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
};

/**
 * Client errors Express raises itself: the router's URIError for a path
 * parameter that is not valid percent-encoding (`/status/%E0%A4%A`), and
 * http-errors marked safe to expose. Both carry a 4xx `status`.
 */
function fromExpress(error: unknown): AppError | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const { status } = error;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (error instanceof URIError)
    return new AppError('VALIDATION_FAILED', 'the request path is not valid percent-encoding');
  if (!('expose' in error) || error.expose !== true) return undefined;
  return new AppError(CLIENT_ERROR_CODES[status] ?? 'VALIDATION_FAILED', 'the request is malformed');
}

export const notFoundHandler: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
};

/** The one place an error becomes a response. Never leaks a stack trace. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known = isAppError(error) ? error : (fromBodyParser(error) ?? fromExpress(error));
    const { status, body } = toErrorBody(known ?? error);
    if (status >= 500 && !known?.retryable) {
      logger.error('request failed', { method: req.method, path: req.path, error });
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if ((status === 503 || status === 429) && !res.get('Retry-After')) res.set('Retry-After', '5');
    res.status(status).json(body);
  };
}

import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { AppError } from '@mediaflow/domain';
import type { Logger, ObjectRef } from '@mediaflow/domain';
import { formatContentRange, parseRangeHeader } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';

export interface ServeObjectOptions {
  ref: ObjectRef;
  /** Sent as Content-Type, whatever the object was stored with. */
  contentType: string;
  /** Cache-Control of a 200/206 answer. */
  cacheControl: string;
  /** More headers for a 200/206 answer, e.g. Content-Disposition. */
  headers?: Record<string, string>;
  /**
   * Answer a GET with 302 to a presigned store URL instead of the bytes, when
   * the store can make one (S3; the local disk cannot, and then the bytes are
   * served). HEAD is always answered here: a presigned GET URL is signed for
   * GET only.
   */
  redirect?: {
    /** Lifetime of the presigned URL, 1 to 604800. */
    expiresInSeconds: number;
    /** Cache-Control of the 302 itself. */
    cacheControl: string;
  };
  /** Included in the NOT_FOUND message when the object is gone. */
  description: string;
  /** Context for the debug line logged when a client stops reading. */
  logContext?: Record<string, unknown>;
}

/**
 * Serves one stored object over HTTP: HEAD and GET, a single byte range
 * (206 + Content-Range; 416 with `Content-Range: bytes *\/<size>`),
 * `Accept-Ranges: bytes`, or a redirect to the store (see `redirect`).
 * Multi-range and malformed Range headers get the whole object (200), as
 * RFC 9110 allows.
 *
 * @throws AppError NOT_FOUND when the object does not exist.
 * @throws AppError RANGE_NOT_SATISFIABLE (416) for a range starting at or past the end.
 * @throws AppError STORAGE_ERROR (503) when the store fails before the first byte.
 */
export async function serveObject(
  req: Request,
  res: Response,
  store: ObjectStore,
  logger: Logger,
  options: ServeObjectOptions,
): Promise<void> {
  if (options.redirect && req.method === 'GET') {
    const url = await store.presignGet(options.ref, {
      expiresInSeconds: options.redirect.expiresInSeconds,
      contentType: options.contentType,
    });
    if (url !== undefined) {
      // Set directly rather than with res.redirect(), which would re-encode a URL whose signature covers its exact bytes.
      res.status(302).set({ Location: url, 'Cache-Control': options.redirect.cacheControl }).end();
      return;
    }
  }

  const info = await store.head(options.ref);
  if (!info) throw new AppError('NOT_FOUND', `${options.description} is no longer stored`);
  const range = parseRangeHeader(req.get('range'), info.size);
  if (range === 'unsatisfiable') {
    res.set('Content-Range', `bytes */${info.size}`);
    throw new AppError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${info.size} bytes`);
  }
  // Opened before any header is set, so a failure here still answers with a plain JSON error.
  const object = req.method === 'HEAD' ? undefined : await store.get(options.ref, range);
  res.set({
    ...options.headers,
    'Content-Type': options.contentType,
    'Accept-Ranges': 'bytes',
    'Cache-Control': options.cacheControl,
    ...(info.lastModified ? { 'Last-Modified': info.lastModified.toUTCString() } : {}),
  });
  if (range) {
    res.status(206);
    res.set('Content-Range', formatContentRange(range, info.size));
    res.set('Content-Length', String(range.end - range.start + 1));
  } else {
    res.status(200);
    res.set('Content-Length', String(info.size));
  }
  if (!object) {
    // HEAD: no body to send, so the object was not even opened.
    res.end();
    return;
  }
  try {
    await pipeline(object.body, res);
  } catch (error) {
    // A client that stops reading (a seeking video player does this all the
    // time) is not an error worth more than a debug line.
    logger.debug('object response ended early', { ...options.logContext, error });
  }
}

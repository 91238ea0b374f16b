import { createHash, randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import express, { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, formatS3Uri, issuesToDetails } from '@mediaflow/domain';
import { OWNER_METADATA_KEY, SHA256_METADATA_KEY } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { principalOf } from '../auth/require-api-key';
import { sanitizeUploadFilename } from '../filename';
import {
  partNumberParamsSchema,
  partTokenQuerySchema,
  partUrlsQuerySchema,
  uploadIdParamsSchema,
} from '../openapi/schemas';
import type { MultipartUploads } from '../uploads/multipart-uploads';

const CONTENT_TYPE_PATTERN = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;
const CREATE_BODY_LIMIT = '64kb';
/** 10,000 parts of about 70 bytes each. */
const COMPLETE_BODY_LIMIT = '1mb';
const HOST_PATTERN = /^[A-Za-z0-9.-]{1,253}(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::\d{1,5})?$/;

/** Counts and hashes bytes through the stream and fails it as soon as the limit is passed. */
class ByteLimit extends Transform {
  private seen = 0;
  private readonly hash = createHash('sha256');
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      callback(new AppError('PAYLOAD_TOO_LARGE', `upload exceeds ${this.limit} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }
  get bytes(): number {
    return this.seen;
  }
  /** SHA-256 hex of everything that passed; call once, after the end. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

/** Refuses other content types before any parser reads the body. */
function requireJson(route: string): RequestHandler {
  return (req, _res, next) => {
    if (!req.is('application/json')) throw new AppError('UNSUPPORTED_MEDIA_TYPE', `${route} takes application/json`);
    next();
  };
}

/** `http://host[:port]` as the client addressed this API, for the part URLs it serves itself. */
function baseUrlOf(req: Request): string {
  const host = req.get('host') ?? '';
  if (!HOST_PATTERN.test(host)) throw new AppError('VALIDATION_FAILED', 'the Host header is not valid');
  return `${req.protocol}://${host}`;
}

/** A malformed id is as unknown as a made-up one. */
function uploadIdOf(req: Request): string {
  const parsed = uploadIdParamsSchema.safeParse(req.params);
  if (!parsed.success) throw new AppError('UPLOAD_NOT_FOUND', 'no such upload');
  return parsed.data.upload_id;
}

/** The declared Content-Length, or undefined when there is none. */
function declaredLength(req: Request): number | undefined {
  const declared = req.get('content-length');
  const bytes = declared === undefined ? undefined : Number(declared);
  if (bytes !== undefined && (!Number.isSafeInteger(bytes) || bytes < 0)) {
    throw new AppError('VALIDATION_FAILED', 'Content-Length is not a valid number');
  }
  return bytes;
}

/**
 * PUT /uploads/{id}/parts/{n}?token=…: the embedded mode's stand-in for a
 * presigned S3 part URL. Authorised by its token, not an API key, so it is
 * mounted before requireApiKey. Answers 200 with the part's ETag header, as S3 does.
 */
export function uploadPartRoutes(multipart: MultipartUploads): Router {
  const router = Router();
  router.put('/uploads/:upload_id/parts/:part_number', async (req, res) => {
    const params = partNumberParamsSchema.safeParse(req.params);
    const query = partTokenQuerySchema.safeParse(req.query);
    if (!params.success || !query.success) throw new AppError('UPLOAD_URL_INVALID', 'the part URL is not valid');
    const abort = new AbortController();
    const onClose = (): void => {
      if (!req.complete) abort.abort(new AppError('VALIDATION_FAILED', 'upload was interrupted'));
    };
    req.once('close', onClose);
    try {
      const etag = await multipart.receivePart(
        params.data.upload_id,
        params.data.part_number,
        query.data.token,
        req,
        declaredLength(req),
        abort.signal,
      );
      res.status(200).set('ETag', etag).end();
    } catch (error) {
      lingerOnRefusal(req, res);
      throw error;
    } finally {
      req.off('close', onClose);
    }
  });
  return router;
}

/** How much of a refused part's unread body is still read and discarded, and for how long. */
const LINGER_MAX_BYTES = 64 * 1024 * 1024;
const LINGER_MAX_MS = 10_000;

/**
 * A part refused before its body was read (a bad or expired token) leaves the
 * client still sending. Cutting the connection right after the answer resets
 * it under the client, which then sees a write error (EPIPE) instead of the
 * 403. So, as a lingering close does, the rest of the body is read and
 * discarded after the answer, up to LINGER_MAX_BYTES and LINGER_MAX_MS, and the
 * connection is cut only past those. A body already half read and destroyed
 * cannot be drained: that connection closes.
 */
function lingerOnRefusal(req: Request, res: Response): void {
  if (req.complete) return;
  if (req.destroyed || req.readableDidRead) {
    res.set('Connection', 'close');
    return;
  }
  res.once('finish', () => {
    if (req.complete) return;
    let seen = 0;
    const cut = (): void => {
      clearTimeout(timer);
      req.socket.destroy();
    };
    const timer = setTimeout(cut, LINGER_MAX_MS);
    timer.unref();
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > LINGER_MAX_BYTES) cut();
    });
    req.once('end', () => clearTimeout(timer));
    req.once('close', () => clearTimeout(timer));
    req.resume();
  });
}

export function uploadRoutes(
  store: ObjectStore,
  multipart: MultipartUploads,
  options: { inputBucket: string; maxBytes: number },
): Router {
  const router = Router();

  router.put('/uploads/:filename', async (req, res) => {
    const filename = sanitizeUploadFilename(req.params.filename);
    const declaredBytes = declaredLength(req);
    if (declaredBytes !== undefined && declaredBytes > options.maxBytes) {
      res.set('Connection', 'close');
      throw new AppError('PAYLOAD_TOO_LARGE', `upload exceeds ${options.maxBytes} bytes`);
    }
    const rawType = (req.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ?? '';
    const contentType = CONTENT_TYPE_PATTERN.test(rawType) ? rawType.toLowerCase() : 'application/octet-stream';
    const owner = principalOf(res).keyId;

    const ref = { bucket: options.inputBucket, key: `uploads/${randomUUID()}/${filename}` };
    const limiter = new ByteLimit(options.maxBytes);
    const abort = new AbortController();
    const onClose = (): void => {
      if (!req.complete) abort.abort(new AppError('VALIDATION_FAILED', 'upload was interrupted'));
    };
    req.once('close', onClose);
    req.once('error', (error) => limiter.destroy(error));
    limiter.once('error', () => abort.abort());
    try {
      const info = await store.put(ref, req.pipe(limiter), {
        contentType,
        ...(declaredBytes === undefined ? {} : { contentLength: declaredBytes }),
        signal: abort.signal,
        metadata: { [OWNER_METADATA_KEY]: owner },
      });
      // The hash is known only once the bytes are stored: S3 metadata is then set by a copy onto itself.
      const sha256 = limiter.sha256();
      await store.replaceMetadata(ref, { [OWNER_METADATA_KEY]: owner, [SHA256_METADATA_KEY]: sha256 });
      res.status(201).json({ source: formatS3Uri(ref), size_bytes: info.size, content_type: contentType, sha256 });
    } catch (error) {
      const limitError = limiter.errored;
      if (limitError instanceof AppError) {
        res.set('Connection', 'close');
        throw limitError;
      }
      throw error;
    } finally {
      req.off('close', onClose);
    }
  });

  router.post(
    '/uploads',
    requireJson('POST /uploads'),
    express.json({ limit: CREATE_BODY_LIMIT, type: () => true }),
    async (req, res) => {
      const created = await multipart.create(principalOf(res), req.body, baseUrlOf(req));
      res.status(201).location(`/uploads/${created.upload_id}`).json(created);
    },
  );

  router.get('/uploads/:upload_id', async (req, res) => {
    res.json(await multipart.status(principalOf(res), uploadIdOf(req)));
  });

  router.get('/uploads/:upload_id/parts', async (req, res) => {
    const query = partUrlsQuerySchema.safeParse(req.query);
    if (!query.success) {
      throw new AppError('VALIDATION_FAILED', 'invalid part query', { details: issuesToDetails(query.error.issues) });
    }
    const parts = await multipart.partUrls(
      principalOf(res),
      uploadIdOf(req),
      query.data.from,
      query.data.count,
      baseUrlOf(req),
    );
    res.json({ parts });
  });

  router.post(
    '/uploads/:upload_id/complete',
    requireJson('POST /uploads/{upload_id}/complete'),
    express.json({ limit: COMPLETE_BODY_LIMIT, type: () => true }),
    async (req, res) => {
      res.json(await multipart.complete(principalOf(res), uploadIdOf(req), req.body));
    },
  );

  router.delete('/uploads/:upload_id', async (req, res) => {
    await multipart.abort(principalOf(res), uploadIdOf(req));
    res.status(204).end();
  });

  return router;
}

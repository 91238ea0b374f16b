import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { Router } from 'express';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { ObjectStore } from '@mediaflow/storage';
import { sanitizeUploadFilename } from '../filename';

const CONTENT_TYPE_PATTERN = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;

/** Counts bytes through the stream and fails it as soon as the limit is passed. */
class ByteLimit extends Transform {
  private seen = 0;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      callback(new AppError('PAYLOAD_TOO_LARGE', `upload exceeds ${this.limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
  get bytes(): number {
    return this.seen;
  }
}

export function uploadRoutes(store: ObjectStore, options: { inputBucket: string; maxBytes: number }): Router {
  const router = Router();

  router.put('/uploads/:filename', async (req, res) => {
    const filename = sanitizeUploadFilename(req.params.filename);
    const declared = req.get('content-length');
    const declaredBytes = declared === undefined ? undefined : Number(declared);
    if (declaredBytes !== undefined && (!Number.isSafeInteger(declaredBytes) || declaredBytes < 0)) {
      throw new AppError('VALIDATION_FAILED', 'Content-Length is not a valid number');
    }
    if (declaredBytes !== undefined && declaredBytes > options.maxBytes) {
      res.set('Connection', 'close');
      throw new AppError('PAYLOAD_TOO_LARGE', `upload exceeds ${options.maxBytes} bytes`);
    }
    const rawType = (req.get('content-type') ?? 'application/octet-stream').split(';')[0]?.trim() ?? '';
    const contentType = CONTENT_TYPE_PATTERN.test(rawType) ? rawType.toLowerCase() : 'application/octet-stream';

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
      });
      res.status(201).json({ source: formatS3Uri(ref), size_bytes: info.size, content_type: contentType });
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

  return router;
}

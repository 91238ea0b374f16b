import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { ObjectRef } from '@mediaflow/domain';
import { ByteCounter } from './byte-counter';
import { DEFAULT_CONTENT_TYPE } from './content-type';
import { assertSafePrefix, assertValidMetadata, MAX_PARTS, ObjectStore } from './object-store';
import type {
  ByteRange,
  ListedObject,
  MultipartOptions,
  ObjectInfo,
  ObjectStream,
  OpenMultipartUpload,
  PartETag,
  PresignGetOptions,
  PutOptions,
  UploadedPart,
} from './object-store';
import { createS3Client, withAbortSignal } from './s3-client';
import type { S3ClientOptions } from './s3-client';
import { isBucketAlreadyCreated, isS3NotFound, toStorageError } from './s3-errors';
import { abortedError } from './store-errors';

export interface S3ObjectStoreOptions extends S3ClientOptions {
  /** Bytes per multipart part for bodies of unknown length (at least 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel; memory use is about partSize × queueSize. */
  queueSize?: number;
  /**
   * Keys asked for per ListObjectsV2 page, and so deleted per DeleteObjects
   * request by deletePrefix: an integer from 1 to 1000 (S3's maximum, the
   * default). Smaller only to exercise paging in tests.
   */
  listPageSize?: number;
}

/** Metadata calls are small; a healthy server answers them at once. */
const METADATA_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 4;
/** S3's limit for both a ListObjectsV2 page and a DeleteObjects request. */
const MAX_KEYS_PER_REQUEST = 1000;

/** CopyObject's limit; larger objects are copied part by part. */
const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 1024 ** 3;
/** S3's answers to a completion whose part list does not fit the parts it holds. */
const BAD_PART_LIST_NAMES = new Set(['InvalidPart', 'InvalidPartOrder', 'EntityTooSmall', 'InvalidRequest']);

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;

/** Any S3-compatible server, through the AWS SDK v3. */
export class S3ObjectStore extends ObjectStore {
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly listPageSize: number;

  /**
   * Pass options to have the store build (and later destroy) a client tuned
   * for streaming; a client passed in is used as is and left open on close().
   */
  constructor(clientOrOptions: S3Client | S3ObjectStoreOptions) {
    super();
    if (clientOrOptions instanceof S3Client) {
      this.client = clientOrOptions;
      this.ownsClient = false;
      this.partSize = DEFAULT_PART_SIZE;
      this.queueSize = DEFAULT_QUEUE_SIZE;
      this.listPageSize = MAX_KEYS_PER_REQUEST;
    } else {
      this.client = createS3Client(clientOrOptions);
      this.ownsClient = true;
      this.partSize = clientOrOptions.partSize ?? DEFAULT_PART_SIZE;
      this.queueSize = clientOrOptions.queueSize ?? DEFAULT_QUEUE_SIZE;
      this.listPageSize = clientOrOptions.listPageSize ?? MAX_KEYS_PER_REQUEST;
    }
    const pageSize = this.listPageSize;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_KEYS_PER_REQUEST) {
      throw new RangeError(`listPageSize must be an integer from 1 to ${MAX_KEYS_PER_REQUEST}, got ${pageSize}`);
    }
  }

  async ensureBucket(bucket: string): Promise<void> {
    const ref = { bucket, key: '' };
    try {
      if (await this.bucketExists(bucket)) return;
      await this.client.send(new CreateBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
    } catch (error) {
      if (isBucketAlreadyCreated(error)) return;
      // Another process may have won a creation race with some other answer
      // (e.g. OperationAborted); what matters is that the bucket is there now.
      if (await this.bucketExists(bucket).catch(() => false)) return;
      throw toStorageError(error, 'create bucket', ref);
    }
  }

  async ping(bucket: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(PING_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError('STORAGE_ERROR', `object storage is not reachable or bucket "${bucket}" is missing`, {
        cause: error,
      });
    }
  }

  async put(ref: ObjectRef, body: Readable | Buffer, options: PutOptions): Promise<ObjectInfo> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError('upload', ref, signal);
    if (options.metadata) assertValidMetadata(options.metadata);
    try {
      if (Buffer.isBuffer(body)) {
        await this.client.send(
          new PutObjectCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            Body: body,
            ContentType: options.contentType,
            ...(options.metadata ? { Metadata: options.metadata } : {}),
          }),
          signal ? { abortSignal: signal } : {},
        );
        return { size: body.length, contentType: options.contentType };
      }
      return await this.putStream(ref, body, options);
    } catch (error) {
      if (signal?.aborted) throw abortedError('upload', ref, signal);
      // A write can only miss its bucket: a deployment fault, not a missing object.
      if (isS3NotFound(error)) {
        throw new AppError('STORAGE_ERROR', `bucket "${ref.bucket}" does not exist`, { cause: error });
      }
      throw toStorageError(error, 'write', ref);
    }
  }

  /**
   * Streams a body of unknown length as a multipart upload. Aborting cancels
   * the requests in flight and ends the body, so Upload fails on its own path,
   * which aborts the multipart upload before done() settles: no object, and
   * no parts left behind.
   */
  private async putStream(ref: ObjectRef, body: Readable, options: PutOptions): Promise<ObjectInfo> {
    const { signal } = options;
    const counter = new ByteCounter();
    // Its failure also fails the upload, which reports it.
    pipeline(body, counter).catch(() => undefined);
    const requests = new AbortController();
    const onAbort = (): void => {
      requests.abort(signal?.reason);
      counter.destroy(new Error('upload aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const upload = new Upload({
        client: withAbortSignal(this.client, requests.signal),
        params: {
          Bucket: ref.bucket,
          Key: ref.key,
          Body: counter,
          ContentType: options.contentType,
          ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        },
        partSize: this.partSize,
        queueSize: this.queueSize,
      });
      await upload.done();
      return { size: counter.bytes, contentType: options.contentType };
    } catch (error) {
      // Unblocks the source if the upload gave up before reading all of it.
      counter.destroy();
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async head(ref: ObjectRef): Promise<ObjectInfo | null> {
    try {
      const output = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
        abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
      return {
        size: output.ContentLength ?? 0,
        contentType: output.ContentType ?? DEFAULT_CONTENT_TYPE,
        ...(output.LastModified ? { lastModified: output.LastModified } : {}),
        metadata: { ...output.Metadata },
      };
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw toStorageError(error, 'inspect', ref);
    }
  }

  async get(ref: ObjectRef, range?: ByteRange): Promise<ObjectStream> {
    try {
      return await this.open(ref, range);
    } catch (error) {
      throw toStorageError(error, 'read', ref);
    }
  }

  async download(ref: ObjectRef, filePath: string, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw abortedError('download', ref, signal);
    let opened: ObjectStream;
    try {
      opened = await this.open(ref, undefined, signal);
    } catch (error) {
      if (signal?.aborted) throw abortedError('download', ref, signal);
      throw toStorageError(error, 'read', ref);
    }
    try {
      await pipeline(opened.body, createWriteStream(filePath), signal ? { signal } : {});
    } catch (error) {
      await rm(filePath, { force: true });
      if (signal?.aborted) throw abortedError('download', ref, signal);
      throw toStorageError(error, 'download', ref);
    }
  }

  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
        abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw toStorageError(error, 'delete', ref);
    }
  }

  /** ListObjectsV2, one page of `listPageSize` keys at a time, following continuation tokens. */
  async *list(prefix: ObjectRef): AsyncGenerator<ListedObject> {
    assertSafePrefix(prefix.key, { allowEmpty: true });
    for await (const page of this.pages(prefix)) yield* page;
  }

  /**
   * Deletes each listed page with one DeleteObjects request (quiet mode, so
   * the answer lists only failures) before fetching the next: at most
   * `listPageSize` keys held, and at most 1000 per request.
   */
  async deletePrefix(prefix: ObjectRef): Promise<number> {
    assertSafePrefix(prefix.key, { allowEmpty: false });
    let deleted = 0;
    for await (const page of this.pages(prefix)) {
      if (page.length === 0) continue;
      let output;
      try {
        output = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: prefix.bucket,
            Delete: { Objects: page.map(({ key }) => ({ Key: key })), Quiet: true },
          }),
          { abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
        );
      } catch (error) {
        throw this.missingBucketOr(error, 'delete objects under', prefix);
      }
      const failed = output.Errors ?? [];
      if (failed.length > 0) {
        const [first] = failed;
        const where = formatS3Uri({ bucket: prefix.bucket, key: first.Key ?? '?' });
        throw new AppError(
          'STORAGE_ERROR',
          `object storage failed to delete ${where} (${first.Code ?? 'unknown error'})` +
            (failed.length > 1 ? ` and ${failed.length - 1} other object(s)` : ''),
          { details: { failed: failed.length } },
        );
      }
      deleted += page.length;
    }
    return deleted;
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
    return Promise.resolve();
  }

  /**
   * Signed locally with SigV4 query parameters (no request reaches S3). With
   * temporary credentials (an instance role) the URL dies with the session
   * even if `expiresInSeconds` is longer.
   */
  override async presignGet(ref: ObjectRef, options: PresignGetOptions): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      ...(options.contentType === undefined ? {} : { ResponseContentType: options.contentType }),
    });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: options.expiresInSeconds });
    } catch (error) {
      throw toStorageError(error, 'sign a URL for', ref);
    }
  }

  /**
   * CopyObject onto itself with MetadataDirective REPLACE, guarded by the
   * ETag read first, so an object replaced meanwhile is not given metadata
   * meant for the old bytes. Above 5 GiB, a multipart copy of 1 GiB parts.
   */
  async replaceMetadata(ref: ObjectRef, metadata: Record<string, string>): Promise<void> {
    assertValidMetadata(metadata);
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }), {
        abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
    } catch (error) {
      throw toStorageError(error, 'inspect', ref);
    }
    const size = head.ContentLength ?? 0;
    const copySource = `${ref.bucket}/${ref.key.split('/').map(encodeURIComponent).join('/')}`;
    const contentType = head.ContentType ?? DEFAULT_CONTENT_TYPE;
    try {
      if (size <= MAX_SINGLE_COPY_BYTES) {
        await this.client.send(
          new CopyObjectCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            CopySource: copySource,
            ...(head.ETag === undefined ? {} : { CopySourceIfMatch: head.ETag }),
            MetadataDirective: 'REPLACE',
            ContentType: contentType,
            Metadata: metadata,
          }),
        );
        return;
      }
      const uploadId = await this.createMultipartUpload(ref, { contentType, metadata });
      try {
        const parts: PartETag[] = [];
        for (let start = 0, partNumber = 1; start < size; start += COPY_PART_BYTES, partNumber += 1) {
          const end = Math.min(size, start + COPY_PART_BYTES) - 1;
          const output = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: ref.bucket,
              Key: ref.key,
              UploadId: uploadId,
              PartNumber: partNumber,
              CopySource: copySource,
              CopySourceRange: `bytes=${start}-${end}`,
              ...(head.ETag === undefined ? {} : { CopySourceIfMatch: head.ETag }),
            }),
          );
          parts.push({ partNumber, etag: output.CopyPartResult?.ETag ?? '' });
        }
        await this.completeMultipartUpload(ref, uploadId, parts);
      } catch (error) {
        await this.abortMultipartUpload(ref, uploadId).catch(() => undefined);
        throw error;
      }
    } catch (error) {
      throw toStorageError(error, 'update the metadata of', ref);
    }
  }

  async createMultipartUpload(ref: ObjectRef, options: MultipartOptions): Promise<string> {
    if (options.metadata) assertValidMetadata(options.metadata);
    try {
      const output = await this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ContentType: options.contentType,
          ...(options.metadata ? { Metadata: options.metadata } : {}),
        }),
        { abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
      );
      if (output.UploadId === undefined) throw new AppError('STORAGE_ERROR', 'object storage returned no UploadId');
      return output.UploadId;
    } catch (error) {
      throw this.missingBucketOr(error, 'start a multipart upload of', ref);
    }
  }

  async uploadPart(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    body: Readable | Buffer,
    options: { contentLength?: number; signal?: AbortSignal },
  ): Promise<UploadedPart> {
    const { signal } = options;
    if (signal?.aborted) throw abortedError('upload', ref, signal);
    const counter = new ByteCounter();
    // A failing source fails the counter, and so the request that reads it.
    if (!Buffer.isBuffer(body)) pipeline(body, counter).catch(() => undefined);
    const payload = Buffer.isBuffer(body) ? body : counter;
    try {
      const output = await this.client.send(
        new UploadPartCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: payload,
          ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
        }),
        signal ? { abortSignal: signal } : {},
      );
      return {
        partNumber,
        etag: output.ETag ?? '',
        size: Buffer.isBuffer(body) ? body.length : counter.bytes,
      };
    } catch (error) {
      if (signal?.aborted) throw abortedError('upload', ref, signal);
      throw toStorageError(error, 'upload a part of', ref);
    }
  }

  /** ListParts, 1000 at a time; NoSuchUpload (a 404) is null. */
  async listParts(ref: ObjectRef, uploadId: string): Promise<UploadedPart[] | null> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    try {
      for (let page = 0; page <= MAX_PARTS / 1000; page += 1) {
        const output = await this.client.send(
          new ListPartsCommand({
            Bucket: ref.bucket,
            Key: ref.key,
            UploadId: uploadId,
            ...(marker === undefined ? {} : { PartNumberMarker: marker }),
          }),
          { abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
        );
        for (const part of output.Parts ?? []) {
          if (part.PartNumber === undefined) continue;
          parts.push({
            partNumber: part.PartNumber,
            etag: part.ETag ?? '',
            size: part.Size ?? 0,
            ...(part.LastModified ? { lastModified: part.LastModified } : {}),
          });
        }
        marker = output.IsTruncated === true ? output.NextPartNumberMarker : undefined;
        if (marker === undefined) break;
      }
    } catch (error) {
      if (isS3NotFound(error)) return null;
      throw toStorageError(error, 'list the parts of', ref);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(ref: ObjectRef, uploadId: string, parts: readonly PartETag[]): Promise<void> {
    try {
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts.map((part) => ({ PartNumber: part.partNumber, ETag: part.etag })) },
        }),
      );
    } catch (error) {
      if (error instanceof S3ServiceException && BAD_PART_LIST_NAMES.has(error.name)) {
        throw new AppError('VALIDATION_FAILED', `the part list does not match the uploaded parts (${error.name})`, {
          cause: error,
        });
      }
      throw toStorageError(error, 'complete the multipart upload of', ref);
    }
  }

  async abortMultipartUpload(ref: ObjectRef, uploadId: string): Promise<void> {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: uploadId }),
        {
          abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
        },
      );
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw toStorageError(error, 'abort the multipart upload of', ref);
    }
  }

  /** ListMultipartUploads, following key and upload-id markers. */
  async *listMultipartUploads(prefix: ObjectRef): AsyncGenerator<OpenMultipartUpload> {
    assertSafePrefix(prefix.key, { allowEmpty: true });
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let output;
      try {
        output = await this.client.send(
          new ListMultipartUploadsCommand({
            Bucket: prefix.bucket,
            ...(prefix.key === '' ? {} : { Prefix: prefix.key }),
            ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
            ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
          }),
          { abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
        );
      } catch (error) {
        throw this.missingBucketOr(error, 'list multipart uploads under', prefix);
      }
      for (const upload of output.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined) continue;
        yield {
          key: upload.Key,
          uploadId: upload.UploadId,
          ...(upload.Initiated ? { initiated: upload.Initiated } : {}),
        };
      }
      const truncated = output.IsTruncated === true;
      keyMarker = truncated ? output.NextKeyMarker : undefined;
      uploadIdMarker = truncated ? output.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
  }

  /**
   * Signed locally, as presignGet. With `contentLength`, the Content-Length
   * header is among the signed headers, so S3 refuses any other body size:
   * a URL cannot be used to store more than the part it was made for.
   */
  override async presignUploadPart(
    ref: ObjectRef,
    uploadId: string,
    partNumber: number,
    options: { expiresInSeconds: number; contentLength?: number },
  ): Promise<string> {
    const command = new UploadPartCommand({
      Bucket: ref.bucket,
      Key: ref.key,
      UploadId: uploadId,
      PartNumber: partNumber,
      ...(options.contentLength === undefined ? {} : { ContentLength: options.contentLength }),
    });
    try {
      return await getSignedUrl(this.client, command, {
        expiresIn: options.expiresInSeconds,
        ...(options.contentLength === undefined ? {} : { signableHeaders: new Set(['content-length']) }),
      });
    } catch (error) {
      throw toStorageError(error, 'sign a part URL for', ref);
    }
  }

  /** The objects under a prefix, a ListObjectsV2 page at a time. */
  private async *pages(prefix: ObjectRef): AsyncGenerator<ListedObject[]> {
    let token: string | undefined;
    do {
      let output;
      try {
        output = await this.client.send(
          new ListObjectsV2Command({
            Bucket: prefix.bucket,
            ...(prefix.key === '' ? {} : { Prefix: prefix.key }),
            MaxKeys: this.listPageSize,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
          { abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
        );
      } catch (error) {
        throw this.missingBucketOr(error, 'list', prefix);
      }
      yield (output.Contents ?? []).flatMap((object) =>
        object.Key === undefined
          ? []
          : [
              {
                key: object.Key,
                size: object.Size ?? 0,
                ...(object.LastModified ? { lastModified: object.LastModified } : {}),
              },
            ],
      );
      token = output.IsTruncated === true ? output.NextContinuationToken : undefined;
      if (output.IsTruncated === true && token === undefined) {
        // Stopping here would pass a partial listing (or deletion) off as complete.
        throw new AppError(
          'STORAGE_ERROR',
          `object storage truncated the listing of ${formatS3Uri(prefix)} without a continuation token`,
        );
      }
    } while (token !== undefined);
  }

  /** A prefix can only miss its bucket: a deployment fault, not a missing object (as in put). */
  private missingBucketOr(error: unknown, action: string, ref: ObjectRef): AppError {
    if (isS3NotFound(error)) {
      return new AppError('STORAGE_ERROR', `bucket "${ref.bucket}" does not exist`, { cause: error });
    }
    return toStorageError(error, action, ref);
  }

  private async bucketExists(bucket: string): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }), {
        abortSignal: AbortSignal.timeout(METADATA_TIMEOUT_MS),
      });
      return true;
    } catch (error) {
      if (isS3NotFound(error)) return false;
      throw error;
    }
  }

  /**
   * The signal, when given, stays attached while the body streams: aborting
   * it destroys the body. Metadata timeouts are therefore never passed here.
   */
  private async open(ref: ObjectRef, range?: ByteRange, signal?: AbortSignal): Promise<ObjectStream> {
    const output = await this.client.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    const body = output.Body;
    if (!(body instanceof Readable)) {
      throw new AppError('STORAGE_ERROR', 'object storage returned a body that is not a Node.js stream');
    }
    const served = parseContentRange(output.ContentRange);
    return {
      body,
      // A server that ignores Range answers 200 with the whole object and no Content-Range.
      size: served?.size ?? output.ContentLength ?? 0,
      contentType: output.ContentType ?? DEFAULT_CONTENT_TYPE,
      ...(output.LastModified ? { lastModified: output.LastModified } : {}),
      ...(served ? { range: served.range } : {}),
    };
  }
}

function parseContentRange(header: string | undefined): { range: ByteRange; size?: number } | undefined {
  const match = header === undefined ? null : CONTENT_RANGE.exec(header);
  if (!match) return undefined;
  const [, start, end, size] = match;
  return {
    range: { start: Number(start), end: Number(end) },
    ...(size === '*' ? {} : { size: Number(size) }),
  };
}

import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import type { RequestHandler } from 'express';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import type { AppConfig, Logger, ObjectRef } from '@mediaflow/domain';
import type { RateLimitStore } from '@mediaflow/repository';
import {
  filenameMetadata,
  hashObject,
  LocalDiskObjectStore,
  OWNER_METADATA_KEY,
  SHA256_METADATA_KEY,
  uploadInfo,
} from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import type { Server as TusServer } from '@tus/server';
import type { DataStore, Upload } from '@tus/utils';
import type { Principal } from '../auth/api-keys';
import { rateLimit } from '../auth/rate-limit';
import { principalOf } from '../auth/require-api-key';
import { sanitizeUploadFilename } from '../filename';
import { isUploadableContentType } from './content-types';

/** Where the tus endpoint is mounted; an upload's URL is this plus its 32 hex digits. */
export const TUS_PATH = '/uploads/tus';
/** Keys of tus uploads in the input bucket: `uploads/tus/<32 hex>` (plus `.info` / `.part` bookkeeping on S3). */
export const TUS_KEY_PREFIX = 'uploads/tus/';
const HEX_ID = /^[0-9a-f]{32}$/;
/** Response headers that tell a client where its finished upload is. */
const SOURCE_HEADER = 'Mediaflow-Source';
const SHA256_HEADER = 'Mediaflow-Sha256';
const MiB = 1024 * 1024;

export interface TusUploadsDeps {
  config: Pick<
    AppConfig,
    | 'INPUT_BUCKET'
    | 'UPLOAD_MAX_BYTES'
    | 'UPLOAD_RATE_PER_MINUTE'
    | 'UPLOAD_BURST'
    | 'CORS_ORIGINS'
    | 'AWS_REGION'
    | 'S3_ENDPOINT'
    | 'S3_FORCE_PATH_STYLE'
    | 'AWS_ACCESS_KEY_ID'
    | 'AWS_SECRET_ACCESS_KEY'
    | 'UPLOAD_INCOMPLETE_MAX_AGE_HOURS'
  >;
  store: ObjectStore;
  rateLimits: RateLimitStore;
  logger: Logger;
}

/** How the datastore names an upload, and where its bytes are as an object. */
interface Naming {
  /** Datastore id for the 32 hex digits in the URL. */
  idOf(hex: string): string;
  hexOf(id: string): string;
}

interface Tus {
  server: TusServer;
  datastore: DataStore;
  naming: Naming;
}

/** The Node request behind tus's web Request (srvx keeps it at `runtime.node.req`). */
function nodeRequestOf(request: unknown): IncomingMessage | undefined {
  if (typeof request !== 'object' || request === null || !('runtime' in request)) return undefined;
  const runtime = (request as { runtime?: { node?: { req?: IncomingMessage } } }).runtime;
  return runtime?.node?.req;
}

/** A tus error: @tus/server answers with its `status_code` and `body`. */
class TusError extends Error {
  readonly body: string;
  constructor(
    readonly status_code: number,
    message: string,
  ) {
    super(message);
    this.body = `${message}\n`;
  }
}

function isTusNotFound(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = 'status_code' in error ? error.status_code : undefined;
  return status === 404 || status === 410;
}

/**
 * tus 1.0 resumable uploads (creation, creation-with-upload, termination) at
 * {@link TUS_PATH}, with @tus/s3-store on S3 and @tus/file-store on the local
 * disk. Both write the upload's bytes at `uploads/tus/<id>` in the input
 * bucket, so a finished upload is a source as it stands: its SHA-256 is then
 * computed (one streamed read) and recorded with its owner as object metadata.
 *
 * Behind requireApiKey: creation takes the upload rate limit and records the
 * key as owner; every other request first checks that owner (another key's
 * upload is a 404, as one that never existed). @tus/server is an ES module,
 * loaded on the first request.
 */
export function tusUploads(deps: TusUploadsDeps): RequestHandler {
  let loading: Promise<Tus> | undefined;
  const owners = new WeakMap<IncomingMessage, Principal>();
  const limit = rateLimit(deps.rateLimits, {
    name: 'upload',
    perMinute: deps.config.UPLOAD_RATE_PER_MINUTE,
    burst: deps.config.UPLOAD_BURST,
  });
  const bucket = deps.config.INPUT_BUCKET;
  const refOf = (naming: Naming, id: string): ObjectRef => ({ bucket, key: `${TUS_KEY_PREFIX}${naming.hexOf(id)}` });

  const load = async (): Promise<Tus> => {
    const { Server } = await import('@tus/server');
    const { datastore, naming } = await createDatastore(deps);
    const server = new Server({
      path: TUS_PATH,
      datastore,
      maxSize: deps.config.UPLOAD_MAX_BYTES,
      respectForwardedHeaders: false,
      allowedOrigins: (origin: string) => deps.config.CORS_ORIGINS.includes(origin),
      exposedHeaders: [SOURCE_HEADER, SHA256_HEADER],
      namingFunction: () => naming.idOf(randomBytes(16).toString('hex')),
      generateUrl: (_req, { proto, host, id }) => `${proto}://${host}${TUS_PATH}/${naming.hexOf(id)}`,
      getFileIdFromRequest: (_req, lastPath) =>
        lastPath !== undefined && HEX_ID.test(lastPath) ? naming.idOf(lastPath) : undefined,
      onUploadCreate: async (req, upload) => {
        const node = nodeRequestOf(req);
        const principal = node ? owners.get(node) : undefined;
        if (!principal) throw new TusError(500, 'no principal on an upload');
        if (upload.sizeIsDeferred) throw new TusError(400, 'Upload-Length is required');
        const metadata = upload.metadata ?? {};
        const type = (metadata.filetype ?? metadata.contentType ?? 'application/octet-stream').toLowerCase();
        if (!isUploadableContentType(type)) {
          throw new TusError(415, 'filetype must be video/*, audio/* or application/octet-stream');
        }
        let filename: string | undefined;
        try {
          filename = metadata.filename ? sanitizeUploadFilename(metadata.filename) : undefined;
        } catch {
          filename = undefined;
        }
        // Only what the API sets is kept: a client cannot name an owner.
        return Promise.resolve({
          metadata: {
            [OWNER_METADATA_KEY]: principal.keyId,
            contentType: type,
            ...(filename === undefined ? {} : { filename }),
          },
        });
      },
      onUploadFinish: async (_req, upload) => {
        const ref = refOf(naming, upload.id);
        const owner = upload.metadata?.[OWNER_METADATA_KEY] ?? '';
        const { sha256, size } = await hashObject(deps.store, ref);
        if (size !== upload.size) {
          deps.logger.warn('tus upload finished with a size other than declared', { key: ref.key, size });
          throw new TusError(500, 'the finished upload does not have its declared size');
        }
        // The key is only an id: the client's file name goes with the object, for naming the outputs.
        const filename = upload.metadata?.filename;
        await deps.store.replaceMetadata(ref, {
          [OWNER_METADATA_KEY]: owner,
          [SHA256_METADATA_KEY]: sha256,
          ...(filename ? filenameMetadata(filename) : {}),
        });
        return { headers: { [SOURCE_HEADER]: formatS3Uri(ref), [SHA256_HEADER]: sha256 } };
      },
    });
    return { server, datastore, naming };
  };

  return async (req, res) => {
    // rateLimit calls next() when there is room and throws RATE_LIMITED when not.
    if (req.method === 'POST') await Promise.resolve(limit(req, res, () => undefined));
    loading ??= load();
    const tus = await loading.catch((error: unknown) => {
      loading = undefined;
      throw new AppError('DEPENDENCY_UNAVAILABLE', 'resumable uploads are unavailable', { cause: error });
    });
    const principal = principalOf(res);
    if (req.method === 'POST') {
      if (req.path !== '/') throw new AppError('NOT_FOUND', 'POST creates uploads at /uploads/tus/');
      owners.set(req, principal);
    } else if (req.method !== 'OPTIONS') {
      const hex = /^\/([0-9a-f]{32})\/?$/.exec(req.path)?.[1];
      if (hex === undefined) throw new AppError('UPLOAD_NOT_FOUND', 'no such upload');
      const id = tus.naming.idOf(hex);
      const upload = await tus.datastore.getUpload(id).catch((error: unknown) => {
        if (isTusNotFound(error)) return undefined;
        throw new AppError('STORAGE_ERROR', 'could not read the upload', { cause: error });
      });
      const owner = upload?.metadata?.[OWNER_METADATA_KEY];
      if (!upload || (owner !== principal.keyId && !principal.admin)) {
        throw new AppError('UPLOAD_NOT_FOUND', 'no such upload');
      }
      if (upload.size !== undefined && upload.offset === upload.size) {
        if (await finishedRequest(req.method, upload, refOf(tus.naming, id), res)) return;
      }
    }
    await tus.server.handle(req, res);
  };

  /**
   * A finished upload: HEAD also names its source and SHA-256; DELETE removes
   * the object and its bookkeeping here, since the stores' own termination
   * expects an unfinished upload. True when the response was sent.
   */
  async function finishedRequest(
    method: string,
    upload: Upload,
    ref: ObjectRef,
    res: Parameters<RequestHandler>[1],
  ): Promise<boolean> {
    if (method === 'DELETE') {
      await deps.store.delete(ref);
      for (const suffix of ['.info', '.part', '.json']) await deps.store.delete({ bucket, key: `${ref.key}${suffix}` });
      res.status(204).set('Tus-Resumable', '1.0.0').end();
      return true;
    }
    const info = await uploadInfo(deps.store, ref);
    if (info?.sha256 !== undefined && info.owner === upload.metadata?.[OWNER_METADATA_KEY]) {
      res.set(SOURCE_HEADER, formatS3Uri(ref)).set(SHA256_HEADER, info.sha256);
    }
    return false;
  }
}

/** FileStore writes straight into the local store's bucket directory; S3Store into the input bucket. */
async function createDatastore(deps: TusUploadsDeps): Promise<{ datastore: DataStore; naming: Naming }> {
  const { config, store } = deps;
  const maxAgeMs = config.UPLOAD_INCOMPLETE_MAX_AGE_HOURS * 3600 * 1000;
  if (store instanceof LocalDiskObjectStore) {
    const { FileStore } = await import('@tus/file-store');
    const directory = path.dirname(store.localPath({ bucket: config.INPUT_BUCKET, key: `${TUS_KEY_PREFIX}x` }));
    return {
      datastore: new FileStore({ directory, expirationPeriodInMilliseconds: maxAgeMs }),
      naming: { idOf: (hex) => hex, hexOf: (id) => id },
    };
  }
  const { S3Store } = await import('@tus/s3-store');
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = config;
  // No expiration period: S3Store would tag objects for it, which not every S3 server supports;
  // the upload sweeper aborts old uploads instead.
  const datastore = new S3Store({
    partSize: 8 * MiB,
    s3ClientConfig: {
      bucket: config.INPUT_BUCKET,
      region: config.AWS_REGION,
      ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      ...(accessKeyId !== undefined && secretAccessKey !== undefined
        ? { credentials: { accessKeyId, secretAccessKey } }
        : {}),
      // As in packages/storage/src/s3-client.ts: aws-chunked bodies corrupt objects on some S3 servers.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
  });
  return {
    datastore,
    naming: { idOf: (hex) => `${TUS_KEY_PREFIX}${hex}`, hexOf: (id) => id.slice(TUS_KEY_PREFIX.length) },
  };
}

/**
 * Embedded mode: removes tus uploads left unfinished past the maximum age
 * (on S3 the sweeper's multipart listing finds them).
 */
export async function sweepLocalTusUploads(deps: TusUploadsDeps): Promise<number> {
  if (!(deps.store instanceof LocalDiskObjectStore)) return 0;
  const { datastore } = await createDatastore(deps);
  return datastore.deleteExpired();
}

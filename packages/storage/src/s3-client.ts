import { AbortMultipartUploadCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3ClientOptions {
  region: string;
  /** For S3-compatible servers; omit for AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Omit to use the SDK's default credential chain (env, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** An outage should surface in seconds, not after minutes of retries. */
const CONNECTION_TIMEOUT_MS = 3_000;
/**
 * Time allowed until response headers. A multipart part (a few MiB) is sent
 * in full before the server answers, so this must cover a slow upload link.
 */
const REQUEST_TIMEOUT_MS = 120_000;
/** A stalled transfer (no bytes either way) fails after this long. */
const SOCKET_IDLE_TIMEOUT_MS = 60_000;
const MAX_ATTEMPTS = 3;

export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? false,
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    // With the SDK's default (WHEN_SUPPORTED), a streamed body is sent with
    // aws-chunked framing and a trailing checksum, which some S3-compatible
    // servers store verbatim, corrupting the object.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: SOCKET_IDLE_TIMEOUT_MS,
    },
  });
}

/**
 * A view of the client whose requests are cancelled by `signal`. lib-storage's
 * Upload sends its requests without one, so aborting it would otherwise leave
 * a part or a single-request PUT running, and a PUT that lands after the
 * abort leaves an object behind. AbortMultipartUpload is exempt: it is the
 * clean-up that must still run after the abort.
 */
export function withAbortSignal(client: S3Client, signal: AbortSignal): S3Client {
  const send = async (command: Parameters<S3Client['send']>[0]): Promise<unknown> =>
    command instanceof AbortMultipartUploadCommand
      ? client.send(command)
      : client.send(command, { abortSignal: signal });
  return new Proxy(client, {
    get(target, property) {
      return property === 'send' ? send : (Reflect.get(target, property, target) as unknown);
    },
  });
}

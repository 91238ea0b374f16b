import { S3ServiceException } from '@aws-sdk/client-s3';
import { AppError, formatS3Uri } from '@mediaflow/domain';
import { failureReason } from './store-errors';
import type { ObjectRef } from '@mediaflow/domain';

const NOT_FOUND_NAMES = new Set(['NotFound', 'NoSuchKey', 'NoSuchBucket']);
const BUCKET_EXISTS_NAMES = new Set(['BucketAlreadyOwnedByYou', 'BucketAlreadyExists']);

function serviceError(error: unknown): S3ServiceException | undefined {
  return error instanceof S3ServiceException ? error : undefined;
}

/** A missing object or bucket. HEAD answers carry no body, only the 404. */
export function isS3NotFound(error: unknown): boolean {
  const service = serviceError(error);
  if (!service) return false;
  return NOT_FOUND_NAMES.has(service.name) || service.$metadata.httpStatusCode === 404;
}

export function isBucketAlreadyCreated(error: unknown): boolean {
  const service = serviceError(error);
  return service !== undefined && BUCKET_EXISTS_NAMES.has(service.name);
}

function isRangeNotSatisfiable(error: unknown): boolean {
  const service = serviceError(error);
  return service !== undefined && (service.name === 'InvalidRange' || service.$metadata.httpStatusCode === 416);
}

/**
 * Maps anything the SDK throws to the error family: a missing object is
 * NOT_FOUND, everything else (refused connections, timeouts, 5xx, denied
 * access) is a STORAGE_ERROR, which the caller may retry.
 */
export function toStorageError(error: unknown, action: string, ref: ObjectRef): AppError {
  if (error instanceof AppError) return error;
  const where = formatS3Uri(ref);
  if (isS3NotFound(error)) return new AppError('NOT_FOUND', `${where} does not exist`, { cause: error });
  if (isRangeNotSatisfiable(error)) {
    return new AppError('RANGE_NOT_SATISFIABLE', `range not satisfiable for ${where}`, { cause: error });
  }
  return new AppError('STORAGE_ERROR', `object storage failed to ${action} ${where} (${failureReason(error)})`, {
    cause: error,
  });
}

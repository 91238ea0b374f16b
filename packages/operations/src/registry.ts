import { AppError, OPERATION_NAME_PATTERN } from '@mediaflow/domain';
import { adaptiveStream } from './adaptive-stream';
import { compress } from './compress';
import { concat } from './concat';
import { convertFormat } from './convert-format';
import { extractAudio } from './extract-audio';
import { grayscale } from './grayscale';
import type { RegisteredOperation } from './operation-definition';
import { probe } from './probe';
import { resize } from './resize';
import { storyboard } from './storyboard';
import { thumbnails } from './thumbnails';
import { transcribe } from './transcribe';

/**
 * Every operation a job can run, one line each. The API's validation and its
 * OpenAPI document, and the worker's dispatch, all come from this list; an
 * operation not listed here does not exist.
 */
export const OPERATIONS = [
  compress,
  extractAudio,
  resize,
  convertFormat,
  grayscale,
  transcribe,
  adaptiveStream,
  thumbnails,
  storyboard,
  probe,
  concat,
] as const;

export type OperationName = (typeof OPERATIONS)[number]['name'];

/**
 * Checks the registry once, when this module loads, so a mistake stops the
 * process at boot instead of failing a job: names and aliases well-formed
 * and unique across all operations.
 * @throws Error naming the offending entry.
 */
export function assertValidRegistry(operations: readonly RegisteredOperation[]): void {
  const seen = new Map<string, string>();
  for (const operation of operations) {
    for (const name of [operation.name, ...operation.aliases]) {
      if (!OPERATION_NAME_PATTERN.test(name))
        throw new Error(`operation registry: "${name}" is not a valid operation name`);
      const owner = seen.get(name);
      if (owner !== undefined) {
        throw new Error(`operation registry: "${name}" is registered twice (by ${owner} and ${operation.name})`);
      }
      seen.set(name, operation.name);
    }
    if (operation.schema.shape.method_name.value !== operation.name) {
      throw new Error(
        `operation registry: ${operation.name}'s schema accepts method_name "${operation.schema.shape.method_name.value}"`,
      );
    }
  }
}

assertValidRegistry(OPERATIONS);

const BY_NAME = new Map<string, RegisteredOperation>(
  OPERATIONS.flatMap((operation) => [operation.name, ...operation.aliases].map((name) => [name, operation] as const)),
);

/** The operation a wire name (canonical or alias) means, if any. */
export function findOperation(name: string): RegisteredOperation | undefined {
  return BY_NAME.get(name);
}

/**
 * The operation a stored job names.
 * @throws AppError UNKNOWN_OPERATION when no registered operation has that name (a record from a newer version).
 */
export function operationFor(name: string): RegisteredOperation {
  const operation = BY_NAME.get(name);
  if (!operation) throw new AppError('UNKNOWN_OPERATION', `no operation named "${name}" is registered`);
  return operation;
}

/** Every name accepted on the wire: canonical names, then aliases. */
export function acceptedOperationNames(): string[] {
  return [...OPERATIONS.map((operation) => operation.name), ...OPERATIONS.flatMap((operation) => operation.aliases)];
}

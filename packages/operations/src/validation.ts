import { AppError, issuesToDetails, parseS3Uri, submitJobSchema } from '@mediaflow/domain';
import type { ObjectRef, OperationSpec } from '@mediaflow/domain';
import { acceptedOperationNames, findOperation } from './registry';

export interface ValidatedSubmission {
  source: ObjectRef;
  /** The canonical operation with its schema's defaults applied. */
  operation: OperationSpec;
}

/**
 * Validates a POST /process body against the envelope and then the named
 * operation's own schema from the registry. Each kind of mistake gets its own
 * code so a client can react to it without parsing the message.
 * @throws AppError VALIDATION_FAILED (envelope, output_format or params), UNKNOWN_OPERATION, INVALID_SOURCE_URI, INVALID_SOURCE.
 */
export function validateSubmission(body: unknown, allowedSourceBuckets: readonly string[]): ValidatedSubmission {
  const envelope = submitJobSchema.safeParse(body);
  if (!envelope.success) {
    throw new AppError('VALIDATION_FAILED', 'request body is not a valid job', {
      details: issuesToDetails(envelope.error.issues),
    });
  }
  const { source, method_name, output_format, params } = envelope.data;

  const definition = findOperation(method_name);
  if (!definition) {
    throw new AppError('UNKNOWN_OPERATION', `unknown method_name "${method_name}"`, {
      details: { allowed: acceptedOperationNames() },
    });
  }

  const sourceRef = parseS3Uri(source);
  if (!allowedSourceBuckets.includes(sourceRef.bucket)) {
    throw new AppError('INVALID_SOURCE', `source bucket "${sourceRef.bucket}" is not an allowed input bucket`);
  }

  const operation = definition.schema.safeParse({
    method_name: definition.name,
    ...(output_format === undefined ? {} : { output_format }),
    ...(params === undefined ? {} : { params }),
  });
  if (!operation.success) {
    throw new AppError('VALIDATION_FAILED', `invalid output_format or params for ${definition.name}`, {
      details: issuesToDetails(operation.error.issues),
    });
  }
  return { source: sourceRef, operation: definition.parse(operation.data) };
}

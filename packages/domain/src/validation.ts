import type { z } from 'zod';
import { AppError } from './errors';
import { canonicalOperationName, OPERATION_NAMES, operationSchema, submitJobSchema } from './operations';
import type { Operation } from './operations';
import { parseS3Uri } from './source-uri';
import type { ObjectRef } from './source-uri';

export interface ValidatedSubmission {
  source: ObjectRef;
  operation: Operation;
}

export function issuesToDetails(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * Validates a POST /process body. Each kind of mistake gets its own code so a
 * client can react to it without parsing the message.
 */
export function validateSubmission(body: unknown, allowedSourceBuckets: readonly string[]): ValidatedSubmission {
  const envelope = submitJobSchema.safeParse(body);
  if (!envelope.success) {
    throw new AppError('VALIDATION_FAILED', 'request body is not a valid job', {
      details: issuesToDetails(envelope.error.issues),
    });
  }
  const { source, method_name, output_format, params } = envelope.data;

  const canonical = canonicalOperationName(method_name);
  if (!canonical) {
    throw new AppError('UNKNOWN_OPERATION', `unknown method_name "${method_name}"`, {
      details: { allowed: [...OPERATION_NAMES, 'black_and_white'] },
    });
  }

  const sourceRef = parseS3Uri(source);
  if (!allowedSourceBuckets.includes(sourceRef.bucket)) {
    throw new AppError('INVALID_SOURCE', `source bucket "${sourceRef.bucket}" is not an allowed input bucket`);
  }

  const operation = operationSchema.safeParse({
    method_name: canonical,
    ...(output_format === undefined ? {} : { output_format }),
    ...(params === undefined ? {} : { params }),
  });
  if (!operation.success) {
    throw new AppError('VALIDATION_FAILED', `invalid output_format or params for ${canonical}`, {
      details: issuesToDetails(operation.error.issues),
    });
  }
  return { source: sourceRef, operation: operation.data };
}

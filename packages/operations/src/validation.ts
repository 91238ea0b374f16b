import { AppError, issuesToDetails, parseS3Uri, submitJobSchema } from '@mediaflow/domain';
import type { ObjectRef, OperationSpec } from '@mediaflow/domain';
import { acceptedOperationNames, findOperation } from './registry';

export interface ValidatedSubmission {
  /** The first (or only) input. */
  source: ObjectRef;
  /**
   * Every input in order, when the body gave `sources`; absent when it gave
   * `source`. A one-entry `sources` is kept as given (the job shows it).
   */
  sources?: ObjectRef[];
  /** The canonical operation with its schema's defaults applied. */
  operation: OperationSpec;
}

export interface SubmissionLimits {
  /** MAX_SOURCES_PER_JOB: the most entries `sources` may have. Default 50. */
  maxSources?: number;
}

const DEFAULT_MAX_SOURCES = 50;

/**
 * Validates a POST /process body against the envelope and then the named
 * operation's own schema from the registry. Each kind of mistake gets its own
 * code so a client can react to it without parsing the message. Each of
 * `sources` passes the same URI and bucket checks as `source`.
 * @throws AppError VALIDATION_FAILED (envelope, neither or both of source and sources, too many sources, output_format or params), UNKNOWN_OPERATION, MULTIPLE_SOURCES_NOT_SUPPORTED, INVALID_SOURCE.
 */
export function validateSubmission(
  body: unknown,
  allowedSourceBuckets: readonly string[],
  limits: SubmissionLimits = {},
): ValidatedSubmission {
  const envelope = submitJobSchema.safeParse(body);
  if (!envelope.success) {
    throw new AppError('VALIDATION_FAILED', 'request body is not a valid job', {
      details: issuesToDetails(envelope.error.issues),
    });
  }
  const { source, sources, method_name, output_format, params } = envelope.data;

  const definition = findOperation(method_name);
  if (!definition) {
    throw new AppError('UNKNOWN_OPERATION', `unknown method_name "${method_name}"`, {
      details: { allowed: acceptedOperationNames() },
    });
  }

  const uris = sourceUrisOf(source, sources, limits.maxSources ?? DEFAULT_MAX_SOURCES);
  if (uris.length > 1 && !definition.multipleSources) {
    throw new AppError(
      'MULTIPLE_SOURCES_NOT_SUPPORTED',
      `${definition.name} takes one source; give \`source\`, or one entry in \`sources\``,
      { details: { method_name: definition.name, sources: uris.length } },
    );
  }
  const refs = uris.map((uri, index) => {
    const where = sources === undefined ? 'source' : `sources[${index}]`;
    let ref: ObjectRef;
    try {
      ref = parseS3Uri(uri);
    } catch (error) {
      // Name the entry: "sources[3]: …" is actionable where a bare message is not.
      if (error instanceof AppError && sources !== undefined) {
        throw new AppError(error.code, `${where}: ${error.message}`, { details: { index } });
      }
      throw error;
    }
    if (!allowedSourceBuckets.includes(ref.bucket)) {
      throw new AppError('INVALID_SOURCE', `${where} bucket "${ref.bucket}" is not an allowed input bucket`, {
        ...(sources === undefined ? {} : { details: { index } }),
      });
    }
    return ref;
  });
  const [sourceRef] = refs as [ObjectRef, ...ObjectRef[]];

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
  return {
    source: sourceRef,
    ...(sources === undefined ? {} : { sources: refs }),
    operation: definition.parse(operation.data),
  };
}

/**
 * The job's input URIs: `[source]`, or `sources` as given.
 * @throws AppError VALIDATION_FAILED when neither or both are given, or `sources` has more than `maxSources` entries.
 */
function sourceUrisOf(source: string | undefined, sources: string[] | undefined, maxSources: number): string[] {
  if (source !== undefined && sources !== undefined) {
    throw new AppError('VALIDATION_FAILED', 'give either `source` or `sources`, not both', {
      details: [{ path: 'sources', message: 'not allowed together with source' }],
    });
  }
  if (sources !== undefined) {
    if (sources.length > maxSources) {
      throw new AppError(
        'VALIDATION_FAILED',
        `sources has ${sources.length} entries; at most ${maxSources} are allowed`,
        {
          details: [{ path: 'sources', message: `at most ${maxSources} entries` }],
        },
      );
    }
    return sources;
  }
  if (source === undefined) {
    throw new AppError('VALIDATION_FAILED', 'request body is not a valid job: `source` (or `sources`) is required', {
      details: [{ path: 'source', message: 'required' }],
    });
  }
  return [source];
}

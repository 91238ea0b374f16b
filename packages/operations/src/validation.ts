import { AppError, issuesToDetails, parseS3Uri, submitJobSchema } from '@mediaflow/domain';
import type { ObjectRef, OperationSpec } from '@mediaflow/domain';
import { acceptedOperationNames, findOperation } from './registry';
import type { RegisteredOperation } from './operation-definition';
import { validateStepChain } from './step-chain';
import { transcribeParams } from './transcribe';

export interface ValidatedSubmission {
  /** The first (or only) input. */
  source: ObjectRef;
  /**
   * Every input in order, when the body gave `sources`; absent when it gave
   * `source`. A one-entry `sources` is kept as given (the job shows it).
   */
  sources?: ObjectRef[];
  /** The canonical operation with its schema's defaults applied; for a multi-step job, its first step. */
  operation: OperationSpec;
  /** A multi-step job's chain, each step normalised like `operation`; absent when the body gave `method_name`. */
  steps?: OperationSpec[];
  /** The preset the body named, which chose `steps`. */
  preset?: string;
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
 * A body may instead give `steps` (a chain of operations, see
 * validateStepChain): each is validated like a one-operation body, errors
 * naming the step, and the chain is checked (each step reads its
 * predecessor's primary output); only the first step may take several sources.
 * @throws AppError VALIDATION_FAILED (envelope, neither or both of source and sources, neither or both of method_name and steps, too many sources, output_format or params, a step that cannot read its predecessor's output), UNKNOWN_OPERATION, MULTIPLE_SOURCES_NOT_SUPPORTED, INVALID_SOURCE.
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
  const { source, sources, method_name, output_format, params, preset } = envelope.data;
  const steps =
    preset === undefined
      ? envelope.data.steps
      : presetSteps(preset, { steps: envelope.data.steps, method_name, output_format, params });
  const requested = requestedSteps(method_name, output_format, preset === undefined ? params : undefined, steps);
  const definitions = requested.map((step, index) =>
    definitionOf(step.method_name, steps === undefined ? '' : `steps[${index}]: `),
  );
  const definition = definitions[0];

  const uris = sourceUrisOf(source, sources, limits.maxSources ?? DEFAULT_MAX_SOURCES);
  if (uris.length > 1 && !definition.multipleSources) {
    throw new AppError(
      'MULTIPLE_SOURCES_NOT_SUPPORTED',
      `${definition.name} takes one source; give \`source\`, or one entry in \`sources\`` +
        (steps === undefined ? '' : ' (only the first step reads the sources; the others read the previous step)'),
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

  const operations = requested.map((step, index) =>
    parseStep(definitions[index], step, steps === undefined ? undefined : index),
  );
  validateStepChain(operations);
  return {
    source: sourceRef,
    ...(sources === undefined ? {} : { sources: refs }),
    operation: operations[0],
    ...(steps === undefined ? {} : { steps: operations }),
    ...(preset === undefined ? {} : { preset }),
  };
}

/**
 * Named chains of steps a body may ask for with `preset`. `params` of such a
 * body go to every step whose schema has them (only `language` and `model`
 * are accepted).
 */
export const JOB_PRESETS: Record<string, readonly RequestedStep[]> = {
  /**
   * A meeting recording (MediaRecorder WebM chunks, or recordings to join):
   * one H.264/AAC MP4 with faststart, a real duration and seek index, then
   * the speech transcribed into SRT, WebVTT and JSON and muxed into a copy of
   * that MP4 as a soft (mov_text) subtitle track, which is the job's primary output.
   */
  meeting_recording: [
    { method_name: 'concat', output_format: 'mp4' },
    // The subtitled MP4 is the job's primary output: what GET /download hands back.
    { method_name: 'transcribe', output_format: 'mp4' },
  ],
};

/** What a preset's `params` may hold (language, model): the transcribe step's own rules for them. */
export const presetParams = transcribeParams.pick({ language: true, model: true });

const PRESET_PARAMS = Object.keys(presetParams.shape);

/**
 * The steps a preset names, with the body's `params` (language, model) given to its transcribe step.
 * Errors name the fields the client sent (`params.model`), not the steps they expand to.
 * @throws AppError VALIDATION_FAILED for an unknown preset, `steps`, `method_name` or `output_format`
 *   given too, params other than language and model, or invalid values of those.
 */
function presetSteps(
  preset: string,
  body: {
    steps: RequestedStep[] | undefined;
    method_name: string | undefined;
    output_format: string | undefined;
    params: Record<string, unknown> | undefined;
  },
): RequestedStep[] {
  const chain = Object.hasOwn(JOB_PRESETS, preset) ? JOB_PRESETS[preset] : undefined;
  if (!chain) {
    throw new AppError('VALIDATION_FAILED', `unknown preset "${preset}"`, {
      details: [{ path: 'preset', message: `one of ${Object.keys(JOB_PRESETS).join(', ')}` }],
    });
  }
  const clashes = (['steps', 'method_name', 'output_format'] as const).filter((field) => body[field] !== undefined);
  if (clashes.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `a preset chooses its own operations and formats: leave out ${clashes.map((field) => `\`${field}\``).join(' and ')}`,
      { details: clashes.map((field) => ({ path: field, message: 'not allowed together with preset' })) },
    );
  }
  const params = body.params ?? {};
  const extra = Object.keys(params).filter((key) => !PRESET_PARAMS.includes(key));
  if (extra.length > 0) {
    throw new AppError('VALIDATION_FAILED', `a preset takes only ${PRESET_PARAMS.join(' and ')} as params`, {
      details: extra.map((key) => ({ path: `params.${key}`, message: 'not a preset param' })),
    });
  }
  const checked = presetParams.safeParse(params);
  if (!checked.success) {
    throw new AppError('VALIDATION_FAILED', `invalid params for preset "${preset}"`, {
      details: issuesToDetails(checked.error.issues).map((detail) => ({ ...detail, path: `params.${detail.path}` })),
    });
  }
  return chain.map((step) =>
    step.method_name === 'transcribe' ? { ...step, params: { ...step.params, ...params } } : { ...step },
  );
}

interface RequestedStep {
  method_name: string;
  output_format?: string | undefined;
  params?: Record<string, unknown> | undefined;
}

/**
 * The operations the body asks for: `[{method_name, output_format, params}]`, or `steps`.
 * @throws AppError VALIDATION_FAILED when neither or both of method_name and steps are given.
 */
function requestedSteps(
  method_name: string | undefined,
  output_format: string | undefined,
  params: Record<string, unknown> | undefined,
  steps: RequestedStep[] | undefined,
): RequestedStep[] {
  if (steps !== undefined) {
    if (method_name !== undefined || output_format !== undefined || params !== undefined) {
      throw new AppError(
        'VALIDATION_FAILED',
        'give either `method_name` (with `output_format`, `params`) or `steps`, not both: each step has its own',
        { details: [{ path: 'steps', message: 'not allowed together with method_name, output_format or params' }] },
      );
    }
    return steps;
  }
  if (method_name === undefined) {
    throw new AppError('VALIDATION_FAILED', 'request body is not a valid job: `method_name` (or `steps`) is required', {
      details: [{ path: 'method_name', message: 'required' }],
    });
  }
  return [{ method_name, output_format, params }];
}

/**
 * The registered operation a (step's) method_name names.
 * @throws AppError UNKNOWN_OPERATION, its message prefixed with `where` (e.g. "steps[1]: ").
 */
function definitionOf(name: string, where: string): RegisteredOperation {
  const definition = findOperation(name);
  if (!definition) {
    throw new AppError('UNKNOWN_OPERATION', `${where}unknown method_name "${name}"`, {
      details: { allowed: acceptedOperationNames() },
    });
  }
  return definition;
}

/**
 * One step's fields through its operation's schema, defaults applied.
 * @param index the step's index in `steps`; undefined for a one-operation body.
 * @throws AppError VALIDATION_FAILED, its detail paths under `steps.<index>` for a step.
 */
function parseStep(definition: RegisteredOperation, step: RequestedStep, index: number | undefined): OperationSpec {
  const parsed = definition.schema.safeParse({
    method_name: definition.name,
    ...(step.output_format === undefined ? {} : { output_format: step.output_format }),
    ...(step.params === undefined ? {} : { params: step.params }),
  });
  if (!parsed.success) {
    const where = index === undefined ? '' : `steps[${index}]: `;
    throw new AppError('VALIDATION_FAILED', `${where}invalid output_format or params for ${definition.name}`, {
      details: issuesToDetails(
        index === undefined
          ? parsed.error.issues
          : parsed.error.issues.map((issue) => ({ ...issue, path: ['steps', index, ...issue.path] })),
      ),
    });
  }
  return definition.parse(parsed.data);
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

import { z } from 'zod';
import { ErrorCodes, JOB_STATUSES, JOB_WARNING_CODES, MAX_JOB_STEPS, submitJobSchema } from '@mediaflow/domain';
import { JOB_PRESETS, OPERATIONS, presetParams } from '@mediaflow/operations';
import type { ErrorCode } from '@mediaflow/domain';

/**
 * The wire shapes of the HTTP API as zod schemas. Routes validate with the
 * request schemas here, and the OpenAPI document is generated from all of
 * them, so the contract and the code cannot drift apart.
 *
 * Schemas that become named components are registered in one of two
 * registries: request bodies are described as clients may send them (zod's
 * input side: defaults make fields optional), responses as the API produces
 * them (output side).
 */
export const requestComponents = z.registry<{ id: string }>();
export const responseComponents = z.registry<{ id: string }>();

const dateTime = z.string().meta({ format: 'date-time' });
// The ids this API issues (randomUUID); the same rule JobService applies before a lookup.
const uuid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/)
  .meta({ format: 'uuid' });
const ERROR_CODES = Object.keys(ErrorCodes) as ErrorCode[];
// Output kinds are an open vocabulary (video, log, hls, dash, package, poster, …); this is their shape.
const outputKind = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,31}$/)
  .describe('What the output is: video, audio, srt, vtt, json, log, hls, dash, package, poster, storyboard, …');

// ---------------------------------------------------------------- requests

// Cursors the API issues are base64url. The pattern is documentation only, so
// any other string still reaches the repository and gets INVALID_CURSOR.
const pageCursor = z
  .string()
  .min(1)
  .max(2048)
  .meta({ pattern: '^[A-Za-z0-9_-]+$' })
  .optional()
  .describe('`next_cursor` of the previous page.');

export const jobIdParamsSchema = z.object({
  job_id: uuid.describe('The id POST /process returned.'),
});

export const uploadParamsSchema = z.object({
  filename: z
    .string()
    .min(1)
    .max(1024)
    .describe(
      'The file name to keep (NFC): the letters and digits of every script, ".", "-" and "_" are kept, every other run ' +
        'of characters becomes "_", no leading dot, at most 200 UTF-8 bytes with the extension kept as typed. ' +
        'Outputs are named after it. 400 INVALID_FILENAME when no letter or digit is left before the extension.',
    ),
});

// ISO 8601: a date (midnight UTC) or a date-time with Z or an offset; a time without a zone would be ambiguous.
const isoInstant = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/,
    'must be an ISO 8601 date or date-time with a zone',
  )
  .refine((value) => !Number.isNaN(Date.parse(value)), 'is not a valid date')
  .meta({ format: 'date-time' });

// Strict: a misspelt filter must fail loudly, never list everything.
export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10).describe('Jobs per page.'),
  skip: z.coerce
    .number()
    .int()
    .min(0)
    .max(10_000)
    .default(0)
    .describe('Jobs to skip (offset paging for shallow pages; ignored with `cursor`).'),
  cursor: pageCursor,
  status: z.enum(JOB_STATUSES).optional().describe('Only jobs in this status.'),
  method_name: z
    .enum(OPERATIONS.map((operation) => operation.name) as [string, ...string[]])
    .optional()
    .describe('Only jobs of this operation (its canonical name).'),
  created_after: isoInstant.optional().describe('Only jobs created at or after this instant.'),
  created_before: isoInstant.optional().describe('Only jobs created before this instant.'),
});
export type ListQuery = z.output<typeof listQuerySchema>;

export const downloadQuerySchema = z.object({
  output: outputKind
    .optional()
    .describe(
      'The kind of the file output to serve; when omitted or `primary`, the output marked primary, else the first non-log file.',
    ),
});

const filePath = z
  .string()
  .min(1)
  .max(1024)
  .describe(
    'A path relative to the job’s folder, e.g. `stream/master.m3u8`: an output file, or a file under an output directory. ' +
      'Segments of letters and digits of any script and `._~+=@,-`, not starting with "."; `..`, empty segments, backslashes and control characters are refused.',
  );

export const jobFileParamsSchema = z.object({
  job_id: uuid.describe('The id POST /process returned.'),
  path: filePath,
});

export const playParamsSchema = z.object({
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/)
    .describe('A playback token from GET /jobs/{job_id}/playback.'),
  path: filePath,
});

export const downloadHeadersSchema = z.object({
  // The pattern is what is honoured (one byte range); the API ignores any other value and serves everything.
  Range: z
    .string()
    .regex(/^bytes=\d*-\d*$/)
    .optional()
    .describe('A single byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-500`.'),
});

export const idempotencyHeadersSchema = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/)
    .optional()
    .describe('Makes a retried submission return the first job instead of creating another.'),
});

export const deadLetterQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Jobs per page.'),
  cursor: pageCursor,
});

export const replayBodySchema = z
  .strictObject({
    job_ids: z
      .array(z.string().min(1).max(64))
      .min(1)
      .max(100)
      .optional()
      .describe('The dead-lettered jobs to run again; the newest 100 when omitted.'),
  })
  .default({});
requestComponents.add(replayBodySchema, { id: 'ReplayRequest' });

/** A job's own webhook (POST /process `webhook_url`); also the `url` of POST /webhooks. */
export const webhookUrlField = z
  .string()
  .max(2048)
  .meta({ format: 'uri' })
  .describe(
    'An http(s) URL to POST this job’s terminal events to (job.completed, job.failed, job.cancelled), signed per ' +
      'Standard Webhooks with the key’s secret (GET /webhooks/secret). Refused with WEBHOOK_URL_REFUSED when it ' +
      'resolves to a loopback, private, link-local or other non-public address (unless the operator allows it).',
  );

const sourceField = submitJobSchema.shape.source.describe(
  'An `s3://<input bucket>/<key>` URI, e.g. the `source` that PUT /uploads/{filename} returned. ' +
    'Give exactly one of `source` and `sources`.',
);

/**
 * The hard ceiling on `sources`: the envelope's (submitJobSchema) and MAX_SOURCES_PER_JOB's upper bound; the
 * setting (default 50) is the server's and may only be lower (openapi.test checks the envelope agrees).
 */
export const SOURCES_CEILING = 1000;

/** `sources` as an operation's variant accepts it: several for concat, at most one for the others. */
function sourcesField(multiple: boolean, description?: string): z.ZodOptional<z.ZodArray<z.ZodString>> {
  const entry = z.string().min(1).max(1100);
  return (multiple ? z.array(entry).min(1).max(SOURCES_CEILING) : z.array(entry).min(1).max(1))
    .describe(
      description ??
        (multiple
          ? 'The inputs in order, each an `s3://<input bucket>/<key>` URI checked like `source` (at most ' +
            `MAX_SOURCES_PER_JOB, 50 by default, never more than ${SOURCES_CEILING}; together within UPLOAD_MAX_BYTES, else 413).`
          : 'One input, as an alternative to `source`; this operation takes no more (400 MULTIPLE_SOURCES_NOT_SUPPORTED).'),
    )
    .optional();
}

/** `method_name`: the operation's canonical name or one of its aliases. */
const methodNameOf = (operation: (typeof OPERATIONS)[number]): z.ZodEnum =>
  z.enum([operation.name, ...operation.aliases] as [string, ...string[]]);

/**
 * A POST /process body naming one operation (`method_name`), derived from
 * what validation accepts: the submitJobSchema envelope with each registered
 * operation's own output formats and params. The API checks the envelope
 * first so each kind of mistake gets its own error code; the document shows
 * the combined rule.
 */
const [firstVariant, ...otherVariants] = OPERATIONS.map((operation) =>
  operation.schema
    .extend({
      source: sourceField,
      sources: sourcesField(operation.multipleSources),
      method_name: methodNameOf(operation),
      webhook_url: webhookUrlField.optional(),
    })
    .describe(operation.summary),
);
export const submitOperationJobBodySchema = z.discriminatedUnion('method_name', [firstVariant, ...otherVariants]).meta({
  title: 'SubmitOperationJob',
  description: 'One operation (`method_name`, with its `output_format` and `params`) on `source`, or on `sources`.',
});

/** One entry of `steps`: an operation as a one-operation body names it, without the sources. */
const [firstStep, ...otherSteps] = OPERATIONS.map((operation) =>
  operation.schema.extend({ method_name: methodNameOf(operation) }).describe(operation.summary),
);
export const jobStepSchema = z.discriminatedUnion('method_name', [firstStep, ...otherSteps]).meta({
  title: 'JobStep',
  description:
    'One step: `method_name` with that operation’s own `output_format` and `params`, as in a one-operation body. ' +
    'Each step after the first reads the previous step’s primary output, and must accept its kind ' +
    '(e.g. extract_audio’s audio cannot feed resize: 400 VALIDATION_FAILED naming both steps).',
});

export const submitStepsJobBodySchema = z
  .strictObject({
    source: sourceField,
    sources: sourcesField(
      true,
      'The inputs in order, as for a one-operation body; several only when the first step takes several (concat), ' +
        'else 400 MULTIPLE_SOURCES_NOT_SUPPORTED. At most MAX_SOURCES_PER_JOB (50 by default, never more than ' +
        `${SOURCES_CEILING}); together within UPLOAD_MAX_BYTES, else 413.`,
    ),
    steps: z
      .array(jobStepSchema)
      .min(1)
      .max(MAX_JOB_STEPS)
      .describe(
        `The chain, 1 to ${MAX_JOB_STEPS} operations run in order as one job: the first reads the sources, each ` +
          'other step the previous step’s primary output. Every step’s outputs are listed (`outputs[].step`), ' +
          'each step’s under `step-<n>/`; the last step’s primary output is the job’s. A retry resumes after ' +
          'the last finished step (`completed_steps`).',
      ),
    webhook_url: webhookUrlField.optional(),
  })
  .meta({
    title: 'SubmitStepsJob',
    description:
      'A multi-step job: `steps` instead of `method_name`; `method_name`, `output_format` and `params` are ' +
      'given per step, not beside `steps`.',
  });

const PRESET_NAMES = Object.keys(JOB_PRESETS) as [string, ...string[]];

export const submitPresetJobBodySchema = z
  .strictObject({
    source: sourceField,
    sources: sourcesField(
      true,
      'The inputs in order (e.g. a recording’s MediaRecorder chunks, or recordings to join), each checked like ' +
        `\`source\`; at most MAX_SOURCES_PER_JOB (50 by default, never more than ${SOURCES_CEILING}), together ` +
        'within UPLOAD_MAX_BYTES, else 413.',
    ),
    preset: z
      .enum(PRESET_NAMES)
      .describe(
        'A named chain of steps. `meeting_recording`: concat the sources into one H.264/AAC MP4 (faststart, a real ' +
          'duration and seek index), then transcribe it: SRT, WebVTT and JSON, and a copy of the MP4 with a soft ' +
          'subtitle track, which is the job’s primary output.',
      ),
    params: presetParams.optional().describe('Given to the preset’s transcribe step; no other params are taken.'),
    webhook_url: webhookUrlField.optional(),
  })
  .meta({
    title: 'SubmitPresetJob',
    description: 'A preset: a named chain of steps (`preset`) instead of `method_name` or `steps`.',
  });

/**
 * A POST /process body: exactly one of the three forms (each is closed, and
 * names exactly one of `method_name`, `steps` and `preset`). The forms are
 * inlined, named by `title`, not components of their own: clients such as
 * the CLI read the operations' variants straight out of SubmitJob.
 */
export const submitJobBodySchema = z
  .xor([submitOperationJobBodySchema, submitStepsJobBodySchema, submitPresetJobBodySchema])
  .describe(
    'One operation (`method_name`), a chain of operations (`steps`), or a named chain (`preset`), on `source` ' +
      'or on `sources`.',
  );
requestComponents.add(submitJobBodySchema, { id: 'SubmitJob' });

// ---------------------------------------------------------------- responses

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES).describe('Stable and machine-readable; see the list of codes.'),
    message: z.string().describe('For people; may change.'),
    details: z.unknown().optional().describe('Code-specific context, e.g. the fields that failed validation.'),
  }),
});
responseComponents.add(errorBodySchema, { id: 'ErrorBody' });

export const healthSchema = z.object({ status: z.literal('ok') });
responseComponents.add(healthSchema, { id: 'Health' });

// What GET / answers: where to go next. There is no web dashboard yet, so none is named.
export const rootSchema = z.object({
  status: z.literal('ok'),
  dashboard: z.string().describe('The web dashboard: upload, submit, watch and play jobs in a browser.'),
  docs: z.string().describe('This API described as a web page, with request and response examples.'),
  openapi: z.string().describe('The OpenAPI 3.1 document.'),
  health: z.string().describe('Liveness: answers while the process serves HTTP.'),
  readiness: z.string().describe('Readiness: the database, the queue and storage.'),
});
responseComponents.add(rootSchema, { id: 'Root' });

export const readinessSchema = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.record(z.string(), z.string()).describe('Each dependency: "ok" or "down: <reason>".'),
});
responseComponents.add(readinessSchema, { id: 'Readiness' });

export const uploadResultSchema = z.object({
  source: z.string().describe('Pass this as `source` to POST /process.'),
  size_bytes: z.number().int().min(0),
  content_type: z.string(),
  sha256: z.string().describe('SHA-256 of the whole file, lower-case hex, computed while it streamed in.'),
});
responseComponents.add(uploadResultSchema, { id: 'UploadResult' });

export const submitResultSchema = z.object({
  job_id: uuid,
  status: z.enum(JOB_STATUSES),
});
responseComponents.add(submitResultSchema, { id: 'SubmittedJob' });

const jobOutputSchema = z.object({
  kind: outputKind,
  path: z.string().describe('Relative to the job’s folder; a directory ends with "/".'),
  content_type: z.string().describe('`inode/directory` for a directory.'),
  size_bytes: z.number().int().min(0).optional().describe('For a directory, the sum over its files.'),
  file_count: z.number().int().min(0).optional().describe('Directories only: how many files it holds.'),
  primary: z.boolean().optional().describe('The output GET /download/{job_id} serves by default.'),
  step: z.number().int().min(0).optional().describe('Multi-step jobs: the index in `steps` of the step that wrote it.'),
  url: z
    .string()
    .describe('GET it with the API key: `/jobs/{job_id}/files/{path}`; for a directory, its files’ URL prefix.'),
});
responseComponents.add(jobOutputSchema, { id: 'JobOutput' });

const jobHistoryEntrySchema = z.object({
  status: z.enum(JOB_STATUSES),
  at: dateTime,
  worker_id: z.string().optional(),
  attempt: z.number().int().optional(),
  note: z.string().optional(),
});
responseComponents.add(jobHistoryEntrySchema, { id: 'JobHistoryEntry' });

export const jobViewSchema = z.object({
  job_id: uuid,
  status: z.enum(JOB_STATUSES),
  method_name: z.enum(OPERATIONS.map((operation) => operation.name) as [string, ...string[]]),
  output_format: z.string(),
  params: z.record(z.string(), z.unknown()),
  source: z.string().describe('The input; for a job submitted with `sources`, the first of them.'),
  sources: z.array(z.string()).optional().describe('Every input in order, for a job submitted with `sources`.'),
  steps: z
    .array(
      z.object({
        method_name: z.string(),
        output_format: z.string(),
        params: z.record(z.string(), z.unknown()),
      }),
    )
    .optional()
    .describe(
      'A multi-step job’s chain, each step reading the previous step’s primary output; ' +
        '`method_name`, `output_format` and `params` repeat the first step.',
    ),
  completed_steps: z
    .array(z.number().int().min(0))
    .optional()
    .describe(
      'A multi-step job: indexes of the steps finished so far (every step once it completed); a retry resumes after the last.',
    ),
  preset: z
    .string()
    .optional()
    .describe('The preset the job was submitted with (e.g. `meeting_recording`), which chose its `steps`.'),
  progress: z.number().min(0).max(100).describe('Percent done.'),
  speed: z.number().optional().describe('Encoding speed relative to real time; while processing only.'),
  eta_seconds: z.number().optional().describe('Estimated seconds left; while processing only.'),
  attempts: z.number().int().min(0),
  retry_at: dateTime.optional().describe('When a job waiting for a retry may run again.'),
  cancel_requested: z
    .literal(true)
    .optional()
    .describe('Cancellation asked for; the worker stops within about a second.'),
  dead_lettered_at: dateTime.optional().describe('When the job ran out of attempts.'),
  expired_at: dateTime
    .optional()
    .describe('When retention removed the outputs (OUTPUT_RETENTION_DAYS); downloads then answer 410 JOB_EXPIRED.'),
  reused_from: uuid
    .optional()
    .describe('The earlier identical job whose outputs this one reused instead of running (result reuse).'),
  source_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe('SHA-256 (hex) of the source bytes, when the source is an upload that recorded it.'),
  created_at: dateTime,
  updated_at: dateTime,
  started_at: dateTime.nullable(),
  completed_at: dateTime.nullable(),
  error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }).nullable(),
  warnings: z
    .array(z.object({ code: z.enum(JOB_WARNING_CODES), message: z.string() }))
    .optional()
    .describe(
      'Completed jobs only, and only when there is something to say: what the result leaves out or does ' +
        'differently though it is complete (SOURCE_STREAM_EMPTY: a source track held no data; ' +
        'OUTPUT_LONGER_THAN_EXPECTED).',
    ),
  outputs: z.array(jobOutputSchema),
  history: z.array(jobHistoryEntrySchema),
});
responseComponents.add(jobViewSchema, { id: 'JobView' });

export const jobPageSchema = z.object({
  jobs: z.array(jobViewSchema),
  count: z.number().int().min(0).describe('All jobs matching the filters, not just this page.'),
  limit: z.number().int(),
  skip: z.number().int().optional().describe('Absent when paging by cursor.'),
  next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
});
responseComponents.add(jobPageSchema, { id: 'JobPage' });

export const playbackUrlsSchema = z.object({
  expires_at: dateTime.describe('When every URL here stops working.'),
  hls: z.string().optional().describe('The HLS master playlist: `/play/{token}/{path}`.'),
  dash: z.string().optional().describe('The DASH MPD.'),
  video: z.string().optional().describe('A video file (MP4, WebM, …) for a <video> element.'),
  audio: z.string().optional().describe('An audio file for an <audio> element.'),
  vtt: z.string().optional().describe('WebVTT subtitles (transcribe) for a <track> element.'),
  poster: z.string().optional(),
  storyboard: z.string().optional().describe('A WebVTT file of thumbnail cues.'),
  storyboard_image: z.string().optional().describe('The sprite the storyboard cues point into.'),
});
responseComponents.add(playbackUrlsSchema, { id: 'PlaybackUrls' });

export const operationInfoSchema = z.object({
  name: z.string().describe('Its `method_name` for POST /process.'),
  aliases: z.array(z.string()).describe('Other names POST /process accepts for it.'),
  summary: z.string(),
  multiple_sources: z.boolean().describe('It takes `sources` (several inputs, in order) instead of one `source`.'),
  output_formats: z.array(z.string()).describe('Every `output_format` it accepts, the default first.'),
  default_output_format: z
    .string()
    .nullable()
    .describe('What `output_format` is when left out; null: it must be given.'),
  params_schema: z
    .record(z.string(), z.unknown())
    .describe('JSON Schema (2020-12) of `params`: types, bounds, enums and defaults, for building a form.'),
});
responseComponents.add(operationInfoSchema, { id: 'OperationInfo' });

export const presetInfoSchema = z.object({
  name: z.string().describe('Its `preset` for POST /process.'),
  summary: z.string().describe('One sentence: what it makes.'),
  multiple_sources: z
    .boolean()
    .describe('It takes `sources` (several inputs, in order; its first step reads them) as well as one `source`.'),
  steps: z
    .array(
      z.object({
        method_name: z.string(),
        output_format: z.string().nullable().describe('null: the operation’s default.'),
      }),
    )
    .min(1)
    .describe('The operations it runs, in order; the last one writes the job’s result.'),
  params_schema: z
    .record(z.string(), z.unknown())
    .describe('JSON Schema (2020-12) of the `params` it takes (`language`, `model`), for building a form.'),
});
responseComponents.add(presetInfoSchema, { id: 'PresetInfo' });

export const operationListSchema = z.object({
  operations: z.array(operationInfoSchema).describe('Every registered operation, in registry order.'),
  presets: z.array(presetInfoSchema).describe('Every preset: a named chain of operations, submitted with `preset`.'),
});
responseComponents.add(operationListSchema, { id: 'OperationList' });

export const jobActionResultSchema = z.object({
  job_id: uuid,
  status: z.enum(JOB_STATUSES),
  cancel_requested: z.boolean().optional().describe('Cancel only: true while the running job is being stopped.'),
});
responseComponents.add(jobActionResultSchema, { id: 'JobActionResult' });

export const deadLetterPageSchema = z.object({
  jobs: z.array(jobViewSchema),
  next_cursor: z.string().nullable(),
});
responseComponents.add(deadLetterPageSchema, { id: 'DeadLetterPage' });

export const replayResultSchema = z.object({
  replayed: z.array(z.string()).describe('The jobs queued again.'),
  count: z.number().int().min(0),
});
responseComponents.add(replayResultSchema, { id: 'ReplayResult' });

// --- Multipart uploads (services/api/src/uploads) ---

const uploadId = z
  .string()
  .min(1)
  .max(4096)
  .meta({ pattern: '^[A-Za-z0-9_-]+$' })
  .describe('The opaque `upload_id` POST /uploads returned.');

export const uploadIdParamsSchema = z.object({ upload_id: uploadId });

export const createUploadBodySchema = z.strictObject({
  filename: z.string().min(1).max(1024).describe('Reduced to a safe name as for PUT /uploads/{filename}.'),
  size_bytes: z.number().int().min(1).describe('The exact size of the file; the completed object must match it.'),
  content_type: z
    .string()
    .min(3)
    .max(129)
    .describe('`video/*`, `audio/*` or `application/octet-stream`; stored with the object.'),
});
requestComponents.add(createUploadBodySchema, { id: 'CreateUpload' });

export const partUrlSchema = z.object({
  part_number: z.number().int().min(1).max(10_000),
  size_bytes: z.number().int().min(1).describe('The exact body this URL accepts.'),
  url: z.string().describe('PUT the part here, with no API key; the response `ETag` header names it for completion.'),
  expires_at: dateTime,
});
responseComponents.add(partUrlSchema, { id: 'PartUrl' });

export const createdUploadSchema = z.object({
  upload_id: uploadId,
  part_size_bytes: z.number().int().describe('Every part but the last has this size.'),
  part_count: z.number().int().min(1).max(10_000),
  parts: z.array(partUrlSchema).describe('URLs for the first parts (up to 100); GET /uploads/{id}/parts for more.'),
  source: z.string().describe('Where the file will be once complete: pass it to POST /process then.'),
});
responseComponents.add(createdUploadSchema, { id: 'CreatedUpload' });

export const partUrlsQuerySchema = z.object({
  from: z.coerce.number().int().min(1).max(10_000).default(1).describe('First part number.'),
  count: z.coerce.number().int().min(1).max(1000).default(100).describe('How many URLs.'),
});

export const partUrlsSchema = z.object({ parts: z.array(partUrlSchema) });
responseComponents.add(partUrlsSchema, { id: 'PartUrls' });

export const partNumberParamsSchema = z.object({
  upload_id: uploadId,
  part_number: z.coerce.number().int().min(1).max(10_000),
});

export const partTokenQuerySchema = z.object({
  token: z.string().min(1).max(200).describe('Signed by the API: expiry, upload and part.'),
});

export const completeUploadBodySchema = z.strictObject({
  parts: z
    .array(
      z.strictObject({
        part_number: z.number().int().min(1).max(10_000),
        etag: z.string().min(1).max(200).describe('The `ETag` header of the part’s PUT response.'),
      }),
    )
    .min(1)
    .max(10_000)
    .describe('Every part, in ascending part-number order.'),
});
requestComponents.add(completeUploadBodySchema, { id: 'CompleteUpload' });

export const completedUploadSchema = z.object({
  status: z.literal('complete'),
  source: z.string().describe('Pass this as `source` to POST /process.'),
  size_bytes: z.number().int().min(0),
  content_type: z.string(),
  sha256: z.string().describe('SHA-256 of the whole file, lower-case hex.'),
});
responseComponents.add(completedUploadSchema, { id: 'CompletedUpload' });

export const uploadStatusSchema = z.union([
  completedUploadSchema,
  z.object({
    status: z.literal('in_progress'),
    source: z.string(),
    size_bytes: z.number().int(),
    content_type: z.string(),
    part_size_bytes: z.number().int(),
    part_count: z.number().int(),
    received_bytes: z.number().int(),
    parts: z
      .array(z.object({ part_number: z.number().int(), etag: z.string(), size_bytes: z.number().int() }))
      .describe('Parts the store holds: upload the others, then complete with all of them.'),
    created_at: dateTime,
  }),
]);
responseComponents.add(uploadStatusSchema, { id: 'UploadStatus' });

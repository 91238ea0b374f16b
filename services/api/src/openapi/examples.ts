/**
 * Request and response examples for the main routes, shown on /docs and put
 * in the OpenAPI document as `example`. A unit test parses each one with the
 * schema of its route, so an example cannot drift from what the API accepts
 * and answers.
 */

const JOB_ID = '6f0e8c1a-4b2d-4e8f-9a3c-2d7b5e1f0a94';
const SOURCE = 's3://mediaflow-input/uploads/1d4c9e2f-7a8b-4c3d-9e1f-2a3b4c5d6e7f/holiday.mp4';
const SHA256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

export const rootExample = {
  status: 'ok',
  dashboard: '/app',
  docs: '/docs',
  openapi: '/openapi.json',
  health: '/healthz',
  readiness: '/readyz',
} as const;

export const readinessExample = { status: 'ready', checks: { database: 'ok', queue: 'ok', storage: 'ok' } } as const;

export const uploadResultExample = {
  source: SOURCE,
  size_bytes: 5_242_880,
  content_type: 'video/mp4',
  sha256: SHA256,
} as const;

export const submitJobExample = { source: SOURCE, method_name: 'compress', params: { crf: 28 } } as const;

/** A recording's chunks (PUT /uploads/{filename} each), joined then turned black and white, as one job. */
export const submitStepsJobExample = {
  sources: [
    's3://mediaflow-input/uploads/1d4c9e2f-7a8b-4c3d-9e1f-2a3b4c5d6e7f/chunk-0.webm',
    's3://mediaflow-input/uploads/2e5d0f3a-8b9c-4d4e-8f2a-3b4c5d6e7f80/chunk-1.webm',
  ],
  steps: [
    { method_name: 'concat', params: { preset: 'veryfast' } },
    { method_name: 'grayscale', output_format: 'mp4' },
    { method_name: 'compress', params: { crf: 30 } },
  ],
} as const;

export const submitPresetJobExample = {
  sources: [
    's3://mediaflow-input/uploads/1d4c9e2f-7a8b-4c3d-9e1f-2a3b4c5d6e7f/chunk-0.webm',
    's3://mediaflow-input/uploads/2e5d0f3a-8b9c-4d4e-8f2a-3b4c5d6e7f80/chunk-1.webm',
  ],
  preset: 'meeting_recording',
  params: { language: 'en' },
} as const;

/** POST /process request examples, one per form of the body. */
export const submitJobExamples = {
  operation: { summary: 'One operation (`method_name`) on one source', value: submitJobExample },
  steps: { summary: 'A multi-step job (`steps`): concat, then grayscale, then compress', value: submitStepsJobExample },
  preset: {
    summary: 'A preset (`preset`): a meeting recording’s chunks into one subtitled MP4',
    value: submitPresetJobExample,
  },
} as const;

export const submitResultExample = { job_id: JOB_ID, status: 'queued' } as const;

export const jobViewExample = {
  job_id: JOB_ID,
  status: 'completed',
  method_name: 'compress',
  output_format: 'mp4',
  params: { crf: 28, preset: 'veryfast' },
  source: SOURCE,
  progress: 100,
  attempts: 1,
  source_sha256: SHA256,
  created_at: '2026-11-30T10:00:00.000Z',
  updated_at: '2026-11-30T10:00:12.400Z',
  started_at: '2026-11-30T10:00:00.300Z',
  completed_at: '2026-11-30T10:00:12.400Z',
  error: null,
  history: [
    { status: 'queued', at: '2026-11-30T10:00:00.000Z' },
    { status: 'processing', at: '2026-11-30T10:00:00.300Z', worker_id: 'worker-1', attempt: 1 },
    { status: 'completed', at: '2026-11-30T10:00:12.400Z', worker_id: 'worker-1', attempt: 1 },
  ],
  outputs: [
    {
      kind: 'video',
      path: 'holiday_compressed.mp4',
      content_type: 'video/mp4',
      size_bytes: 1_048_576,
      primary: true,
      url: `/jobs/${JOB_ID}/files/holiday_compressed.mp4`,
    },
    {
      kind: 'log',
      path: 'ffmpeg.log',
      content_type: 'text/plain',
      size_bytes: 4_096,
      url: `/jobs/${JOB_ID}/files/ffmpeg.log`,
    },
  ],
} as const;

export const jobPageExample = { jobs: [jobViewExample], count: 1, limit: 10, skip: 0, next_cursor: null } as const;

export const validationErrorExample = {
  error: {
    code: 'VALIDATION_FAILED',
    message: 'params.crf: Too big: expected number to be <=51',
    details: [{ path: 'params.crf', message: 'Too big: expected number to be <=51' }],
  },
} as const;

import { z } from 'zod';

/**
 * Vocabulary the operations share (containers, audio formats, encoder
 * presets, Whisper model names) and the request envelope. Each operation's
 * own schema, planner and output manifest live in @mediaflow/operations.
 */

export const VIDEO_CONTAINERS = ['mp4', 'webm', 'mkv', 'mov'] as const;
export const AUDIO_FORMATS = ['mp3', 'm4a', 'wav', 'opus'] as const;
export const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;
/**
 * The Whisper models a job may name: the CTranslate2 conversions published as
 * Systran/faster-whisper-<name>. The worker resolves a name to a directory
 * under WHISPER_MODEL_DIR (@mediaflow/media re-exports this list as
 * KNOWN_WHISPER_MODELS). A path is never accepted from a job: which files a
 * worker loads is the operator's choice (the WHISPER_MODEL setting).
 */
export const WHISPER_MODELS = [
  'tiny',
  'tiny.en',
  'base',
  'base.en',
  'small',
  'small.en',
  'medium',
  'medium.en',
  'large-v1',
  'large-v2',
  'large-v3',
] as const;
export type WhisperModelName = (typeof WHISPER_MODELS)[number];

export function isWhisperModelName(value: string): value is WhisperModelName {
  return (WHISPER_MODELS as readonly string[]).includes(value);
}

export type VideoContainer = (typeof VIDEO_CONTAINERS)[number];
export type AudioFormat = (typeof AUDIO_FORMATS)[number];
export type OutputFormat = VideoContainer | AudioFormat | 'srt';

export const OPERATION_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * The operation fields of a job as stored and queued, whatever the operation.
 * Each operation's own schema (in @mediaflow/operations) narrows these; the
 * domain, the repositories and the queue only carry them.
 */
export interface OperationSpec {
  /** The canonical operation name, e.g. "compress" or "adaptive_stream". */
  method_name: string;
  output_format: string;
  /** The normalised params: the operation's schema applied, defaults filled in. */
  params: Record<string, unknown>;
}

/**
 * The POST /process envelope. Exactly one of `source` (one input) and
 * `sources` (several, in order; how many an operation takes is its own
 * declaration) is given; the count's ceiling (MAX_SOURCES_PER_JOB) is the
 * server's setting, checked after this schema.
 */
/** The most steps one job may chain (`steps`). */
export const MAX_JOB_STEPS = 8;

/** One entry of a multi-step job's `steps`: an operation as a one-step job names it. */
export const submitStepSchema = z.strictObject({
  method_name: z.string().min(1).max(64),
  output_format: z.string().min(1).max(16).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});

/**
 * `method_name` (with `output_format`, `params`) names one operation; `steps`
 * instead names a chain, each step reading the previous step's primary output.
 * Exactly one of the two is given (checked after this schema).
 */
export const submitJobSchema = z.strictObject({
  source: z.string().min(1).max(1100).optional(),
  sources: z.array(z.string().min(1).max(1100)).min(1).max(1000).optional(),
  method_name: z.string().min(1).max(64).optional(),
  output_format: z.string().min(1).max(16).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  steps: z.array(submitStepSchema).min(1).max(MAX_JOB_STEPS).optional(),
  /** A named chain of steps (see JOB_PRESETS in @mediaflow/operations), instead of `method_name` or `steps`. */
  preset: z.string().min(1).max(64).optional(),
});
export type SubmitJobRequest = z.infer<typeof submitJobSchema>;

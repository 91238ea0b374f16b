import { z } from 'zod';

/**
 * The operations a job can run, as zod schemas. These schemas are the single
 * source of truth: the API validates requests with them, and the worker
 * re-parses the stored job with them before building FFmpeg arguments.
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

const dimension = z.number().int().min(16).max(7680);

export const compressParams = z.strictObject({
  crf: z.number().int().min(0).max(51).default(28),
  preset: z.enum(X264_PRESETS).default('veryfast'),
});

export const resizeParams = z.strictObject({
  width: dimension.optional(),
  height: dimension.optional(),
});

export const transcribeParams = z.strictObject({
  model: z.enum(WHISPER_MODELS, { error: () => `model must be one of ${WHISPER_MODELS.join(', ')}` }).optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}$/, 'language must be an ISO 639-1/639-3 code such as "en"')
    .optional(),
  embed_subtitles: z.boolean().optional(),
});

const emptyParams = z.strictObject({});

export const OPERATION_NAMES = [
  'compress',
  'extract_audio',
  'resize',
  'convert_format',
  'grayscale',
  'transcribe',
] as const;
export type OperationName = (typeof OPERATION_NAMES)[number];

/** Names accepted on the wire that mean an operation under another name. */
export const OPERATION_ALIASES: Readonly<Record<string, OperationName>> = {
  black_and_white: 'grayscale',
};

export const operationSchema = z.discriminatedUnion('method_name', [
  z.strictObject({
    method_name: z.literal('compress'),
    output_format: z.literal('mp4').default('mp4'),
    params: compressParams.default({ crf: 28, preset: 'veryfast' }),
  }),
  z.strictObject({
    method_name: z.literal('extract_audio'),
    output_format: z.enum(AUDIO_FORMATS).default('mp3'),
    params: emptyParams.default({}),
  }),
  z.strictObject({
    method_name: z.literal('resize'),
    output_format: z.enum(VIDEO_CONTAINERS).default('mp4'),
    params: resizeParams.default({}),
  }),
  z.strictObject({
    method_name: z.literal('convert_format'),
    output_format: z.enum(VIDEO_CONTAINERS),
    params: emptyParams.default({}),
  }),
  z.strictObject({
    method_name: z.literal('grayscale'),
    output_format: z.enum(VIDEO_CONTAINERS).default('mp4'),
    params: emptyParams.default({}),
  }),
  z.strictObject({
    method_name: z.literal('transcribe'),
    output_format: z.literal('srt').default('srt'),
    params: transcribeParams.default({}),
  }),
]);

export type Operation = z.infer<typeof operationSchema>;
export type OperationOf<N extends OperationName> = Extract<Operation, { method_name: N }>;

export const submitJobSchema = z.strictObject({
  source: z.string().min(1).max(1100),
  method_name: z.string().min(1).max(64),
  output_format: z.string().min(1).max(16).optional(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type SubmitJobRequest = z.infer<typeof submitJobSchema>;

export function canonicalOperationName(name: string): OperationName | undefined {
  if ((OPERATION_NAMES as readonly string[]).includes(name)) return name as OperationName;
  return OPERATION_ALIASES[name];
}

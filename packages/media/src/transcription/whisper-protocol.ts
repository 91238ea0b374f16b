import type { TranscriptSegment } from './transcriber';

/**
 * What scripts/whisper/transcribe.py writes on stdout, narrowed from parsed
 * JSON. Anything that does not fit is `undefined`, never a guess.
 */

export interface HelperRequest {
  id: string;
  audio_path: string;
  model_dir: string;
  language?: string;
  beam_size?: number;
}

export type HelperErrorCode =
  'MODEL_NOT_FOUND' | 'UNSUPPORTED_LANGUAGE' | 'AUDIO_UNREADABLE' | 'BAD_REQUEST' | 'TRANSCRIBE_FAILED';

export type HelperEvent =
  | { type: 'ready'; pid?: number; versions: Record<string, unknown> }
  | { type: 'fatal'; code: string; message: string }
  | { type: 'model_loaded'; id: string | null; modelDir: string; loadSec: number }
  | { type: 'progress'; id: string | null; processedSec: number; durationSec: number }
  | {
      type: 'result';
      id: string | null;
      language: string;
      languageProbability?: number;
      durationSec: number;
      segments: TranscriptSegment[];
    }
  | { type: 'error'; id: string | null; code: string; message: string };

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function requestId(fields: Fields): string | null | undefined {
  if (fields.id === null || fields.id === undefined) return null;
  return text(fields.id);
}

function segment(value: unknown): TranscriptSegment | undefined {
  if (!isObject(value)) return undefined;
  const start = finite(value.start);
  const end = finite(value.end);
  const words = text(value.text);
  if (start === undefined || end === undefined || words === undefined) return undefined;
  return { start, end, text: words };
}

export function parseHelperEvent(value: unknown): HelperEvent | undefined {
  if (!isObject(value)) return undefined;
  const id = requestId(value);
  switch (value.type) {
    case 'ready': {
      const pid = finite(value.pid);
      const versions = Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'type' && key !== 'pid'));
      return { type: 'ready', ...(pid === undefined ? {} : { pid }), versions };
    }
    case 'fatal':
      return { type: 'fatal', code: text(value.code) ?? 'UNKNOWN', message: text(value.message) ?? '' };
    case 'model_loaded': {
      const modelDir = text(value.model_dir);
      const loadSec = finite(value.load_sec);
      if (id === undefined || modelDir === undefined || loadSec === undefined) return undefined;
      return { type: 'model_loaded', id, modelDir, loadSec };
    }
    case 'progress': {
      const processedSec = finite(value.processed_sec);
      const durationSec = finite(value.duration_sec);
      if (id === undefined || processedSec === undefined || durationSec === undefined) return undefined;
      return { type: 'progress', id, processedSec, durationSec };
    }
    case 'result': {
      const language = text(value.language);
      const durationSec = finite(value.duration_sec);
      const probability = finite(value.language_probability);
      if (id === undefined || language === undefined || durationSec === undefined) return undefined;
      if (!Array.isArray(value.segments)) return undefined;
      const segments = value.segments.map(segment);
      if (segments.some((entry) => entry === undefined)) return undefined;
      return {
        type: 'result',
        id,
        language,
        ...(probability === undefined ? {} : { languageProbability: probability }),
        durationSec,
        segments: segments.filter((entry): entry is TranscriptSegment => entry !== undefined),
      };
    }
    case 'error': {
      if (id === undefined) return undefined;
      return { type: 'error', id, code: text(value.code) ?? 'TRANSCRIBE_FAILED', message: text(value.message) ?? '' };
    }
    default:
      return undefined;
  }
}

/**
 * The transcriber port: what the worker needs from a speech recogniser,
 * whatever engine sits behind it. Times are seconds from the start of the
 * media; segments come in order and may be empty when nothing was said.
 */

export interface TranscriptSegment {
  start: number;
  end: number;
  text: string;
}

export interface Transcript {
  /** ISO 639-1 code: the caller's hint when given, else what the model detected. */
  language: string;
  /** The model's confidence in `language`; 1 when the caller named the language. */
  languageProbability?: number;
  durationSec: number;
  /** The model as the caller asked for it: a name such as "base" or a directory. */
  model: string;
  segments: TranscriptSegment[];
}

export interface TranscriptionProgress {
  processedSec: number;
  durationSec: number;
}

export interface TranscriptionRequest {
  /** A local file FFmpeg/PyAV can decode: audio, or video with an audio stream. */
  audioPath: string;
  /** A model name ("base", "small", ...) or an absolute path to a model directory. */
  model: string;
  /** A hint; without it the language is detected and reported. */
  language?: string;
  signal?: AbortSignal;
  onProgress?: (progress: TranscriptionProgress) => void;
}

export abstract class Transcriber {
  abstract transcribe(request: TranscriptionRequest): Promise<Transcript>;
  /** Releases the engine (processes, loaded models); later calls fail. */
  abstract close(): Promise<void>;
}

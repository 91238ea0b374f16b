import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import type { AppConfig } from '@mediaflow/domain';
import { UNKNOWN_DURATION_ASSUMED_SEC } from '@mediaflow/media';
import type { Transcriber } from '@mediaflow/media';
import type { RecogniseSpeechStep } from '@mediaflow/operations';
import { jobTimeLimitMs } from '../retry-policy';
import type { Semaphore } from '../semaphore';
import type { StepContext, StepExecutor } from './step-executor';

/**
 * The watchdog's patience with a transcription. faster-whisper reports once
 * per segment (up to 30 s of speech), and before the first one it loads the
 * model (seconds for base, far longer for large-v3) and runs voice-activity
 * detection over the whole file, so FFmpeg's stall timeout would kill healthy
 * jobs. Never less than 300 s, or FFMPEG_STALL_TIMEOUT if that is longer.
 */
export const TRANSCRIPTION_MIN_STALL_SECONDS = 300;

export function transcriptionStallMs(config: Pick<AppConfig, 'FFMPEG_STALL_TIMEOUT'>): number {
  return Math.max(config.FFMPEG_STALL_TIMEOUT, TRANSCRIPTION_MIN_STALL_SECONDS) * 1000;
}

export interface RecogniseSpeechDeps {
  /** Without one, transcription steps fail with OPERATION_NOT_AVAILABLE. */
  transcriber: Transcriber | undefined;
  /** Bounds concurrent recognitions on this worker (TRANSCRIBE_CONCURRENCY), apart from FFmpeg jobs. */
  slots: Semaphore | undefined;
}

/**
 * Slot, watchdog, then the recognition itself. The slot is taken first, so
 * time spent waiting for another transcription to finish is neither a stall
 * nor counted against the time limit (the progress reporter's timer keeps
 * the lease alive meanwhile). Speed is audio seconds per wall-clock second
 * (the same "x realtime" FFmpeg reports); there is no ETA until some audio is
 * done, since the model load and the voice-activity pass come first.
 * @throws AppError OPERATION_NOT_AVAILABLE without a transcriber; the transcriber's own codes.
 */
export function recogniseSpeechExecutor(deps: RecogniseSpeechDeps): StepExecutor<RecogniseSpeechStep> {
  return async (step: RecogniseSpeechStep, context: StepContext): Promise<void> => {
    const { transcriber, slots } = deps;
    if (!transcriber) throw new AppError('OPERATION_NOT_AVAILABLE', 'transcription is not set up on this worker');
    const waitingSince = Date.now();
    const release = await slots?.acquire(context.signal);
    // Operators (and the e2e test) see from these two lines how TRANSCRIBE_CONCURRENCY played out.
    context.logger.info('transcription slot taken', { waitedMs: Date.now() - waitingSince });
    try {
      const durationSec = context.probe.durationSec > 0 ? context.probe.durationSec : UNKNOWN_DURATION_ASSUMED_SEC;
      context.watch({
        what: 'transcription',
        stallMs: transcriptionStallMs(context.config),
        limitMs: jobTimeLimitMs(durationSec, context.config.JOB_TIMEOUT_FACTOR, context.config.JOB_TIMEOUT_MIN_SECONDS),
      });
      context.log(`# whisper: model=${step.model} language=${step.language ?? 'detect'}`);
      context.onProgress({ percent: 0 });
      const started = Date.now();
      const transcript = await transcriber.transcribe({
        audioPath: path.join(context.workDir, step.audioPath),
        model: step.model,
        ...(step.language === undefined ? {} : { language: step.language }),
        signal: context.signal,
        onProgress: ({ processedSec, durationSec: total }) => {
          const done = Math.min(Math.max(0, processedSec), total);
          const elapsedSec = (Date.now() - started) / 1000;
          const percent = total > 0 ? (done / total) * 100 : 0;
          if (done <= 0 || elapsedSec <= 0) {
            context.onProgress({ percent });
            return;
          }
          const speed = done / elapsedSec;
          context.onProgress({ percent, speed: Math.round(speed * 100) / 100, etaSeconds: (total - done) / speed });
        },
      });
      const recognitionSec = (Date.now() - started) / 1000;
      const rtf = transcript.durationSec > 0 ? recognitionSec / transcript.durationSec : 0;
      const figures = {
        model: step.model,
        language: transcript.language,
        language_probability: transcript.languageProbability,
        audio_sec: transcript.durationSec,
        recognition_sec: Math.round(recognitionSec * 1000) / 1000,
        rtf: Math.round(rtf * 1000) / 1000,
        segments: transcript.segments.length,
      };
      context.log(`# whisper: done ${JSON.stringify(figures)}\n`);
      context.logger.info('transcription recognised', figures);
      if (rtf > 0) context.metrics?.transcription(step.model, rtf);
      await writeFile(path.join(context.workDir, step.transcriptPath), JSON.stringify(transcript), 'utf8');
      context.onProgress({ percent: 100 });
    } finally {
      release?.();
      context.logger.info('transcription slot released');
    }
  };
}

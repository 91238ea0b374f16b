import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError, formatS3Uri, isAppError } from '@mediaflow/domain';
import type { AppConfig, Job, JobOutput, Logger, ObjectRef, OperationOf, OutputKind } from '@mediaflow/domain';
import {
  ffmpegProcessLimits,
  planSubtitleMux,
  planTranscriptionAudio,
  runFfmpeg,
  toSrt,
  toTranscriptJson,
  toWebVtt,
  UNKNOWN_DURATION_ASSUMED_SEC,
} from '@mediaflow/media';
import type { FfmpegPlan, MediaLimitsConfig, MediaProbe, Transcriber, Transcript } from '@mediaflow/media';
import type { ObjectStore } from '@mediaflow/storage';
import { outputBaseName } from './output-keys';
import type { JobOutputKeys } from './output-keys';
import type { ProgressSnapshot } from './progress-reporter';
import { jobTimeLimitMs } from './retry-policy';
import type { Semaphore } from './semaphore';
import { recognitionSnapshot, transcriptionPhases, withinPhase } from './transcription-progress';
import type { PhaseSpan } from './transcription-progress';
import { Watchdog } from './watchdog';
import type { WatchdogVerdict } from './watchdog';

export type TranscriptionJobConfig = Pick<
  AppConfig,
  'FFMPEG_PATH' | 'WHISPER_MODEL' | 'FFMPEG_STALL_TIMEOUT' | 'JOB_TIMEOUT_FACTOR' | 'JOB_TIMEOUT_MIN_SECONDS'
> &
  MediaLimitsConfig;

/** Where a transcription's files go, next to each other under the job's folder. */
export interface TranscriptionOutputKeys extends JobOutputKeys {
  srt: ObjectRef;
  vtt: ObjectRef;
  json: ObjectRef;
  /** Only when the subtitles are muxed into a copy of the video. */
  video?: ObjectRef;
}

export interface TranscriptionResult {
  /** In the order they are listed to clients: srt (the primary one), vtt, json, then the video if any. */
  outputs: JobOutput[];
  primaryPath: string;
  /** The FFmpeg commands and their output, and what the recogniser did, for the job's log file. */
  log: string;
  transcript: Transcript;
}

export interface TranscriptionJobOptions {
  job: Pick<Job, 'job_id'>;
  operation: OperationOf<'transcribe'>;
  probe: MediaProbe;
  /** The downloaded source, inside workDir. */
  inputPath: string;
  workDir: string;
  keys: TranscriptionOutputKeys;
  store: ObjectStore;
  transcriber: Transcriber;
  config: TranscriptionJobConfig;
  signal: AbortSignal;
  onProgress: (progress: ProgressSnapshot) => void;
  logger: Logger;
}

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

/** Subtitles go into a copy of the video unless the job said not to; audio has nothing to put them in. */
export function embedsSubtitles(operation: OperationOf<'transcribe'>, probe: Pick<MediaProbe, 'video'>): boolean {
  return probe.video !== undefined && operation.params.embed_subtitles !== false;
}

export function transcriptionOutputKeys(options: {
  bucket: string;
  prefix: string;
  jobId: string;
  sourceKey: string;
  video: boolean;
}): TranscriptionOutputKeys {
  const folder = `${options.prefix}${options.jobId}/`;
  const ref = (name: string): ObjectRef => ({ bucket: options.bucket, key: `${folder}${name}` });
  const srt = ref('transcript.srt');
  const vtt = ref('transcript.vtt');
  const json = ref('transcript.json');
  const video = options.video ? ref(`${outputBaseName(options.sourceKey, 'subtitled')}.mp4`) : undefined;
  return {
    srt,
    vtt,
    json,
    ...(video ? { video } : {}),
    output: srt,
    log: ref('transcription.log'),
    extra: video ? [vtt, json, video] : [vtt, json],
  };
}

const CONTENT_TYPES: Record<Extract<OutputKind, 'srt' | 'vtt' | 'json' | 'video'>, string> = {
  srt: 'application/x-subrip; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
  json: 'application/json; charset=utf-8',
  video: 'video/mp4',
};

/**
 * Slot, watchdog, then the transcription itself. The slot is taken first, so
 * time spent waiting for another transcription to finish is neither a stall
 * nor counted against the time limit (the lease is kept alive meanwhile by
 * the progress reporter's timer).
 */
export async function runTranscriptionAttempt(
  options: Omit<TranscriptionJobOptions, 'transcriber'> & {
    transcriber: Transcriber | undefined;
    slots: Semaphore | undefined;
    onWatchdog: (verdict: WatchdogVerdict) => void;
  },
): Promise<TranscriptionResult> {
  const { transcriber, slots, onWatchdog, config, probe } = options;
  if (!transcriber) throw new AppError('OPERATION_NOT_AVAILABLE', 'transcription is not set up on this worker');
  const waitingSince = Date.now();
  const release = await slots?.acquire(options.signal);
  // Operators (and the e2e test) see from these two lines how TRANSCRIBE_CONCURRENCY played out.
  options.logger.info('transcription slot taken', { waitedMs: Date.now() - waitingSince });
  const durationSec = probe.durationSec > 0 ? probe.durationSec : UNKNOWN_DURATION_ASSUMED_SEC;
  const watchdog = new Watchdog({
    stallMs: transcriptionStallMs(config),
    limitMs: jobTimeLimitMs(durationSec, config.JOB_TIMEOUT_FACTOR, config.JOB_TIMEOUT_MIN_SECONDS),
    onFire: onWatchdog,
  });
  try {
    return await runTranscription({
      ...options,
      transcriber,
      onProgress: (progress) => {
        watchdog.touch();
        options.onProgress(progress);
      },
    });
  } finally {
    watchdog.stop();
    release?.();
    options.logger.info('transcription slot released');
  }
}

/**
 * Audio out of the source (FFmpeg, 16 kHz mono WAV), speech recognised from
 * it, the transcript written as SRT, WebVTT and JSON, the SRT muxed into a
 * copy of the video when there is one, and everything uploaded. Input without
 * any audio, or with nothing said, gives an empty transcript, not a failure.
 */
export async function runTranscription(options: TranscriptionJobOptions): Promise<TranscriptionResult> {
  const { operation, probe, workDir, keys, signal, onProgress, logger, config } = options;
  const phases = transcriptionPhases(keys.video !== undefined);
  const model = operation.params.model ?? config.WHISPER_MODEL;
  const log: string[] = [];
  const files: { kind: keyof typeof CONTENT_TYPES; file: string; ref: ObjectRef }[] = [];

  try {
    let transcript: Transcript;
    if (probe.audio) {
      const audioPath = path.join(workDir, 'transcription-audio.wav');
      const extract = planTranscriptionAudio(probe, { inputPath: options.inputPath, outputPath: audioPath });
      await runStep(extract, phases.extract, options, log);
      transcript = await recognise(options, audioPath, model, phases.recognise, log);
    } else {
      // Nothing to hear: the transcript of a video without sound is empty.
      transcript = {
        language: operation.params.language ?? 'und',
        durationSec: probe.durationSec,
        model,
        segments: [],
      };
      log.push('# the input has no audio stream: the transcript is empty\n');
    }
    // An operator's model path stays on the worker; clients see its name.
    const shown: Transcript = { ...transcript, model: path.isAbsolute(model) ? path.basename(model) : model };

    const srtPath = path.join(workDir, 'transcript.srt');
    const vttPath = path.join(workDir, 'transcript.vtt');
    const jsonPath = path.join(workDir, 'transcript.json');
    await writeFile(srtPath, toSrt(shown.segments), 'utf8');
    await writeFile(vttPath, toWebVtt(shown.segments), 'utf8');
    await writeFile(jsonPath, toTranscriptJson(shown), 'utf8');
    files.push(
      { kind: 'srt', file: srtPath, ref: keys.srt },
      { kind: 'vtt', file: vttPath, ref: keys.vtt },
      { kind: 'json', file: jsonPath, ref: keys.json },
    );

    if (keys.video && phases.mux) {
      const videoPath = path.join(workDir, 'subtitled.mp4');
      const mux = planSubtitleMux(
        probe,
        { inputPath: options.inputPath, subtitlesPath: srtPath, outputPath: videoPath },
        { language: shown.language },
      );
      await runStep(mux, phases.mux, options, log);
      files.push({ kind: 'video', file: videoPath, ref: keys.video });
    }

    const outputs: JobOutput[] = [];
    for (const { kind, file, ref } of files) {
      const { size } = await stat(file);
      const contentType = CONTENT_TYPES[kind];
      await options.store.put(ref, createReadStream(file), { contentType, contentLength: size, signal });
      outputs.push({ kind, path: formatS3Uri(ref), content_type: contentType, size_bytes: size });
    }
    onProgress({ percent: 100 });
    logger.info('transcription outputs stored', { outputs: outputs.map((output) => output.kind) });
    return { outputs, primaryPath: formatS3Uri(keys.srt), log: log.join('\n'), transcript: shown };
  } catch (error) {
    throw withLog(error, log.join('\n'));
  }
}

async function runStep(
  plan: FfmpegPlan,
  span: PhaseSpan,
  options: TranscriptionJobOptions,
  log: string[],
): Promise<void> {
  const { config, probe, signal, workDir, onProgress } = options;
  log.push(commandLine(config.FFMPEG_PATH, plan.args));
  const result = await runFfmpeg({
    ffmpegPath: config.FFMPEG_PATH,
    args: plan.args,
    durationSec: plan.expectedDurationSec,
    signal,
    cwd: workDir,
    limits: ffmpegProcessLimits(config, probe),
    onProgress: (progress) =>
      onProgress({
        percent: withinPhase(span, progress.percent),
        ...(progress.speed === undefined ? {} : { speed: progress.speed }),
        // Only the last step's remaining time is the job's remaining time.
        ...(span.to === 100 && progress.etaSeconds !== undefined ? { etaSeconds: progress.etaSeconds } : {}),
      }),
  });
  log.push(`${result.log}\n`);
}

async function recognise(
  options: TranscriptionJobOptions,
  audioPath: string,
  model: string,
  span: PhaseSpan,
  log: string[],
): Promise<Transcript> {
  const { operation, signal, onProgress, logger } = options;
  const language = operation.params.language;
  log.push(`# whisper: model=${model} language=${language ?? 'detect'}`);
  onProgress({ percent: span.from });
  const started = Date.now();
  const transcript = await options.transcriber.transcribe({
    audioPath,
    model,
    ...(language === undefined ? {} : { language }),
    signal,
    onProgress: ({ processedSec, durationSec }) =>
      onProgress(recognitionSnapshot({ span, processedSec, durationSec, elapsedSec: (Date.now() - started) / 1000 })),
  });
  const recognitionSec = (Date.now() - started) / 1000;
  const rtf = transcript.durationSec > 0 ? recognitionSec / transcript.durationSec : 0;
  const figures = {
    model,
    language: transcript.language,
    language_probability: transcript.languageProbability,
    audio_sec: transcript.durationSec,
    recognition_sec: Math.round(recognitionSec * 1000) / 1000,
    rtf: Math.round(rtf * 1000) / 1000,
    segments: transcript.segments.length,
  };
  log.push(`# whisper: done ${JSON.stringify(figures)}\n`);
  logger.info('transcription recognised', figures);
  return transcript;
}

/** The job's log travels with a failure, as FfmpegFailure's does, so the handler can keep it. */
class TranscriptionStepFailure extends AppError {
  constructor(
    cause: AppError,
    readonly log: string,
  ) {
    super(cause.code, cause.message, { cause, ...(cause.details === undefined ? {} : { details: cause.details }) });
    this.name = 'TranscriptionStepFailure';
  }
}

function withLog(error: unknown, log: string): unknown {
  if (!isAppError(error) || log === '') return error;
  const own = 'log' in error && typeof error.log === 'string' ? error.log : '';
  return new TranscriptionStepFailure(error, own === '' ? log : `${log}\n${own}`);
}

/** The command as a reader of the log would retype it; only our own temp paths appear in it. */
function commandLine(binary: string, args: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['$', binary, ...args.map(quote)].join(' ');
}

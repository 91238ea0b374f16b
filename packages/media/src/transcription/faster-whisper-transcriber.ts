import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { AppError } from '@mediaflow/domain';
import { abortedError } from '../capture-process';
import { Transcriber } from './transcriber';
import type { Transcript, TranscriptionRequest } from './transcriber';
import { WhisperHelperProcess } from './whisper-helper-process';
import type { HelperExit } from './whisper-helper-process';
import type { HelperEvent } from './whisper-protocol';
import { locateWhisperModel, modelNotFoundError } from './whisper-models';
import { DEFAULT_TRANSCRIBE_SCRIPT, DEFAULT_WHISPER_BEAM_SIZE } from './whisper-settings';

/** The part of a winston logger this adapter uses. */
export interface TranscriberLog {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export interface FasterWhisperOptions {
  /** The venv Python that scripts/whisper/install.sh made (WHISPER_PYTHON). */
  pythonPath: string;
  /** Where model names resolve: `<modelDir>/<name>` (WHISPER_MODEL_DIR). */
  modelDir: string;
  /** scripts/whisper/transcribe.py; defaults to the one in this checkout. */
  scriptPath?: string;
  /** CTranslate2 compute type; int8 is the fast one on CPUs. */
  computeType?: string;
  /** Threads per transcription; 0 leaves it to CTranslate2. */
  cpuThreads?: number;
  /** 1 (the default) is greedy decoding; see DEFAULT_WHISPER_BEAM_SIZE. */
  beamSize?: number;
  /** How many loaded models the helper keeps. */
  modelCacheSize?: number;
  env?: NodeJS.ProcessEnv;
  log?: TranscriberLog;
}

export interface FasterWhisperStats {
  /** Helper processes started so far. */
  spawns: number;
  /** Models loaded so far, over all helpers. */
  modelLoads: number;
  pid?: number;
}

interface PendingRequest {
  id: string;
  request: TranscriptionRequest;
  modelDir: string;
  /** Why the helper is being stopped under this request, if it is. */
  failure?: Error;
  settle: (outcome: { transcript: Transcript } | { error: Error }) => void;
}

/**
 * faster-whisper (CTranslate2) in a long-lived Python helper. The helper is
 * started on first use and kept, so each model is loaded once per worker.
 * Requests go to it one at a time, which is how it works anyway, so aborting
 * one never disturbs another: an aborted request's helper is killed, and the
 * next request starts a fresh one.
 */
export class FasterWhisperTranscriber extends Transcriber {
  private readonly queue: PendingRequest[] = [];
  private active: PendingRequest | undefined;
  private helper: WhisperHelperProcess | undefined;
  private fatal: { code: string; message: string } | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly counters = { spawns: 0, modelLoads: 0 };

  constructor(private readonly options: FasterWhisperOptions) {
    super();
  }

  get stats(): FasterWhisperStats {
    const pid = this.helper?.pid;
    return { ...this.counters, ...(pid === undefined ? {} : { pid }) };
  }

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    if (this.closed) throw new AppError('OPERATION_NOT_AVAILABLE', 'the transcriber has been closed');
    if (request.signal?.aborted) throw abortedError('whisper', request.signal.reason);
    // Checked here too, so a missing model fails fast and names its fix even
    // where Python itself is not installed.
    const modelDir = await locateWhisperModel(request.model, this.options.modelDir);
    if (request.signal?.aborted) throw abortedError('whisper', request.signal.reason);
    if (this.closed) throw new AppError('OPERATION_NOT_AVAILABLE', 'the transcriber has been closed');

    return new Promise<Transcript>((resolve, reject) => {
      const onAbort = (): void => this.abort(pending, abortedError('whisper', request.signal?.reason));
      const pending: PendingRequest = {
        id: randomUUID(),
        request,
        modelDir,
        settle: (outcome) => {
          request.signal?.removeEventListener('abort', onAbort);
          if ('transcript' in outcome) resolve(outcome.transcript);
          else reject(outcome.error);
        },
      };
      request.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(pending);
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closed = true;
    const stopped = new AppError('JOB_ABORTED', 'the transcriber was closed');
    for (const pending of this.queue.splice(0)) pending.settle({ error: stopped });
    const helper = this.helper;
    if (!helper) return;
    if (this.active) this.stopHelperUnder(this.active, stopped);
    else {
      helper.endInput();
      helper.kill();
    }
    await helper.exited;
  }

  private pump(): void {
    if (this.active || this.closed) return;
    const next = this.queue.shift();
    if (!next) return;
    this.active = next;
    const { request } = next;
    this.helper ??= this.spawnHelper();
    this.helper.send({
      id: next.id,
      // The helper's working directory is not the caller's concern.
      audio_path: path.resolve(request.audioPath),
      model_dir: next.modelDir,
      ...(request.language === undefined ? {} : { language: request.language }),
      beam_size: this.options.beamSize ?? DEFAULT_WHISPER_BEAM_SIZE,
    });
  }

  private abort(pending: PendingRequest, reason: Error): void {
    const queued = this.queue.indexOf(pending);
    if (queued !== -1) {
      this.queue.splice(queued, 1);
      pending.settle({ error: reason });
      return;
    }
    if (this.active === pending) this.stopHelperUnder(pending, reason);
  }

  /** The only way to stop CTranslate2 mid-decode: end the process; the request settles when it is gone. */
  private stopHelperUnder(pending: PendingRequest, reason: Error): void {
    pending.failure ??= reason;
    this.helper?.kill();
  }

  private spawnHelper(): WhisperHelperProcess {
    const { computeType = 'int8', cpuThreads = 0, modelCacheSize = 2 } = this.options;
    const helper = new WhisperHelperProcess({
      pythonPath: this.options.pythonPath,
      scriptPath: this.options.scriptPath ?? DEFAULT_TRANSCRIBE_SCRIPT,
      args: [
        '--compute-type',
        computeType,
        '--cpu-threads',
        String(cpuThreads),
        '--model-cache-size',
        String(modelCacheSize),
      ],
      env: { HF_HUB_OFFLINE: '1', ...this.options.env },
      onEvent: (event) => this.onEvent(helper, event),
      onOutput: (stream, line) => this.options.log?.debug('whisper helper output', { stream, line }),
    });
    this.counters.spawns += 1;
    this.fatal = undefined;
    this.options.log?.info('whisper helper started', { pid: helper.pid, python: this.options.pythonPath });
    void helper.exited.then((exit) => this.onExit(helper, exit));
    return helper;
  }

  private onEvent(helper: WhisperHelperProcess, event: HelperEvent): void {
    if (helper !== this.helper) return;
    const active = this.active;
    switch (event.type) {
      case 'ready':
        this.options.log?.info('whisper helper ready', { pid: event.pid, ...event.versions });
        return;
      case 'fatal':
        this.fatal = { code: event.code, message: event.message };
        return;
      case 'model_loaded':
        this.counters.modelLoads += 1;
        this.options.log?.info('whisper model loaded', { model_dir: event.modelDir, load_sec: event.loadSec });
        return;
      default:
        break;
    }
    // A helper that could not read our request answers without an id.
    const forActive = active !== undefined && (event.id === active.id || (event.type === 'error' && event.id === null));
    if (!forActive || active.failure) {
      this.options.log?.debug('whisper helper event for no current request', { event: event.type, id: event.id });
      return;
    }
    if (event.type === 'progress') {
      try {
        active.request.onProgress?.({ processedSec: event.processedSec, durationSec: event.durationSec });
      } catch (error) {
        // A throwing callback is a bug in the caller; carrying on would hide it.
        this.stopHelperUnder(active, error instanceof Error ? error : new Error(String(error)));
      }
      return;
    }
    this.active = undefined;
    if (event.type === 'result') {
      active.settle({
        transcript: {
          language: event.language,
          ...(event.languageProbability === undefined ? {} : { languageProbability: event.languageProbability }),
          durationSec: event.durationSec,
          model: active.request.model,
          segments: event.segments,
        },
      });
    } else {
      active.settle({ error: this.helperError(active, event.code, event.message) });
    }
    this.pump();
  }

  private onExit(helper: WhisperHelperProcess, exit: HelperExit): void {
    if (helper !== this.helper) return;
    this.helper = undefined;
    const active = this.active;
    this.active = undefined;
    const unavailable = this.unavailableError(exit);
    this.options.log?.[active && !active.failure ? 'warn' : 'info']('whisper helper exited', {
      pid: helper.pid,
      code: exit.code,
      signal: exit.signal,
    });
    if (active) active.settle({ error: active.failure ?? unavailable ?? crashError(exit) });
    // Python or faster-whisper missing: every queued request would fail the same way.
    if (unavailable) for (const pending of this.queue.splice(0)) pending.settle({ error: unavailable });
    this.pump();
  }

  private unavailableError(exit: HelperExit): AppError | undefined {
    const fix = 'install it with `npm run whisper:install` or point WHISPER_PYTHON at a Python with faster-whisper';
    if (exit.spawnError) {
      const reason =
        exit.spawnError.code === 'ENOENT'
          ? 'was not found'
          : `could not be started (${exit.spawnError.code ?? exit.spawnError.message})`;
      return new AppError(
        'OPERATION_NOT_AVAILABLE',
        `transcription is not available: ${this.options.pythonPath} ${reason}; ${fix}`,
        {
          cause: exit.spawnError,
        },
      );
    }
    if (this.fatal) {
      return new AppError('OPERATION_NOT_AVAILABLE', `transcription is not available: ${this.fatal.message}; ${fix}`, {
        details: { code: this.fatal.code },
      });
    }
    return undefined;
  }

  private helperError(pending: PendingRequest, code: string, message: string): AppError {
    switch (code) {
      case 'MODEL_NOT_FOUND':
        return modelNotFoundError(pending.request.model, pending.modelDir, message);
      case 'UNSUPPORTED_LANGUAGE':
        return new AppError('UNSUPPORTED_LANGUAGE', `Whisper model "${pending.request.model}": ${message}`);
      case 'AUDIO_UNREADABLE':
        return new AppError('NOT_MEDIA', `the audio could not be read for transcription: ${message}`);
      case 'BAD_REQUEST':
        return new AppError('INTERNAL', `the transcription helper refused the request: ${message}`);
      default:
        return new AppError('TRANSCRIPTION_FAILED', `transcription failed: ${message}`.slice(0, 1000));
    }
  }
}

function crashError(exit: HelperExit): AppError {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.stderrTail.trim().split('\n').slice(-5).join(' | ');
  return new AppError(
    'TRANSCRIPTION_FAILED',
    `the transcription helper ${how}${tail ? `: ${tail}` : ''}`.slice(0, 1000),
  );
}

import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AppError,
  errorMessage,
  formatS3Uri,
  isAppError,
  operationOf,
  operationSchema,
  parseS3Uri,
} from '@mediaflow/domain';
import type { AppConfig, Job, JobError, JobOutput, Logger, ObjectRef } from '@mediaflow/domain';
import {
  assertMediaWithinLimits,
  ffmpegProcessLimits,
  mediaLimitsFromConfig,
  outputExtensionFor,
  planOperation,
  probeMedia,
  probeProcessLimits,
  runFfmpeg,
} from '@mediaflow/media';
import type { MediaLimitsConfig, Transcriber } from '@mediaflow/media';
import type { DeliveryContext, DeliveryOutcome, JobMessage, JobPublisher } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';
import { jobOutputKeys } from './output-keys';
import type { JobOutputKeys } from './output-keys';
import { ProgressReporter } from './progress-reporter';
import type { Semaphore } from './semaphore';
import {
  embedsSubtitles,
  runTranscriptionAttempt,
  transcriptionOutputKeys,
  transcriptionStallMs,
} from './transcription-job';
import { jobTimeLimitMs, retryDelayMs } from './retry-policy';
import { Watchdog } from './watchdog';

export type HandlerConfig = Pick<
  AppConfig,
  | 'WORK_DIR'
  | 'FFMPEG_PATH'
  | 'FFPROBE_PATH'
  | 'OUTPUT_BUCKET'
  | 'OUTPUT_PREFIX'
  | 'JOB_LEASE_SECONDS'
  | 'PROGRESS_INTERVAL_MS'
  | 'MAX_ATTEMPTS'
  | 'RETRY_BASE_DELAY_MS'
  | 'RETRY_MAX_DELAY_MS'
  | 'FFMPEG_STALL_TIMEOUT'
  | 'JOB_TIMEOUT_FACTOR'
  | 'JOB_TIMEOUT_MIN_SECONDS'
  | 'WHISPER_MODEL'
> &
  MediaLimitsConfig;

export interface JobHandlerDeps {
  repository: JobRepository;
  store: ObjectStore;
  publisher: JobPublisher;
  config: HandlerConfig;
  logger: Logger;
  workerId: string;
  /** Speech recognition for transcribe jobs; without it they fail with OPERATION_NOT_AVAILABLE. */
  transcriber?: Transcriber;
  /** Bounds concurrent transcriptions (TRANSCRIBE_CONCURRENCY), apart from FFmpeg jobs. */
  transcriptionSlots?: Semaphore;
}

/** Why an attempt was stopped from inside the worker. */
type StopReason = 'lease-lost' | 'cancelled' | 'stalled' | 'timed-out';

const PROBE_TIMEOUT_MS = 60_000;

/**
 * Runs one job end to end: claim, fetch the source, probe, run FFmpeg, upload
 * the output and the FFmpeg log, record the outcome. It returns how the queue
 * message should be disposed of; the message is only acknowledged once the
 * job's final state (or its hand-back for a retry) is stored.
 */
export class JobHandler {
  constructor(private readonly deps: JobHandlerDeps) {}

  async handle(message: JobMessage, context: DeliveryContext): Promise<DeliveryOutcome> {
    const { repository, workerId, config, logger } = this.deps;
    const job = await repository.claim({
      jobId: message.job_id,
      workerId,
      now: new Date(),
      leaseMs: config.JOB_LEASE_SECONDS * 1000,
    });
    if (!job) {
      // Unknown, finished, waiting for a retry, or held by a live lease
      // elsewhere. If that holder dies, its lease expires and the reaper puts
      // the job back on the queue.
      logger.debug('job not claimable; skipping message', { jobId: message.job_id });
      return 'done';
    }
    if (job.attempts > config.MAX_ATTEMPTS) {
      // Earlier attempts ended without a word (the worker died each time):
      // this job may be what kills workers, so it is not run again.
      const lost = new AppError('WORKER_LOST', 'the worker running this job stopped unexpectedly');
      await this.giveUp(job, lost, undefined, this.deps.logger.child({ jobId: job.job_id }));
      return 'done';
    }
    return this.process(job, context);
  }

  private async process(job: Job, context: DeliveryContext): Promise<DeliveryOutcome> {
    const { repository, store, config, workerId } = this.deps;
    const logger = this.deps.logger.child({ jobId: job.job_id, attempt: job.attempts });
    const abort = new AbortController();
    let stopReason: StopReason | undefined;
    const stop = (reason: StopReason): void => {
      stopReason ??= reason;
      abort.abort(new AppError('JOB_ABORTED', `attempt stopped: ${reason}`));
    };
    const onShutdown = (): void => abort.abort(context.signal.reason);
    context.signal.addEventListener('abort', onShutdown, { once: true });

    const leaseMs = config.JOB_LEASE_SECONDS * 1000;
    const reporter = new ProgressReporter(
      {
        write: async (snapshot) =>
          repository.updateProgress(job.job_id, workerId, {
            progress: Math.round(snapshot.percent * 10) / 10,
            ...(snapshot.speed === undefined ? {} : { speed: snapshot.speed }),
            ...(snapshot.etaSeconds === undefined ? {} : { eta_seconds: Math.round(snapshot.etaSeconds) }),
            leaseExpiresAt: new Date(Date.now() + leaseMs),
          }),
        heartbeat: async () => context.heartbeat(),
      },
      config.PROGRESS_INTERVAL_MS,
      () => void this.whyRefused(job.job_id).then(stop),
      logger,
    );
    reporter.start();

    const workDir = await mkdtemp(path.join(config.WORK_DIR, 'mediaflow-job-'));
    let keys: JobOutputKeys | undefined;
    let ffmpegLog: string | undefined;
    logger.info('job started', { method: job.method_name, source: job.source });

    try {
      const operation = operationSchema.parse(operationOf(job));
      const sourceRef = parseS3Uri(job.source);
      const inputPath = path.join(workDir, `source${safeExtension(sourceRef.key)}`);
      await this.download(sourceRef, inputPath, abort.signal);

      const probe = await probeMedia(inputPath, {
        ffprobePath: config.FFPROBE_PATH,
        signal: AbortSignal.any([abort.signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
        limits: probeProcessLimits(config),
      });
      assertMediaWithinLimits(probe, mediaLimitsFromConfig(config));
      if (operation.method_name === 'transcribe') {
        const transcriptionKeys = transcriptionOutputKeys({
          bucket: config.OUTPUT_BUCKET,
          prefix: config.OUTPUT_PREFIX,
          jobId: job.job_id,
          sourceKey: sourceRef.key,
          video: embedsSubtitles(operation, probe),
        });
        keys = transcriptionKeys;
        const transcribed = await runTranscriptionAttempt({
          job,
          operation,
          probe,
          inputPath,
          workDir,
          keys: transcriptionKeys,
          store,
          transcriber: this.deps.transcriber,
          slots: this.deps.transcriptionSlots,
          config,
          signal: abort.signal,
          onProgress: (progress) => reporter.report(progress),
          onWatchdog: (verdict) => stop(verdict),
          logger,
        });
        ffmpegLog = transcribed.log;
        await this.uploadLog(keys, ffmpegLog);
        await reporter.stop();
        const stored = await repository.complete(job.job_id, workerId, {
          now: new Date(),
          outputs: [
            ...transcribed.outputs,
            { kind: 'log', path: formatS3Uri(keys.log), content_type: 'text/plain; charset=utf-8' },
          ],
          output_path: transcribed.primaryPath,
          log_path: formatS3Uri(keys.log),
        });
        if (!stored) {
          stop(await this.whyRefused(job.job_id));
          throw new AppError('JOB_ABORTED', 'the job changed hands before it could be completed');
        }
        logger.info('job completed', { outputs: transcribed.outputs.map((output) => output.kind) });
        return 'done';
      }
      const extension = outputExtensionFor(operation);
      keys = jobOutputKeys({
        bucket: config.OUTPUT_BUCKET,
        prefix: config.OUTPUT_PREFIX,
        jobId: job.job_id,
        sourceKey: sourceRef.key,
        methodName: operation.method_name,
        extension,
      });
      const outputPath = path.join(workDir, `output.${extension}`);
      const plan = planOperation(operation, probe, { inputPath, outputPath });

      const watchdog = new Watchdog({
        stallMs: config.FFMPEG_STALL_TIMEOUT * 1000,
        limitMs: jobTimeLimitMs(plan.expectedDurationSec, config.JOB_TIMEOUT_FACTOR, config.JOB_TIMEOUT_MIN_SECONDS),
        onFire: (verdict) => stop(verdict),
      });
      try {
        const result = await runFfmpeg({
          ffmpegPath: config.FFMPEG_PATH,
          args: plan.args,
          durationSec: plan.expectedDurationSec,
          signal: abort.signal,
          // Every abort discards the output, so FFmpeg need not finish its file.
          abortGraceMs: 0,
          cwd: workDir,
          limits: ffmpegProcessLimits(config, probe),
          onProgress: (progress) => {
            watchdog.touch();
            reporter.report(progress);
          },
        });
        ffmpegLog = `${commandLine(config.FFMPEG_PATH, plan.args)}\n\n${result.log}`;
      } finally {
        watchdog.stop();
      }

      const { size } = await stat(outputPath);
      await store.put(keys.output, createReadStream(outputPath), {
        contentType: plan.contentType,
        contentLength: size,
        signal: abort.signal,
      });
      await this.uploadLog(keys, ffmpegLog);
      await reporter.stop();
      const outputs: JobOutput[] = [
        { kind: plan.outputKind, path: formatS3Uri(keys.output), content_type: plan.contentType, size_bytes: size },
        { kind: 'log', path: formatS3Uri(keys.log), content_type: 'text/plain; charset=utf-8' },
      ];
      const stored = await repository.complete(job.job_id, workerId, {
        now: new Date(),
        outputs,
        output_path: formatS3Uri(keys.output),
        log_path: formatS3Uri(keys.log),
      });
      if (!stored) {
        // Cancelled at the last moment, or taken over: our output must not stand.
        stop(await this.whyRefused(job.job_id));
        throw new AppError('JOB_ABORTED', 'the job changed hands before it could be completed');
      }
      logger.info('job completed', { outputBytes: size });
      return 'done';
    } catch (error) {
      await reporter.stop();
      return await this.afterFailure(job, error, {
        logger,
        keys,
        ffmpegLog: ffmpegLog ?? logOf(error),
        shuttingDown: context.signal.aborted && stopReason === undefined,
        stopReason,
      });
    } finally {
      await reporter.stop();
      context.signal.removeEventListener('abort', onShutdown);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /** A progress write was refused: either the job was cancelled, or another worker has it. */
  private async whyRefused(jobId: string): Promise<StopReason> {
    try {
      const current = await this.deps.repository.get(jobId);
      return current?.cancel_requested || current?.status === 'cancelled' ? 'cancelled' : 'lease-lost';
    } catch {
      return 'lease-lost';
    }
  }

  private async download(ref: ObjectRef, filePath: string, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.store.download(ref, filePath, signal);
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') {
        throw new AppError('SOURCE_NOT_FOUND', `source object ${formatS3Uri(ref)} does not exist`);
      }
      throw error;
    }
  }

  private async uploadLog(keys: JobOutputKeys, log: string): Promise<void> {
    await this.deps.store.put(keys.log, Buffer.from(log, 'utf8'), { contentType: 'text/plain; charset=utf-8' });
  }

  private async afterFailure(
    job: Job,
    error: unknown,
    context: {
      logger: Logger;
      keys: JobOutputKeys | undefined;
      ffmpegLog: string | undefined;
      shuttingDown: boolean;
      stopReason: StopReason | undefined;
    },
  ): Promise<DeliveryOutcome> {
    const { repository, workerId, config } = this.deps;
    const { logger, stopReason } = context;

    if (stopReason === 'lease-lost') {
      logger.warn('lease lost to another worker; abandoning attempt');
      return 'done';
    }
    if (stopReason === 'cancelled') {
      await this.removeOutputs(context.keys, logger);
      await repository.markCancelled(job.job_id, workerId, new Date());
      logger.info('job cancelled');
      return 'done';
    }
    if (context.shuttingDown) {
      await repository.release(job.job_id, workerId, new Date(), 'worker shutting down');
      logger.info('job handed back for another worker');
      return 'retry';
    }

    const appError =
      stopReason === 'stalled'
        ? new AppError(
            'FFMPEG_STALLED',
            job.method_name === 'transcribe'
              ? `transcription made no progress for ${transcriptionStallMs(config) / 1000} s`
              : `FFmpeg made no progress for ${config.FFMPEG_STALL_TIMEOUT} s`,
          )
        : stopReason === 'timed-out'
          ? new AppError('JOB_TIMEOUT', 'the job ran past its time limit')
          : classify(error);
    if (appError.retryable && job.attempts < config.MAX_ATTEMPTS) {
      const delayMs = retryDelayMs(job.attempts, {
        maxAttempts: config.MAX_ATTEMPTS,
        baseDelayMs: config.RETRY_BASE_DELAY_MS,
        maxDelayMs: config.RETRY_MAX_DELAY_MS,
      });
      const now = new Date();
      await repository.release(
        job.job_id,
        workerId,
        now,
        `retry after ${appError.code}`,
        new Date(now.getTime() + delayMs),
      );
      // The reaper publishes it again once retry_at has passed; this message
      // is done with.
      logger.warn('attempt failed; job will be retried', { code: appError.code, error: appError.message, delayMs });
      return 'done';
    }

    if (appError.retryable) {
      await this.giveUp(job, appError, await this.keepLog(context), logger);
    } else {
      const logPath = await this.keepLog(context);
      await repository.fail(job.job_id, workerId, {
        now: new Date(),
        error: toJobError(appError),
        ...(logPath ? { log_path: logPath } : {}),
      });
      logger.warn('job failed', { code: appError.code, error: appError.message });
    }
    if (!isAppError(error) && !isSchemaError(error) && stopReason === undefined) {
      // A bug, not an operational failure: the job is recorded as failed, and
      // the error goes on up so the process fails loudly.
      throw error;
    }
    return 'done';
  }

  /** Fails a job for good after its attempts ran out, and announces it on the dead-letter topic. */
  private async giveUp(job: Job, cause: AppError, logPath: string | undefined, logger: Logger): Promise<void> {
    const now = new Date();
    const error: JobError = {
      code: cause.code,
      message: `${cause.message} (gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'})`,
    };
    await this.deps.repository.fail(job.job_id, this.deps.workerId, {
      now,
      error,
      deadLetter: true,
      ...(logPath ? { log_path: logPath } : {}),
    });
    try {
      await this.deps.publisher.publishDeadLetter({
        job_id: job.job_id,
        error,
        attempts: job.attempts,
        failed_at: now.toISOString(),
      });
    } catch (publishError) {
      logger.warn('could not announce a dead letter; the job record still shows it', {
        error: errorMessage(publishError),
      });
    }
    logger.error('job dead-lettered', { code: error.code, attempts: job.attempts });
  }

  private async keepLog(context: {
    keys: JobOutputKeys | undefined;
    ffmpegLog: string | undefined;
    logger: Logger;
  }): Promise<string | undefined> {
    if (!context.keys || !context.ffmpegLog) return undefined;
    try {
      await this.uploadLog(context.keys, context.ffmpegLog);
      return formatS3Uri(context.keys.log);
    } catch (uploadError) {
      context.logger.warn('could not upload the FFmpeg log of a failed job', { error: errorMessage(uploadError) });
      return undefined;
    }
  }

  private async removeOutputs(keys: JobOutputKeys | undefined, logger: Logger): Promise<void> {
    if (!keys) return;
    const refs = [keys.output, keys.log, ...(keys.extra ?? [])];
    const results = await Promise.allSettled(refs.map(async (ref) => this.deps.store.delete(ref)));
    for (const result of results) {
      if (result.status === 'rejected') {
        logger.warn('could not remove an output of a cancelled job', { error: errorMessage(result.reason) });
      }
    }
  }
}

function classify(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isSchemaError(error)) {
    return new AppError('VALIDATION_FAILED', `stored job is not valid: ${errorMessage(error)}`);
  }
  return new AppError('INTERNAL', 'internal error while processing the job');
}

function toJobError(error: AppError): JobError {
  return { code: error.code, message: error.message };
}

function isSchemaError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ZodError';
}

function logOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'log' in error && typeof error.log === 'string') {
    return error.log;
  }
  return undefined;
}

/** The command as a reader of the log would retype it; only our own temp paths appear in it. */
function commandLine(binary: string, args: readonly string[]): string {
  const quote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['$', binary, ...args.map(quote)].join(' ');
}

function safeExtension(key: string): string {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(key);
  return match ? `.${match[1].toLowerCase()}` : '';
}

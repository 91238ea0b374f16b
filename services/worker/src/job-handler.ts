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
import type { AppConfig, Job, JobError, JobOutput, Logger } from '@mediaflow/domain';
import { outputExtensionFor, planOperation, probeMedia, runFfmpeg } from '@mediaflow/media';
import type { DeliveryContext, DeliveryOutcome, JobMessage } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';
import type { ObjectStore } from '@mediaflow/storage';
import { jobOutputKeys } from './output-keys';
import type { JobOutputKeys } from './output-keys';
import { ProgressReporter } from './progress-reporter';

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
>;

export interface JobHandlerDeps {
  repository: JobRepository;
  store: ObjectStore;
  config: HandlerConfig;
  logger: Logger;
  workerId: string;
}

const LEASE_LOST = 'lease-lost';

/**
 * Runs one job end to end: claim, fetch the source, probe, run FFmpeg, upload
 * the output and the FFmpeg log, record the outcome. It returns how the queue
 * message should be disposed of; the message is only acknowledged once the
 * job's final state is stored.
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
      // Unknown, finished, or held by a live lease elsewhere. If that holder
      // dies, its lease expires and the reaper puts the job back on the queue.
      logger.debug('job not claimable; skipping message', { jobId: message.job_id });
      return 'done';
    }
    return this.process(job, context);
  }

  private async process(job: Job, context: DeliveryContext): Promise<DeliveryOutcome> {
    const { repository, store, config, workerId } = this.deps;
    const logger = this.deps.logger.child({ jobId: job.job_id, attempt: job.attempts });
    const abort = new AbortController();
    const onShutdown = (): void => abort.abort(context.signal.reason);
    context.signal.addEventListener('abort', onShutdown, { once: true });
    const workDir = await mkdtemp(path.join(config.WORK_DIR, 'mediaflow-job-'));
    let reporter: ProgressReporter | undefined;
    let keys: JobOutputKeys | undefined;
    let ffmpegLog: string | undefined;
    logger.info('job started', { method: job.method_name, source: job.source });

    try {
      const operation = operationSchema.parse(operationOf(job));
      const sourceRef = parseS3Uri(job.source);
      const inputPath = path.join(workDir, `source${safeExtension(sourceRef.key)}`);
      await this.download(sourceRef, inputPath, abort.signal);

      const probe = await probeMedia(inputPath, { ffprobePath: config.FFPROBE_PATH, signal: abort.signal });
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

      const leaseMs = config.JOB_LEASE_SECONDS * 1000;
      const progressSink = {
        write: async (snapshot: { percent: number; speed?: number; etaSeconds?: number }) =>
          repository.updateProgress(job.job_id, workerId, {
            progress: Math.round(snapshot.percent * 10) / 10,
            ...(snapshot.speed === undefined ? {} : { speed: snapshot.speed }),
            ...(snapshot.etaSeconds === undefined ? {} : { eta_seconds: Math.round(snapshot.etaSeconds) }),
            leaseExpiresAt: new Date(Date.now() + leaseMs),
          }),
        heartbeat: async () => context.heartbeat(),
      };
      reporter = new ProgressReporter(
        progressSink,
        config.PROGRESS_INTERVAL_MS,
        () => abort.abort(LEASE_LOST),
        logger,
      );
      const activeReporter = reporter;
      const result = await runFfmpeg({
        ffmpegPath: config.FFMPEG_PATH,
        args: plan.args,
        durationSec: plan.expectedDurationSec,
        signal: abort.signal,
        cwd: workDir,
        onProgress: (progress) => activeReporter.report(progress),
      });
      ffmpegLog = `${commandLine(config.FFMPEG_PATH, plan.args)}\n\n${result.log}`;
      await reporter.settle();

      const { size } = await stat(outputPath);
      await store.put(keys.output, createReadStream(outputPath), {
        contentType: plan.contentType,
        contentLength: size,
        signal: abort.signal,
      });
      await this.uploadLog(keys, ffmpegLog);
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
      logger.info(stored ? 'job completed' : 'job finished after losing its lease; result discarded', {
        durationMs: result.durationMs,
        outputBytes: size,
      });
      return 'done';
    } catch (error) {
      await reporter?.settle();
      return await this.recordFailure(job, error, {
        logger,
        keys,
        ffmpegLog: ffmpegLog ?? logOf(error),
        shuttingDown: context.signal.aborted,
        leaseLost: abort.signal.reason === LEASE_LOST,
      });
    } finally {
      context.signal.removeEventListener('abort', onShutdown);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  private async download(ref: { bucket: string; key: string }, filePath: string, signal: AbortSignal): Promise<void> {
    try {
      await this.deps.store.download(ref, filePath, signal);
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') {
        throw new AppError('SOURCE_NOT_FOUND', `source object s3://${ref.bucket}/${ref.key} does not exist`);
      }
      throw error;
    }
  }

  private async uploadLog(keys: JobOutputKeys, log: string): Promise<void> {
    await this.deps.store.put(keys.log, Buffer.from(log, 'utf8'), { contentType: 'text/plain; charset=utf-8' });
  }

  private async recordFailure(
    job: Job,
    error: unknown,
    context: {
      logger: Logger;
      keys: JobOutputKeys | undefined;
      ffmpegLog: string | undefined;
      shuttingDown: boolean;
      leaseLost: boolean;
    },
  ): Promise<DeliveryOutcome> {
    const { repository, workerId, config } = this.deps;
    const { logger } = context;

    if (context.leaseLost) {
      logger.warn('lease lost to another worker; abandoning attempt');
      return 'done';
    }
    if (context.shuttingDown) {
      await repository.release(job.job_id, workerId, new Date(), 'worker shutting down');
      logger.info('job handed back for another worker');
      return 'retry';
    }

    const appError = classify(error);
    if (appError.retryable && job.attempts < config.MAX_ATTEMPTS) {
      logger.warn('attempt failed; job will be retried', { code: appError.code, error: appError.message });
      await repository.release(job.job_id, workerId, new Date(), `retry after ${appError.code}`);
      return 'retry';
    }

    let logPath: string | undefined;
    if (context.keys && context.ffmpegLog) {
      try {
        await this.uploadLog(context.keys, context.ffmpegLog);
        logPath = formatS3Uri(context.keys.log);
      } catch (uploadError) {
        logger.warn('could not upload the FFmpeg log of a failed job', { error: errorMessage(uploadError) });
      }
    }
    const jobError: JobError = { code: appError.code, message: appError.message };
    await repository.fail(job.job_id, workerId, {
      now: new Date(),
      error: jobError,
      ...(logPath ? { log_path: logPath } : {}),
    });
    logger.warn('job failed', { code: appError.code, error: appError.message });
    if (!isAppError(error) && !isSchemaError(error)) {
      // A bug, not an operational failure: the job is recorded as failed, and
      // the error goes on up so the process fails loudly.
      throw error;
    }
    return 'done';
  }
}

function classify(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isSchemaError(error)) {
    return new AppError('VALIDATION_FAILED', `stored job is not valid: ${errorMessage(error)}`);
  }
  return new AppError('INTERNAL', 'internal error while processing the job');
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
  return ['$', binary, ...args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`))].join(' ');
}

function safeExtension(key: string): string {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(key);
  return match ? `.${match[1].toLowerCase()}` : '';
}

import type { AppConfig, Logger } from '@mediaflow/domain';
import { isAppError } from '@mediaflow/domain';
import type { Transcriber } from '@mediaflow/media';
import type { DeliveryOutcome, JobConsumer } from '@mediaflow/queue';
import type { Infrastructure, JobAttemptMetrics } from '@mediaflow/runtime';
import { JobRunner } from './run/job-runner';
import { Reaper } from './reaper';
import { applyLifecycleRules, RetentionSweeper } from './retention';
import { retentionMs } from '@mediaflow/runtime';
import { Semaphore } from './semaphore';
import { createStepExecutors } from './steps';
import { createWorkerTranscriber } from './transcription-settings';

export interface WorkerOptions {
  infrastructure: Infrastructure;
  config: AppConfig;
  logger: Logger;
  /** Called with a programmer error; the process should exit non-zero. */
  onFatal: (error: unknown) => void;
  /** Defaults to faster-whisper as the WHISPER_* settings describe; closed by stop() either way. */
  transcriber?: Transcriber;
  /** Where attempts are counted and timed (see @mediaflow/runtime metrics); absent: nowhere. */
  metrics?: JobAttemptMetrics;
}

/** A queue consumer feeding the job runner, plus the reaper. */
export class Worker {
  private consumer: JobConsumer | undefined;
  private readonly reaper: Reaper;
  private readonly retention: RetentionSweeper;
  private readonly handler: JobRunner;
  private readonly transcriber: Transcriber;

  constructor(private readonly options: WorkerOptions) {
    const { infrastructure, config, logger } = options;
    // Cheap to make: the Python helper starts, and loads its model, on the first transcription.
    this.transcriber = options.transcriber ?? createWorkerTranscriber(config, logger);
    this.handler = new JobRunner({
      repository: infrastructure.repository,
      store: infrastructure.store,
      publisher: infrastructure.publisher,
      config,
      logger,
      workerId: config.WORKER_ID,
      ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
      executors: createStepExecutors({
        transcriber: this.transcriber,
        slots: new Semaphore(config.TRANSCRIBE_CONCURRENCY),
      }),
    });
    this.reaper = new Reaper(
      infrastructure.repository,
      infrastructure.publisher,
      {
        intervalMs: config.REAPER_INTERVAL_SECONDS * 1000,
        requeueQueuedAfterMs: config.REQUEUE_QUEUED_AFTER_SECONDS * 1000,
        batchSize: 100,
      },
      logger,
    );
    const outputRetentionMs = retentionMs(config.OUTPUT_RETENTION_DAYS);
    const uploadRetentionMs = retentionMs(config.UPLOAD_RETENTION_DAYS);
    this.retention = new RetentionSweeper(
      infrastructure.repository,
      infrastructure.store,
      {
        ...(outputRetentionMs === undefined ? {} : { outputRetentionMs }),
        ...(uploadRetentionMs === undefined ? {} : { uploadRetentionMs }),
        batchSize: config.RETENTION_BATCH_SIZE,
        folders: { bucket: config.OUTPUT_BUCKET, prefix: config.OUTPUT_PREFIX },
        inputBucket: config.INPUT_BUCKET,
        intervalMs: config.REAPER_INTERVAL_SECONDS * 1000,
      },
      logger,
    );
  }

  async start(): Promise<void> {
    const { infrastructure, config, logger, onFatal } = this.options;
    if (config.QUEUE_BACKEND === 'memory') await this.reaper.recoverAfterRestart();
    this.consumer = infrastructure.createConsumer();
    await this.consumer.start(async (message, context): Promise<DeliveryOutcome> => {
      try {
        return await this.handler.handle(message, context);
      } catch (error) {
        if (isAppError(error)) throw error;
        logger.error('programmer error while handling a job', { jobId: message.job_id, error });
        onFatal(error);
        return 'retry';
      }
    });
    this.reaper.start();
    await applyLifecycleRules(config, logger);
    this.retention.start();
    logger.info('worker started', { workerId: config.WORKER_ID });
  }

  async stop(): Promise<void> {
    await this.reaper.stop();
    await this.retention.stop();
    await this.consumer?.stop();
    await this.transcriber.close();
  }
}

import { errorMessage } from '@mediaflow/domain';
import type { AppConfig, Logger } from '@mediaflow/domain';
import type { JobLifecycle, JobSubmissions } from '@mediaflow/repository';
import { releaseJobObjects, TOMBSTONE_KEEP_MS } from '@mediaflow/runtime';
import type { JobFolders } from '@mediaflow/runtime';
import { createS3Client, putExpiryRules, UPLOADS_PREFIX } from '@mediaflow/storage';
import type { ExpiryRule, ObjectStore } from '@mediaflow/storage';

export interface RetentionOptions {
  /** OUTPUT_RETENTION_DAYS in ms after a job finished; undefined keeps outputs forever. */
  outputRetentionMs?: number;
  /** UPLOAD_RETENTION_DAYS in ms after an upload's last modification; undefined keeps uploads forever. */
  uploadRetentionMs?: number;
  /** RETENTION_BATCH_SIZE: jobs expired, and uploads deleted, per pass at most. */
  batchSize: number;
  folders: JobFolders;
  inputBucket: string;
  intervalMs: number;
}

export interface RetentionPass {
  expired: number;
  uploadsDeleted: number;
}

/**
 * Enforces OUTPUT_RETENTION_DAYS and UPLOAD_RETENTION_DAYS, a bounded batch
 * per pass, beside the reaper on every worker (passes on several workers
 * race harmlessly: deleting twice deletes nothing, and markExpired lets one
 * win). It is the guarantee; the database's TTL (which purges records some
 * time later) and S3 lifecycle rules (S3_LIFECYCLE_RULES) are backstops that
 * some servers do not honour.
 *
 * A finished job past its retention loses its objects first (unless another
 * live job reuses them, see releaseJobObjects) and is then marked expired: a
 * storage failure leaves it unexpired, so the next pass tries again. Its
 * record stays as a tombstone (`expired_at`) so downloads answer 410
 * JOB_EXPIRED; the database may purge it TOMBSTONE_KEEP_MS later.
 *
 * Uploads: objects under `uploads/` of the input bucket last modified longer
 * ago than the retention are deleted; a queued job whose source went this way
 * fails with its source missing. Listing the prefix costs one LIST per 1000
 * objects per pass; an S3 lifecycle rule does this without the listing.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly repository: Pick<JobLifecycle, 'findExpirable' | 'markExpired' | 'findByReuseKey'> &
      Pick<JobSubmissions, 'get'>,
    private readonly store: ObjectStore,
    private readonly options: RetentionOptions,
    private readonly logger: Logger,
  ) {}

  /** Whether there is anything to enforce. */
  get enabled(): boolean {
    return this.options.outputRetentionMs !== undefined || this.options.uploadRetentionMs !== undefined;
  }

  start(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => {
        this.running = undefined;
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass; never throws (failures are logged and retried next pass). */
  async sweep(now = new Date()): Promise<RetentionPass> {
    const pass: RetentionPass = { expired: 0, uploadsDeleted: 0 };
    try {
      pass.expired = await this.expireOutputs(now);
      pass.uploadsDeleted = await this.deleteOldUploads(now);
    } catch (error) {
      this.logger.warn('retention sweep failed', { error: errorMessage(error) });
    }
    if (pass.expired + pass.uploadsDeleted > 0) this.logger.info('retention sweep', { ...pass });
    return pass;
  }

  private async expireOutputs(now: Date): Promise<number> {
    const { outputRetentionMs, batchSize, folders } = this.options;
    if (outputRetentionMs === undefined) return 0;
    const due = await this.repository.findExpirable(new Date(now.getTime() - outputRetentionMs), batchSize);
    let expired = 0;
    for (const job of due) {
      const removed = await releaseJobObjects({ repository: this.repository, store: this.store, folders }, job);
      if (await this.repository.markExpired(job.job_id, now, new Date(now.getTime() + TOMBSTONE_KEEP_MS))) {
        expired += 1;
        this.logger.info('job outputs expired', { jobId: job.job_id, objectsRemoved: removed });
      }
    }
    return expired;
  }

  private async deleteOldUploads(now: Date): Promise<number> {
    const { uploadRetentionMs, batchSize, inputBucket } = this.options;
    if (uploadRetentionMs === undefined) return 0;
    const cutoff = now.getTime() - uploadRetentionMs;
    let deleted = 0;
    for await (const object of this.store.list({ bucket: inputBucket, key: UPLOADS_PREFIX })) {
      if (deleted >= batchSize) break;
      if (object.lastModified === undefined || object.lastModified.getTime() >= cutoff) continue;
      await this.store.delete({ bucket: inputBucket, key: object.key });
      deleted += 1;
    }
    return deleted;
  }
}

/** The settings applyLifecycleRules reads. */
export type LifecycleConfig = Pick<
  AppConfig,
  | 'S3_LIFECYCLE_RULES'
  | 'STORAGE_BACKEND'
  | 'AWS_REGION'
  | 'S3_ENDPOINT'
  | 'S3_FORCE_PATH_STYLE'
  | 'AWS_ACCESS_KEY_ID'
  | 'AWS_SECRET_ACCESS_KEY'
  | 'OUTPUT_BUCKET'
  | 'OUTPUT_PREFIX'
  | 'INPUT_BUCKET'
  | 'OUTPUT_RETENTION_DAYS'
  | 'UPLOAD_RETENTION_DAYS'
>;

/**
 * S3_LIFECYCLE_RULES=true: puts expiry rules for the retention on the buckets,
 * as a backstop for the sweep. Uploads expire after UPLOAD_RETENTION_DAYS
 * (rounded up to whole days). Outputs after twice OUTPUT_RETENTION_DAYS plus
 * one day: S3 counts from when an object was written, and a job reusing an
 * earlier result keeps that result's objects for its own retention, so the
 * API only reuses results younger than OUTPUT_RETENTION_DAYS when these rules
 * are on (see JobService). A server without lifecycle support (versitygw)
 * refuses; that is logged and skipped.
 */
export async function applyLifecycleRules(config: LifecycleConfig, logger: Logger): Promise<void> {
  if (!config.S3_LIFECYCLE_RULES) return;
  if (config.STORAGE_BACKEND !== 's3') {
    logger.warn('S3_LIFECYCLE_RULES needs S3 storage; skipped');
    return;
  }
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = config;
  const client = createS3Client({
    region: config.AWS_REGION,
    ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
  });
  const wanted: { bucket: string; rule: ExpiryRule }[] = [
    ...(config.OUTPUT_RETENTION_DAYS === undefined || config.OUTPUT_PREFIX === ''
      ? []
      : [
          {
            bucket: config.OUTPUT_BUCKET,
            rule: {
              id: 'outputs',
              prefix: config.OUTPUT_PREFIX,
              days: lifecycleOutputDays(config.OUTPUT_RETENTION_DAYS),
            },
          },
        ]),
    ...(config.UPLOAD_RETENTION_DAYS === undefined
      ? []
      : [
          {
            bucket: config.INPUT_BUCKET,
            rule: { id: 'uploads', prefix: UPLOADS_PREFIX, days: config.UPLOAD_RETENTION_DAYS },
          },
        ]),
  ];
  try {
    // One bucket may hold both prefixes; its rules must be put together.
    const buckets = [...new Set(wanted.map((entry) => entry.bucket))];
    for (const bucket of buckets) {
      const rules = wanted.filter((entry) => entry.bucket === bucket).map((entry) => entry.rule);
      try {
        await putExpiryRules(client, bucket, rules);
        logger.info('S3 lifecycle rules applied', {
          bucket,
          rules: rules.map((rule) => `${rule.prefix}: ${Math.ceil(rule.days)}d`),
        });
      } catch (error) {
        logger.warn('S3 lifecycle rules not supported or not allowed here; the retention sweep alone applies', {
          bucket,
          error: errorMessage(error),
        });
      }
    }
  } finally {
    client.destroy();
  }
}

/** Whole days the output lifecycle rule waits: twice the retention plus one (see applyLifecycleRules). */
export function lifecycleOutputDays(retentionDays: number): number {
  return Math.ceil(retentionDays * 2) + 1;
}

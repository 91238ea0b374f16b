import { createHash, randomUUID } from 'node:crypto';
import { AppError, errorMessage, formatS3Uri, isAppError, isTerminal } from '@mediaflow/domain';
import type { Job, Logger, ObjectRef, OperationSpec, TraceCarrier } from '@mediaflow/domain';
import { validateSubmission } from '@mediaflow/operations';
import type { JobMessage, JobPublisher } from '@mediaflow/queue';
import type {
  IdempotencyKeys,
  JobLifecycle,
  JobPage,
  JobRecovery,
  JobSubmissions,
  ListJobsQuery,
  NewJob,
} from '@mediaflow/repository';
import { mayUseSource, OWNER_METADATA_KEY } from '@mediaflow/storage';
import type { ObjectInfo, ObjectStore } from '@mediaflow/storage';
import { ActiveJobQuota } from './active-job-quota';
import { GroupCommit } from './group-commit';
import { inTraceScope, releaseJobObjects, TOMBSTONE_KEEP_MS } from '@mediaflow/runtime';
import type { JobFolders, JobSubmissionMetrics } from '@mediaflow/runtime';
import { reuseKeyOf, sourceSha256, takeReuseOption } from './result-reuse';
import type { ReuseSettings } from './result-reuse';
import { takeWebhookUrl } from './webhooks/webhook-url';

export interface JobServiceDeps {
  /** The roles the API plays: it submits, reserves idempotency keys, manages lifecycles and lists dead letters. */
  repository: JobSubmissions &
    IdempotencyKeys &
    JobLifecycle &
    Pick<JobRecovery, 'setNeedsPublish' | 'listDeadLetters'>;
  publisher: JobPublisher;
  store: ObjectStore;
  allowedSourceBuckets: readonly string[];
  /** Where uploads land: an ownerless object under its `uploads/` is for admins only. */
  inputBucket?: string;
  /** MAX_SOURCES_PER_JOB: the most entries a job's `sources` may have; absent: 50. */
  maxSourcesPerJob?: number;
  /** UPLOAD_MAX_BYTES: the most a job's sources may hold together; absent: no limit. */
  maxSourceBytes?: number;
  /** Cap on one key's queued + processing jobs. */
  maxActiveJobsPerOwner: number;
  logger: Logger;
  /** Job counters (submitted, reused, cancelled); absent: none are kept. */
  metrics?: JobSubmissionMetrics;
  /**
   * Checks a job's `webhook_url` against the SSRF policy and returns it
   * normalised (see checkWebhookUrl); absent: jobs cannot have one.
   * @throws AppError WEBHOOK_URL_REFUSED
   */
  checkWebhookUrl?: (url: string) => Promise<string>;
  /** Where job folders live (OUTPUT_BUCKET, OUTPUT_PREFIX), for DELETE /jobs/{id}. */
  outputFolders?: JobFolders;
  /** Result reuse (see result-reuse.ts); absent: off. */
  reuse?: ReuseSettings;
  /** OUTPUT_RETENTION_DAYS in ms, for the database TTL of a reusing job's record; absent: keep. */
  outputRetentionMs?: number;
  /**
   * Only results whose objects were written at most this long ago are reused
   * (ms): set while S3 lifecycle rules expire output objects by age.
   */
  reuseMaxAgeMs?: number;
}

/** Who is asking: a key sees only its own jobs, an admin key sees all. */
export interface Viewer {
  keyId: string;
  admin: boolean;
}

export interface SubmitOptions {
  /** Client-chosen key that makes retried submissions return the first job. */
  idempotencyKey?: string;
  /** Who is submitting (an API key id); idempotency keys are scoped to it. */
  owner?: string;
  /** An admin key may use any key's upload as its source. */
  admin?: boolean;
  /** Set by submit() from the body's `webhook_url`, once checked. */
  webhookUrl?: string;
  /** Set by submit() from the body's `preset`, kept on the job. */
  preset?: string;
  /**
   * The submitting request's W3C trace context (see requestTraceCarrier):
   * stored with the job and sent with its queue message, so the worker's
   * spans and log lines continue it.
   */
  trace?: TraceCarrier;
  /**
   * Spends the caller's rate-limit token. Called once the request passed
   * every check of the request itself (body, operation, params, source
   * bucket, webhook URL), before the database or S3 is asked anything: an
   * invalid request costs nothing, while a valid one pays before it can
   * make the database or S3 work.
   * @throws AppError RATE_LIMITED to refuse the submission.
   */
  charge?: () => Promise<void>;
}

export interface SubmitResult {
  job: Job;
  /** True when an earlier submission with the same idempotency key is returned. */
  replayed: boolean;
}

const MAX_REPLAY_BATCH = 100;
/**
 * Group-commit writes in flight at once, per kind (records, queue messages).
 * Two keep the database busy while the next batch gathers; more only split
 * the same load into smaller batches.
 */
const WRITES_IN_FLIGHT = 2;

/** The API's use cases, independent of HTTP. */
export class JobService {
  /** New job records: concurrent submits share one insertMany / BatchWriteItem. */
  private readonly records: GroupCommit<NewJob, Job>;
  /** Queue messages: concurrent submits share one Kafka produce request, each message with its own headers. */
  private readonly messages: GroupCommit<JobMessage, undefined>;
  private readonly quota: ActiveJobQuota;
  /** Source checks in flight: concurrent submits of one source share one HEAD. */
  private readonly heads = new Map<string, Promise<ObjectInfo | null>>();

  constructor(private readonly deps: JobServiceDeps) {
    this.records = new GroupCommit(async (jobs) => deps.repository.createMany([...jobs]), {
      maxInFlight: WRITES_IN_FLIGHT,
    });
    this.messages = new GroupCommit(
      async (messages) => {
        await deps.publisher.publishMany(messages);
        return messages.map(() => undefined);
      },
      { maxInFlight: WRITES_IN_FLIGHT },
    );
    this.quota = new ActiveJobQuota(async (owner) => deps.repository.countActive(owner), {
      limit: deps.maxActiveJobsPerOwner,
    });
  }

  /**
   * Validates, stores, then publishes. The record is written first so a
   * worker never receives an id it cannot find. When Kafka refuses the
   * message the job stays stored and flagged, the reaper publishes it once
   * Kafka is back, and the caller gets a 503 naming the job.
   *
   * Under load, concurrent submits share their writes (group commit): one
   * insertMany / BatchWriteItem for the records, then one Kafka send for the
   * messages; each caller is still answered only after its own record is
   * durable and its own message acknowledged.
   */
  async submit(body: unknown, options: SubmitOptions = {}): Promise<SubmitResult> {
    const { body: withoutWebhook, webhookUrl } = takeWebhookUrl(body);
    const { body: request, reuse: reuseAllowed } = takeReuseOption(withoutWebhook);
    const { source, sources, operation, steps, preset } = validateSubmission(request, this.deps.allowedSourceBuckets, {
      ...(this.deps.maxSourcesPerJob === undefined ? {} : { maxSources: this.deps.maxSourcesPerJob }),
    });
    if (webhookUrl !== undefined) {
      if (!this.deps.checkWebhookUrl) {
        throw new AppError('WEBHOOK_URL_REFUSED', 'webhook_url refused: this server sends no webhooks');
      }
      options = { ...options, webhookUrl: await this.deps.checkWebhookUrl(webhookUrl) };
    }
    await options.charge?.();
    if (options.owner !== undefined) await this.quota.admit(options.owner);
    try {
      return await this.admitted(
        sources ?? [source],
        sources !== undefined,
        operation,
        steps,
        reuseAllowed,
        preset === undefined ? options : { ...options, preset },
      );
    } catch (error) {
      if (options.owner !== undefined) this.quota.giveBack(options.owner);
      throw error;
    }
  }

  private async admitted(
    refs: readonly ObjectRef[],
    asList: boolean,
    operation: OperationSpec,
    steps: OperationSpec[] | undefined,
    reuseAllowed: boolean,
    options: SubmitOptions,
  ): Promise<SubmitResult> {
    let jobId: string = randomUUID();
    const uris = refs.map(formatS3Uri);
    const sourceUri = uris[0] ?? '';

    if (options.idempotencyKey !== undefined) {
      // A one-source body keeps the fingerprint it always had, so keys stored before `sources` still match.
      const fingerprint = createHash('sha256')
        .update(
          JSON.stringify({
            ...(asList ? { sources: uris } : { source: sourceUri }),
            // A one-operation body keeps the fingerprint it always had.
            ...(steps === undefined ? { operation } : { steps }),
          }),
        )
        .digest('hex');
      const existing = await this.deps.repository.reserveIdempotencyKey({
        scope: options.owner ?? '',
        key: options.idempotencyKey,
        fingerprint,
        jobId,
        now: new Date(),
      });
      if (existing) {
        if (existing.fingerprint !== fingerprint) {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used with a different request body');
        }
        const job = await this.deps.repository.get(existing.job_id);
        if (job) return { job, replayed: true };
        // The first request reserved the key but never stored its job: finish its work.
        jobId = existing.job_id;
      }
    }

    const infos = await this.checkSources(refs, asList, options);
    const sha256 = combinedSha256(infos, asList);
    // A multi-step job's result is never reused: the reuse key names one operation's recipe, not a chain.
    const reuseKey =
      steps === undefined && this.deps.reuse
        ? reuseKeyOf(this.deps.reuse, { owner: options.owner, sha256, operation })
        : undefined;
    // With `"reuse": false` the job runs, but its key is still stored so later jobs may reuse its result.
    const now = new Date();
    const earlier = reuseKey !== undefined && reuseAllowed ? await this.reusable(reuseKey, now) : null;
    let job: Job;
    try {
      // Keyed submits race for one reserved id, so they take the conditional
      // single insert: a batch write cannot be conditional (DynamoDB would
      // overwrite) and one duplicate must not fail the strangers batched with it.
      const store = async (record: NewJob): Promise<Job> =>
        options.idempotencyKey === undefined ? this.records.write(record) : this.deps.repository.create(record);
      job = await store({
        job_id: jobId,
        source: sourceUri,
        ...(asList ? { sources: uris } : {}),
        operation,
        ...(steps === undefined ? {} : { steps }),
        ...(options.preset === undefined ? {} : { preset: options.preset }),
        created_at: now.toISOString(),
        ...(options.owner === undefined ? {} : { owner: options.owner }),
        ...(options.idempotencyKey === undefined ? {} : { idempotency_key: options.idempotencyKey }),
        // A combined hash over several sources is no one file's SHA-256: it keys reuse only.
        ...(sha256 === undefined || asList ? {} : { source_sha256: sha256 }),
        ...(reuseKey === undefined ? {} : { reuse_key: reuseKey }),
        ...(options.webhookUrl === undefined ? {} : { webhook_url: options.webhookUrl }),
        ...(options.trace === undefined ? {} : { trace: options.trace }),
        ...(earlier
          ? {
              reuse: {
                from: earlier.reused_from ?? earlier.job_id,
                outputs: earlier.outputs,
                ...(earlier.output_path === undefined ? {} : { output_path: earlier.output_path }),
                ...(earlier.log_path === undefined ? {} : { log_path: earlier.log_path }),
              },
              ...(this.deps.outputRetentionMs === undefined
                ? {}
                : { recordExpiresAt: new Date(now.getTime() + this.deps.outputRetentionMs + TOMBSTONE_KEEP_MS) }),
            }
          : {}),
      });
    } catch (error) {
      // Concurrent requests with one Idempotency-Key all aim at the reserved
      // id; whichever stored it first wins, and the others return its job.
      const stored = options.idempotencyKey === undefined ? null : await this.deps.repository.get(jobId);
      if (stored) return { job: stored, replayed: true };
      throw error;
    }
    this.deps.metrics?.jobSubmitted(job.method_name);
    if (earlier) {
      this.deps.metrics?.jobReused(job.method_name);
      this.deps.logger.info('job reused an earlier result', { jobId: job.job_id, reusedFrom: job.reused_from });
      return { job, replayed: false };
    }
    await this.publishOrFlag(job.job_id, options.trace);
    return { job, replayed: false };
  }

  /**
   * Each source must exist and be usable by the submitting key (the same
   * check, and the same answer, as for one `source`), and together they
   * must fit UPLOAD_MAX_BYTES.
   * @throws AppError SOURCE_NOT_FOUND (404) naming the entry; PAYLOAD_TOO_LARGE (413) when their sizes add up to more than the limit.
   */
  private async checkSources(
    refs: readonly ObjectRef[],
    asList: boolean,
    options: SubmitOptions,
  ): Promise<ObjectInfo[]> {
    const viewer = options.owner === undefined ? undefined : { keyId: options.owner, admin: options.admin === true };
    const infos = await Promise.all(refs.map(async (ref) => this.headOnce(ref, formatS3Uri(ref))));
    const usable = infos.map((info, index) => {
      const ref = refs[index];
      // Another key's upload answers exactly as a missing object does: its existence must not leak.
      const owner = info?.metadata?.[OWNER_METADATA_KEY];
      if (!info || !mayUseSource(owner ? { owner } : {}, ref, viewer, this.deps.inputBucket)) {
        const where = asList ? `sources[${index}]` : 'source';
        throw new AppError('SOURCE_NOT_FOUND', `${where} ${formatS3Uri(ref)} does not exist`, {
          ...(asList ? { details: { index } } : {}),
        });
      }
      return info;
    });
    const total = usable.reduce((sum, info) => sum + info.size, 0);
    const limit = this.deps.maxSourceBytes;
    if (asList && limit !== undefined && total > limit) {
      throw new AppError(
        'PAYLOAD_TOO_LARGE',
        `the sources hold ${total} bytes together; at most ${limit} (UPLOAD_MAX_BYTES) are allowed`,
        { details: { size_bytes: total, limit } },
      );
    }
    return usable;
  }

  /** Another key's job is as unknown as a job that never existed: ids must not leak. */
  async get(jobId: string, viewer?: Viewer): Promise<Job> {
    const job = await this.getEvenDeleted(jobId, viewer);
    // A deleted job's tombstone is as gone as any unknown job.
    if (job.deleted_at !== undefined) throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    return job;
  }

  /**
   * DELETE /jobs/{id}: cancels the job if it is still queued or running (its
   * worker then removes what it wrote), tombstones the record, and deletes
   * its folder unless another live job reuses those objects (see
   * releaseJobObjects). Deleting again, also after a storage failure, just
   * finishes the work.
   *
   * @throws AppError JOB_NOT_FOUND (404) for an unknown job or another key's.
   * @throws AppError STORAGE_ERROR / DATABASE_ERROR (503) when a dependency fails; repeat the call.
   */
  async delete(jobId: string, viewer?: Viewer): Promise<void> {
    let job = await this.getEvenDeleted(jobId, viewer);
    const now = new Date();
    if (job.deleted_at === undefined) {
      if (!isTerminal(job.status)) {
        const cancelled = await this.deps.repository.requestCancel(jobId, now);
        if (job.status === 'queued' && cancelled?.status === 'cancelled')
          this.deps.metrics?.jobCancelled(job.method_name);
      }
      job = (await this.deps.repository.markDeleted(jobId, now, new Date(now.getTime() + TOMBSTONE_KEEP_MS))) ?? job;
    }
    if (!this.deps.outputFolders) throw new AppError('INTERNAL', 'the job service was built without output folders');
    const removed = await releaseJobObjects(
      { repository: this.deps.repository, store: this.deps.store, folders: this.deps.outputFolders },
      job,
    );
    this.deps.logger.info('job deleted', { jobId, objectsRemoved: removed });
  }

  /** The result to reuse for this key, if any is young enough (see reuseMaxAgeMs). */
  private async reusable(reuseKey: string, now: Date): Promise<Job | null> {
    const found = await this.deps.repository.findReusable(reuseKey);
    const maxAge = this.deps.reuseMaxAgeMs;
    if (!found || maxAge === undefined) return found;
    // The objects are as old as the job that wrote them, the root of the reuse chain.
    const root = found.reused_from === undefined ? found : await this.deps.repository.get(found.reused_from);
    const writtenAt = root?.completed_at === undefined ? Number.NaN : Date.parse(root.completed_at);
    return now.getTime() - writtenAt <= maxAge ? found : null;
  }

  /** Like get(), but a deleted job's tombstone is returned too (to its owner). */
  private async getEvenDeleted(jobId: string, viewer?: Viewer): Promise<Job> {
    const job = isUuid(jobId) ? await this.deps.repository.get(jobId) : null;
    if (!job || (viewer && !viewer.admin && job.owner !== viewer.keyId)) {
      throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    }
    return job;
  }

  async list(query: ListJobsQuery, viewer?: Viewer): Promise<JobPage> {
    return this.deps.repository.list(viewer && !viewer.admin ? { ...query, owner: viewer.keyId } : query);
  }

  /** A queued job is cancelled at once; a running one when its worker notices (within about a second). */
  async cancel(jobId: string, viewer?: Viewer): Promise<Job> {
    const before = await this.get(jobId, viewer);
    const job = await this.deps.repository.requestCancel(jobId, new Date());
    if (!job) throw new AppError('JOB_NOT_FOUND', `no job with id ${jobId}`);
    // A queued job is cancelled here; a running one is counted by its worker when it acknowledges.
    if (before.status === 'queued' && job.status === 'cancelled') this.deps.metrics?.jobCancelled(job.method_name);
    if (job.status === 'completed' || job.status === 'failed') {
      throw new AppError('JOB_NOT_CANCELLABLE', `job ${jobId} is already ${job.status}`, {
        details: { status: job.status },
      });
    }
    return job;
  }

  /** Runs a failed or cancelled job again, with a fresh set of attempts. */
  async retry(jobId: string, viewer?: Viewer, note = 'retried by an operator'): Promise<Job> {
    const current = await this.get(jobId, viewer);
    const job = await this.deps.repository.requeue(jobId, new Date(), note);
    if (!job) {
      throw new AppError(
        'JOB_NOT_RETRYABLE',
        `job ${jobId} is ${current.status}; only failed or cancelled jobs can be retried`,
        {
          details: { status: current.status },
        },
      );
    }
    // A retry continues the trace of the original submit, which the record keeps.
    await this.publishOrFlag(jobId, job.trace);
    return job;
  }

  async listDeadLetters(query: { limit: number; cursor?: string }): Promise<{ jobs: Job[]; next_cursor?: string }> {
    return this.deps.repository.listDeadLetters(query);
  }

  /** Re-queues the given dead-lettered jobs, or the newest ones when none are named. */
  async replayDeadLetters(jobIds: readonly string[] | undefined): Promise<string[]> {
    const ids =
      jobIds ?? (await this.deps.repository.listDeadLetters({ limit: MAX_REPLAY_BATCH })).jobs.map((job) => job.job_id);
    const replayed: string[] = [];
    for (const jobId of ids) {
      const job = isUuid(jobId) ? await this.deps.repository.get(jobId) : null;
      if (!job?.dead_lettered_at || job.deleted_at !== undefined) continue;
      await this.retry(jobId, undefined, 'replayed from the dead letters');
      replayed.push(jobId);
    }
    return replayed;
  }

  /** store.head(), shared by concurrent calls for the same object. */
  private async headOnce(source: ObjectRef, sourceUri: string): Promise<ObjectInfo | null> {
    const running = this.heads.get(sourceUri);
    if (running) return running;
    const head = this.deps.store.head(source).finally(() => this.heads.delete(sourceUri));
    this.heads.set(sourceUri, head);
    return head;
  }

  /**
   * Publishes in a producer span that continues `trace` (the submit's): the
   * message carries that span as its parent, so the worker's job span is its
   * child. With tracing off the message carries `trace` itself.
   */
  private async publishOrFlag(jobId: string, trace: TraceCarrier | undefined): Promise<void> {
    try {
      await inTraceScope(
        'job publish',
        {
          kind: 'producer',
          attributes: { 'mediaflow.job.id': jobId },
          ...(trace === undefined ? {} : { parent: trace }),
        },
        async (scope) => {
          const carrier = scope.carrier();
          await this.messages.write({ job_id: jobId, ...(carrier === undefined ? {} : { trace: carrier }) });
        },
      );
    } catch (error) {
      this.deps.logger.warn('job stored but not published; the reaper will publish it', {
        jobId,
        error: errorMessage(error),
      });
      await this.deps.repository.setNeedsPublish(jobId, true, new Date()).catch((flagError: unknown) => {
        this.deps.logger.warn('could not flag the job for publishing; it will be found as idle', {
          jobId,
          error: errorMessage(flagError),
        });
      });
      throw isAppError(error)
        ? new AppError(
            error.code,
            'the job queue is unavailable; the job is stored and will be queued when it is back',
            {
              details: { job_id: jobId },
            },
          )
        : error;
    }
  }
}

/**
 * The content hash a job's result-reuse key is built on: the one source's,
 * or for `sources` a hash over every source's hash in order (undefined when
 * any is unknown, so such a job is never reused by a different set).
 */
function combinedSha256(infos: readonly ObjectInfo[], asList: boolean): string | undefined {
  const hashes = infos.map((info) => sourceSha256(info));
  if (!asList) return hashes[0];
  if (hashes.some((hash) => hash === undefined)) return undefined;
  return createHash('sha256')
    .update(`sources:${hashes.join(',')}`)
    .digest('hex');
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

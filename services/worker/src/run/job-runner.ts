import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  AppError,
  errorMessage,
  formatS3Uri,
  isAppError,
  operationOf,
  parseS3Uri,
  traceLogFields,
} from '@mediaflow/domain';
import type {
  AppConfig,
  CompletedStep,
  Job,
  JobError,
  JobOutput,
  JobWarning,
  Logger,
  ObjectRef,
  TraceCarrier,
} from '@mediaflow/domain';
import {
  assertMediaWithinLimits,
  assertSourceComplete,
  mediaLimitsFromConfig,
  probeMedia,
  probeProcessLimits,
} from '@mediaflow/media';
import type { MediaLimitsConfig, MediaProbe } from '@mediaflow/media';
import { operationFor, stepCost } from '@mediaflow/operations';
import { inTraceScope, TOMBSTONE_KEEP_MS } from '@mediaflow/runtime';
import type { AttemptOutcome, AttemptRecorder, JobAttemptMetrics, StepMetrics, TraceScope } from '@mediaflow/runtime';
import type { ExecutionPlan } from '@mediaflow/operations';
import type { DeliveryContext, DeliveryOutcome, JobMessage, JobPublisher } from '@mediaflow/queue';
import type { JobLeases } from '@mediaflow/repository';
import { sourceFileName, uploadInfo } from '@mediaflow/storage';
import type { ObjectStore } from '@mediaflow/storage';
import { jobFolder, objectIn, publishOutputs } from '../artifacts/output-publisher';
import type { JobFolder } from '../artifacts/output-publisher';
import { sourceWarnings, verifyOutputs } from '../artifacts/verify-outputs';
import { ProgressReporter } from '../progress-reporter';
import type { ProgressSnapshot } from '../progress-reporter';
import type { StepContext, StepExecutors } from '../steps';
import { Watchdog } from '../watchdog';
import { decideFailure } from './failure-policy';
import type { FailureFacts, StopReason } from './failure-policy';
import { PlanProgress } from './plan-progress';
import type { StepProgress } from './plan-progress';
import { assembleSources } from './source-assembly';

export type RunnerConfig = Pick<
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
  | 'OUTPUT_RETENTION_DAYS'
> &
  MediaLimitsConfig;

export interface JobRunnerDeps {
  repository: JobLeases;
  store: ObjectStore;
  publisher: JobPublisher;
  config: RunnerConfig;
  logger: Logger;
  workerId: string;
  /** One executor per step kind (see steps/index.ts). */
  executors: StepExecutors;
  /** Attempt counters and timings (see @mediaflow/runtime metrics); absent: none are kept. */
  metrics?: JobAttemptMetrics;
}

// The probe reads every packet once (see probeMedia): about 2 CPU-seconds per
// hour of 30 fps media, more on a busy, niced worker; a 4 h upload must fit.
const PROBE_TIMEOUT_MS = 180_000;
const LOG_NAME = 'ffmpeg.log';

/**
 * Runs any job, whatever its operation: claim → work directory → fetch the
 * source → probe → plan (the operation's pure planner, from the registry)
 * → run the plan's steps → publish the manifest's outputs → complete. It
 * knows no operation by name. It returns how the queue message should be
 * disposed of; the message is only acknowledged once the job's final state
 * (or its hand-back for a retry) is stored.
 *
 * @throws the original error of a bug (not an AppError), after recording the job as failed, so the process fails loudly.
 */
export class JobRunner {
  /** The metrics of each attempt in flight on this runner, by job id, until its outcome is known. */
  private readonly attempts = new Map<string, AttemptRecorder>();

  constructor(private readonly deps: JobRunnerDeps) {}

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
    this.startAttempt(job);
    if (job.attempts > config.MAX_ATTEMPTS) {
      // Earlier attempts ended without a word (the worker died each time):
      // this job may be what kills workers, so it is not run again.
      const lost = new AppError('WORKER_LOST', 'the worker running this job stopped unexpectedly');
      await this.giveUp(job, lost, undefined, logger.child({ jobId: job.job_id, ...traceLogFields(job.trace) }));
      return 'done';
    }
    // The message's context is the submit's publish span; a message without
    // one (published before tracing, or by hand) falls back to the record's.
    try {
      return await this.run(job, context, message.trace ?? job.trace);
    } finally {
      // An attempt whose final write threw has no outcome: it still ends.
      this.endAttempt(job, 'interrupted');
    }
  }

  private startAttempt(job: Job): void {
    this.endAttempt(job, 'interrupted');
    if (!this.deps.metrics) return;
    this.attempts.set(
      job.job_id,
      this.deps.metrics.attemptStarted({
        operation: job.method_name,
        createdAt: job.created_at,
        attempt: job.attempts,
      }),
    );
  }

  /** Records how the attempt ended; only the first outcome of an attempt counts. */
  private endAttempt(job: Job, outcome: AttemptOutcome, errorCode?: string): void {
    const attempt = this.attempts.get(job.job_id);
    if (!attempt) return;
    this.attempts.delete(job.job_id);
    attempt.end(outcome, errorCode);
  }

  /**
   * One attempt in a `job <operation>` span continuing the submit's trace,
   * with child spans for download, probe, each step, verify and upload. Every
   * log line of the attempt carries trace_id (and span_id with tracing on).
   */
  private async run(job: Job, delivery: DeliveryContext, trace: TraceCarrier | undefined): Promise<DeliveryOutcome> {
    return inTraceScope(
      `job ${job.method_name}`,
      {
        kind: 'consumer',
        ...(trace === undefined ? {} : { parent: trace }),
        attributes: {
          'mediaflow.job.id': job.job_id,
          'mediaflow.job.operation': job.method_name,
          'mediaflow.job.attempt': job.attempts,
          'mediaflow.worker.id': this.deps.workerId,
        },
      },
      async (scope) => this.attempt(job, delivery, scope),
    );
  }

  private async attempt(job: Job, delivery: DeliveryContext, scope: TraceScope): Promise<DeliveryOutcome> {
    const { repository, config, workerId } = this.deps;
    const logger = this.deps.logger.child({ jobId: job.job_id, attempt: job.attempts, ...scope.logFields });
    const folder = jobFolder({ bucket: config.OUTPUT_BUCKET, outputPrefix: config.OUTPUT_PREFIX, jobId: job.job_id });
    const abort = new AbortController();
    let stopReason: StopReason | undefined;
    let stall: FailureFacts['stall'];
    const stop = (reason: StopReason): void => {
      stopReason ??= reason;
      abort.abort(new AppError('JOB_ABORTED', `attempt stopped: ${reason}`));
    };
    const onShutdown = (): void => abort.abort(delivery.signal.reason);
    delivery.signal.addEventListener('abort', onShutdown, { once: true });
    // A shutdown that began before this attempt did would never fire the listener.
    if (delivery.signal.aborted) onShutdown();

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
        heartbeat: async () => delivery.heartbeat(),
      },
      config.PROGRESS_INTERVAL_MS,
      () => void this.whyRefused(job.job_id).then(stop),
      logger,
    );
    reporter.start();

    // WORK_DIR may not exist yet (a fresh DATA_DIR) or may have been swept by a tmp cleaner since the start.
    await mkdir(config.WORK_DIR, { recursive: true });
    const workDir = await mkdtemp(path.join(config.WORK_DIR, 'mediaflow-job-'));
    const log: string[] = [];
    let plan: ExecutionPlan | undefined;
    /** A multi-step job's steps whose outputs are stored and recorded: a failure leaves their files in place. */
    const finishedSteps = new Set((job.completed_steps ?? []).map((checkpoint) => checkpoint.index));
    logger.info('job started', { method: job.method_name, source: job.source });

    try {
      // A multi-step job runs its chain, each step reading the previous step's primary output;
      // a one-operation job is a chain of one. A retry resumes after the last checkpoint.
      const chain = job.steps ?? [operationOf(job)];
      const multi = job.steps !== undefined;
      const checkpoints = multi ? [...(job.completed_steps ?? [])] : [];
      const resumeAt = checkpoints.length;
      const chainProgress = new PlanProgress(chain.map((step) => stepCost(step.method_name)));
      const outDir = path.join(workDir, 'out');
      let input: StepInput;
      if (resumeAt === 0) {
        input = await this.fetchSources(job, workDir, scope, abort.signal, logger);
      } else {
        const previous = checkpoints[resumeAt - 1];
        logger.info('resuming a multi-step job after its last finished step', { step: previous.index });
        log.push(`# resumed at step ${resumeAt + 1} of ${chain.length}: steps 1–${resumeAt} finished earlier\n`);
        input = await this.fetchStepOutput(previous, workDir, scope, abort.signal);
      }
      const stepOutputs: JobOutput[] = checkpoints.flatMap((checkpoint) => checkpoint.outputs);
      const warnings: JobWarning[] = [...sourceWarnings(input.probe)];
      let published: JobOutput[] = [];
      for (let index = resumeAt; index < chain.length; index += 1) {
        abort.signal.throwIfAborted();
        const spec = chain[index];
        const operation = operationFor(spec.method_name);
        // Each step of a multi-step job writes into its own directory, `step-<n>/` of the job's folder.
        const prefix = multi ? `step-${index + 1}/` : '';
        const stepDir = path.join(outDir, prefix);
        if (multi) log.push(`# step ${index + 1} of ${chain.length}: ${spec.method_name}\n`);
        plan = operation.plan(spec, input.firstProbe, {
          inputPath: input.paths[0],
          ...(input.several && index === 0
            ? { inputs: input.paths.map((file, at) => ({ path: file, probe: input.probes[at] })) }
            : {}),
          workDir: stepDir,
          sourceName: input.sourceName,
          defaults: { whisperModel: config.WHISPER_MODEL },
        });
        // What the outputs leave out of the source (a subtitle track the target
        // cannot hold): the job completes, and says so in warnings[] and the log.
        const planWarnings: JobWarning[] = (plan.warnings ?? []).map((message) => ({
          code: 'STREAM_DROPPED',
          message,
        }));
        if (planWarnings.length > 0) logger.warn('plan leaves part of the source out', { warnings: plan.warnings });
        await this.runSteps(plan, {
          scope,
          metrics: this.attempts.get(job.job_id),
          workDir: stepDir,
          inputPath: input.paths[0],
          probe: input.probe,
          signal: abort.signal,
          logger: multi ? logger.child({ jobStep: index }) : logger,
          log,
          onProgress: (snapshot) =>
            reporter.report(multi ? chainProgress.report(index, stepProgressOf(snapshot)) : snapshot),
          onWatchdog: (verdict, what, stallMs) => {
            if (verdict === 'stalled') stall = { what, seconds: stallMs / 1000 };
            stop(verdict);
          },
          ...(multi ? { onBegin: () => reporter.report(chainProgress.begin(index)) } : {}),
        });

        // FFmpeg exits 0 on empty and cut-short files too: nothing is published unchecked.
        const manifest = plan.outputs.map((entry) => ({ ...entry, path: `${prefix}${entry.path}` }));
        const stepPlan = plan;
        warnings.push(
          ...planWarnings,
          ...(await scope.child('verify', {}, async () =>
            verifyOutputs({
              workDir: outDir,
              manifest,
              ffprobePath: config.FFPROBE_PATH,
              limits: probeProcessLimits(config),
              signal: abort.signal,
            }),
          )),
        );
        const files = await scope.child('upload', {}, async (span) => {
          const written = await publishOutputs({
            store: this.deps.store,
            folder,
            workDir: outDir,
            manifest,
            signal: abort.signal,
          });
          span.setAttributes({
            'mediaflow.outputs': written.length,
            'mediaflow.bytes': written.reduce((sum, output) => sum + (output.size_bytes ?? 0), 0),
          });
          return written;
        });
        if (!multi) {
          published = files;
          break;
        }
        const own = files.map((output) => ({ ...output, step: index }));
        if (index === chain.length - 1) {
          // Only the last step's primary is the job's; earlier steps' outputs stay listed under their step.
          published = [...stepOutputs.map(({ primary: _primary, ...output }) => output), ...own];
          break;
        }
        stepOutputs.push(...own);
        checkpoints.push({ index, outputs: own, at: new Date().toISOString() });
        // Not raced by a progress write, which on FerretDB v1 could write the record back without it.
        const kept = await reporter.exclusive(async () =>
          repository.completeStep(job.job_id, workerId, {
            now: new Date(),
            completed_steps: checkpoints,
            outputs: stepOutputs,
          }),
        );
        if (!kept) {
          stop(await this.whyRefused(job.job_id));
          throw new AppError('JOB_ABORTED', 'the job changed hands before its step could be recorded');
        }
        finishedSteps.add(index);
        logger.info('step finished', { step: index, method: spec.method_name, outputs: own.length });
        const primaryEntry = stepPlan.outputs.find((entry) => entry.primary) ?? stepPlan.outputs[0];
        input = await this.probeInputs(
          [path.join(stepDir, primaryEntry.path)],
          false,
          primaryEntry.path,
          scope,
          abort.signal,
        );
      }
      for (const warning of warnings) log.push(`# warning ${warning.code}: ${warning.message}\n`);
      const logOutput = await this.uploadLog(folder, plan, log.join('\n'));
      await reporter.stop();
      const outputs: JobOutput[] = [...published, logOutput];
      const primary = published.find((output) => output.primary) ?? published.at(-1);
      const stored = await repository.complete(job.job_id, workerId, {
        now: new Date(),
        outputs,
        output_path: primary?.object ?? formatS3Uri(objectIn(folder, '')),
        log_path: logOutput.object ?? '',
        ...(warnings.length > 0 ? { warnings } : {}),
        // The database may purge the record once retention and the tombstone's keep have passed.
        ...(config.OUTPUT_RETENTION_DAYS === undefined
          ? {}
          : { recordExpiresAt: new Date(Date.now() + config.OUTPUT_RETENTION_DAYS * 86_400_000 + TOMBSTONE_KEEP_MS) }),
      });
      if (!stored) {
        // Cancelled at the last moment, or taken over: our outputs must not stand.
        stop(await this.whyRefused(job.job_id));
        throw new AppError('JOB_ABORTED', 'the job changed hands before it could be completed');
      }
      logger.info('job completed', {
        outputs: published.map((output) => output.kind),
        ...(warnings.length > 0 ? { warnings: warnings.map((warning) => warning.code) } : {}),
        outputBytes: published.reduce((sum, output) => sum + (output.size_bytes ?? 0), 0),
      });
      this.endAttempt(job, 'completed');
      return 'done';
    } catch (error) {
      await reporter.stop();
      scope.recordFailure(error);
      return await this.afterFailure(job, error, {
        logger,
        folder,
        plan,
        finishedSteps,
        log: log.join('\n'),
        facts: {
          stopReason,
          shuttingDown: delivery.signal.aborted && stopReason === undefined,
          error,
          attempts: job.attempts,
          ...(stall ? { stall } : {}),
        },
      });
    } finally {
      await reporter.stop();
      delivery.signal.removeEventListener('abort', onShutdown);
      await rm(workDir, { recursive: true, force: true });
    }
  }

  /**
   * Downloads the job's sources (MediaRecorder chunks joined into one input,
   * complete recordings kept separate), probes each and checks them.
   * @throws AppError SOURCE_NOT_FOUND, media codes (NOT_MEDIA, SOURCE_TRUNCATED, limits), the store's errors.
   */
  private async fetchSources(
    job: Job,
    workDir: string,
    scope: TraceScope,
    signal: AbortSignal,
    logger: Logger,
  ): Promise<StepInput> {
    // A job submitted with `sources` lists every input; `source` is then the first.
    const sourceRefs = (job.sources ?? [job.source]).map(parseS3Uri);
    const sourceRef = sourceRefs[0] ?? parseS3Uri(job.source);
    const several = job.sources !== undefined;
    const downloads = sourceRefs.map((ref, index) =>
      path.join(
        workDir,
        several
          ? `source-${String(index).padStart(4, '0')}${safeExtension(ref.key)}`
          : `source${safeExtension(ref.key)}`,
      ),
    );
    await scope.child(
      'download',
      { 'mediaflow.source': job.source, 'mediaflow.sources': sourceRefs.length },
      async (span) => {
        let bytes = 0;
        // One at a time: the sources together are bounded by UPLOAD_MAX_BYTES, and one stream keeps the disk sequential.
        for (const [index, ref] of sourceRefs.entries()) {
          await this.download(ref, downloads[index], signal, several ? index : undefined);
          bytes += (await stat(downloads[index])).size;
        }
        span.setAttributes({ 'mediaflow.bytes': bytes });
      },
    );
    // Several sources: MediaRecorder chunks are joined into one input here (and checked to
    // continue each other); complete recordings stay separate inputs for the plan to join.
    const inputPaths = several
      ? (
          await scope.child('assemble', {}, async (span) => {
            const assembled = await assembleSources(downloads, workDir);
            span.setAttributes({ 'mediaflow.sources.layout': assembled.layout });
            logger.info('sources assembled', {
              layout: assembled.layout,
              sources: downloads.length,
              inputs: assembled.paths.length,
            });
            return assembled;
          })
        ).paths
      : downloads;
    // Outputs are named after the user's file: a tus upload's key is only an id, its name is in the metadata.
    const sourceName = sourceFileName(sourceRef, await uploadInfo(this.deps.store, sourceRef));
    return this.probeInputs(inputPaths, several, sourceName, scope, signal);
  }

  /**
   * A resumed multi-step job's input: the stored primary output of its last finished step.
   * @throws AppError SOURCE_NOT_FOUND when that object is gone; media codes from the probe.
   */
  private async fetchStepOutput(
    checkpoint: CompletedStep,
    workDir: string,
    scope: TraceScope,
    signal: AbortSignal,
  ): Promise<StepInput> {
    const primary = checkpoint.outputs.find((output) => output.primary) ?? checkpoint.outputs[0];
    if (primary?.object === undefined || primary.path.endsWith('/')) {
      throw new AppError('SOURCE_NOT_FOUND', `step ${checkpoint.index + 1} left no stored file to resume from`);
    }
    const ref = parseS3Uri(primary.object);
    const file = path.join(workDir, `step-input${safeExtension(ref.key)}`);
    await scope.child('download', { 'mediaflow.source': primary.object, 'mediaflow.sources': 1 }, async (span) => {
      await this.download(ref, file, signal);
      span.setAttributes({ 'mediaflow.bytes': (await stat(file)).size });
    });
    return this.probeInputs([file], false, path.posix.basename(primary.path), scope, signal);
  }

  /**
   * Probes each input and checks it against the media limits; several inputs
   * count together toward the limits that scale with duration.
   * @throws AppError media codes (NOT_MEDIA, SOURCE_TRUNCATED, MEDIA_TOO_LONG, …).
   */
  private async probeInputs(
    paths: string[],
    several: boolean,
    sourceName: string,
    scope: TraceScope,
    signal: AbortSignal,
  ): Promise<StepInput> {
    const { config } = this.deps;
    const probes: MediaProbe[] = [];
    for (const inputFile of paths) {
      probes.push(
        await scope.child('probe', {}, async (span) => {
          const probed = await probeMedia(inputFile, {
            ffprobePath: config.FFPROBE_PATH,
            signal: AbortSignal.any([signal, AbortSignal.timeout(PROBE_TIMEOUT_MS)]),
            limits: probeProcessLimits(config),
          });
          span.setAttributes({
            'media.format': probed.formatName,
            'media.duration_s': probed.durationSec,
            ...(probed.video ? { 'media.video.codec': probed.video.codec } : {}),
          });
          return probed;
        }),
      );
    }
    for (const probed of probes) {
      assertMediaWithinLimits(probed, mediaLimitsFromConfig(config));
      assertSourceComplete(probed);
    }
    const firstProbe = probes[0];
    // Limits that scale with the media (time limit, CPU budget) see every input's seconds.
    const totalSec = probes.reduce((sum, probed) => sum + probed.durationSec, 0);
    const probe: MediaProbe = probes.length > 1 ? { ...firstProbe, durationSec: totalSec } : firstProbe;
    if (probes.length > 1) assertMediaWithinLimits(probe, mediaLimitsFromConfig(config));
    return { paths, probes, firstProbe, probe, several, sourceName };
  }

  /** The plan's steps in order, each under its own watchdog, with progress weighted across them. */
  private async runSteps(
    plan: ExecutionPlan,
    options: {
      scope: TraceScope;
      metrics: StepMetrics | undefined;
      workDir: string;
      inputPath: string;
      probe: MediaProbe;
      signal: AbortSignal;
      logger: Logger;
      log: string[];
      onProgress: (snapshot: { percent: number; speed?: number; etaSeconds?: number }) => void;
      onWatchdog: (verdict: 'stalled' | 'timed-out', what: 'FFmpeg' | 'transcription', stallMs: number) => void;
      /** Called once before the first step, for a multi-step job's progress pacing. */
      onBegin?: () => void;
    },
  ): Promise<void> {
    const { executors, config } = this.deps;
    await mkdir(options.workDir, { recursive: true });
    options.onBegin?.();
    const progress = new PlanProgress(plan.steps.map((step) => step.weight));
    for (const [index, step] of plan.steps.entries()) {
      options.signal.throwIfAborted();
      options.onProgress(progress.begin(index));
      let watchdog: Watchdog | undefined;
      // FFmpeg's last reported speed, for the step's span.
      let speed: number | undefined;
      const context: StepContext = {
        workDir: options.workDir,
        inputPath: options.inputPath,
        probe: options.probe,
        config,
        signal: options.signal,
        logger: options.logger.child({ step: step.id }),
        ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
        onProgress: (stepProgress) => {
          watchdog?.touch();
          speed = stepProgress.speed ?? speed;
          options.onProgress(progress.report(index, stepProgress));
        },
        log: (text) => options.log.push(text),
        watch: ({ stallMs, limitMs, what }) => {
          watchdog?.stop();
          watchdog = new Watchdog({
            stallMs,
            limitMs,
            onFire: (verdict) => options.onWatchdog(verdict, what, stallMs),
          });
        },
      };
      const attributes = {
        'mediaflow.step.id': step.id,
        'mediaflow.step.kind': step.kind,
        'mediaflow.step.index': index,
      };
      await options.scope.child(`step ${step.id}`, attributes, async (span) => {
        try {
          // The map is exhaustive over step kinds; TypeScript cannot correlate
          // the union member with its executor, hence the one narrowing call.
          await runStep(executors, step, { ...context, logger: context.logger.child(span.logFields) });
        } finally {
          watchdog?.stop();
          if (speed !== undefined) span.setAttributes({ 'ffmpeg.speed': speed });
        }
      });
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

  /**
   * @param index The source's place in `sources`, named in the error; undefined for a one-source job.
   * @throws AppError SOURCE_NOT_FOUND when the source object is gone; the store's errors otherwise.
   */
  private async download(ref: ObjectRef, filePath: string, signal: AbortSignal, index?: number): Promise<void> {
    try {
      await this.deps.store.download(ref, filePath, signal);
    } catch (error) {
      if (isAppError(error) && error.code === 'NOT_FOUND') {
        const which = index === undefined ? 'source object' : `sources[${index}]`;
        throw new AppError('SOURCE_NOT_FOUND', `${which} ${formatS3Uri(ref)} does not exist`);
      }
      throw error;
    }
  }

  private async uploadLog(folder: JobFolder, plan: ExecutionPlan | undefined, text: string): Promise<JobOutput> {
    const name = plan?.logName ?? LOG_NAME;
    const ref = objectIn(folder, name);
    const body = Buffer.from(text, 'utf8');
    const contentType = 'text/plain; charset=utf-8';
    await this.deps.store.put(ref, body, { contentType });
    return { kind: 'log', path: name, content_type: contentType, size_bytes: body.length, object: formatS3Uri(ref) };
  }

  private async afterFailure(
    job: Job,
    error: unknown,
    context: {
      logger: Logger;
      folder: JobFolder;
      plan: ExecutionPlan | undefined;
      /** Steps of a multi-step job whose outputs are recorded checkpoints. */
      finishedSteps: ReadonlySet<number>;
      log: string;
      facts: FailureFacts;
    },
  ): Promise<DeliveryOutcome> {
    const { repository, workerId, config } = this.deps;
    const { logger } = context;
    const decision = decideFailure(context.facts, {
      maxAttempts: config.MAX_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
    });

    switch (decision.action) {
      case 'abandon':
        logger.warn('lease lost to another worker; abandoning attempt');
        this.endAttempt(job, 'abandoned');
        return 'done';
      case 'cancel': {
        await this.removeOutputs(context.folder, logger);
        const logPath = await this.keepCancelledLog(job.job_id, context);
        const cancelled = await repository.markCancelled(job.job_id, workerId, new Date(), logPath);
        logger.info('job cancelled');
        this.endAttempt(job, cancelled ? 'cancelled' : 'abandoned');
        return 'done';
      }
      case 'hand-back':
        await repository.release(job.job_id, workerId, new Date(), 'worker shutting down');
        logger.info('job handed back for another worker');
        this.endAttempt(job, 'handed_back');
        return 'retry';
      case 'retry': {
        const now = new Date();
        await repository.release(
          job.job_id,
          workerId,
          now,
          `retry after ${decision.error.code}`,
          new Date(now.getTime() + decision.delayMs),
        );
        // The reaper publishes it again once retry_at has passed; this message is done with.
        logger.warn('attempt failed; job will be retried', {
          code: decision.error.code,
          error: decision.error.message,
          delayMs: decision.delayMs,
        });
        this.endAttempt(job, 'retried', decision.error.code);
        return 'done';
      }
      case 'fail': {
        // Whatever the attempt published is not a result; the log is what the client needs now.
        // A multi-step job's finished steps stay: a retry (POST /jobs/{id}/retry) resumes from them.
        if (job.steps && context.finishedSteps.size > 0) {
          const steps = job.steps.map((_step, index) => index).filter((index) => !context.finishedSteps.has(index));
          for (const index of steps) await this.removeOutputs(context.folder, logger, `step-${index + 1}/`);
        } else {
          await this.removeOutputs(context.folder, logger);
        }
        // The reason closes the log, so a job that failed before any step ran (a truncated
        // source, say) still has a log to download.
        const ran = context.log || (logOf(error) ?? '');
        const reason = `# failed ${decision.error.code}: ${decision.error.message}\n`;
        const logPath = await this.keepLog({ ...context, log: ran ? `${ran}\n${reason}` : reason });
        if (decision.deadLetter) {
          await this.giveUp(job, decision.error, logPath, logger);
        } else {
          await repository.fail(job.job_id, workerId, {
            now: new Date(),
            error: { code: decision.error.code, message: decision.error.message },
            ...(logPath ? { log_path: logPath } : {}),
          });
          logger.warn('job failed', { code: decision.error.code, error: decision.error.message });
          this.endAttempt(job, 'failed', decision.error.code);
        }
        if (decision.rethrow) throw error;
        return 'done';
      }
    }
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
    this.endAttempt(job, 'dead_lettered', cause.code);
  }

  /**
   * What ran until a cancel stays readable (GET /download/{id}?output=log),
   * as for a failure; not for a deleted job (DELETE cancels it and removes its
   * folder). The deletion is checked again after the write: the API marks the
   * job deleted before it removes the folder, so either that removal takes
   * the log or this check sees the mark and removes it.
   */
  private async keepCancelledLog(
    jobId: string,
    context: { folder: JobFolder; plan: ExecutionPlan | undefined; log: string; logger: Logger },
  ): Promise<string | undefined> {
    const deleted = async (): Promise<boolean> =>
      (await this.deps.repository.get(jobId).catch(() => null))?.deleted_at !== undefined;
    if (await deleted()) return undefined;
    const logPath = await this.keepLog({ ...context, log: `${context.log}\n# cancelled\n` });
    if (logPath !== undefined && (await deleted())) {
      await this.removeOutputs(context.folder, context.logger);
      return undefined;
    }
    return logPath;
  }

  private async keepLog(context: {
    folder: JobFolder;
    plan: ExecutionPlan | undefined;
    log: string;
    logger: Logger;
  }): Promise<string | undefined> {
    const text = context.log;
    if (text === '') return undefined;
    try {
      const output = await this.uploadLog(context.folder, context.plan, text);
      return output.object;
    } catch (uploadError) {
      context.logger.warn('could not upload the log of a failed job', { error: errorMessage(uploadError) });
      return undefined;
    }
  }

  /**
   * Everything the job wrote is under its folder: one prefix delete removes
   * outputs, logs and directories. `within` (e.g. `step-2/`) narrows it to
   * one step's directory.
   */
  private async removeOutputs(folder: JobFolder, logger: Logger, within = ''): Promise<void> {
    try {
      const removed = await this.deps.store.deletePrefix({ bucket: folder.bucket, key: `${folder.prefix}${within}` });
      if (removed > 0) logger.info('removed what the attempt wrote', { objects: removed });
    } catch (error) {
      logger.warn('could not remove the outputs of a stopped job', { error: errorMessage(error) });
    }
  }
}

/** What a step of the chain reads: the job's sources for the first, the previous step's primary output after. */
interface StepInput {
  /** Absolute paths in the work directory, in order. */
  paths: string[];
  probes: MediaProbe[];
  /** The first input's probe, which the planner reads. */
  firstProbe: MediaProbe;
  /** For several inputs: the first's, with their durations summed. */
  probe: MediaProbe;
  /** The job gave `sources`: the planner gets every input (first step only). */
  several: boolean;
  /** The file name outputs are named after. */
  sourceName: string;
}

/** A job snapshot of one operation, as a step report of the chain's progress. */
function stepProgressOf(snapshot: ProgressSnapshot): StepProgress {
  return {
    percent: snapshot.percent,
    ...(snapshot.speed === undefined ? {} : { speed: snapshot.speed }),
    ...(snapshot.etaSeconds === undefined ? {} : { etaSeconds: snapshot.etaSeconds }),
  };
}

async function runStep(
  executors: StepExecutors,
  step: ExecutionPlan['steps'][number],
  context: StepContext,
): Promise<void> {
  switch (step.kind) {
    case 'ffmpeg':
      return executors.ffmpeg(step, context);
    case 'recognise_speech':
      return executors.recognise_speech(step, context);
    case 'write_subtitles':
      return executors.write_subtitles(step, context);
    case 'mux_subtitles':
      return executors.mux_subtitles(step, context);
    case 'write_text':
      return executors.write_text(step, context);
    case 'finalise_hls':
      return executors.finalise_hls(step, context);
  }
}

/** FFmpeg and probe failures carry the tool's output; keep it when no step logged anything. */
function logOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'log' in error && typeof error.log === 'string') return error.log;
  return undefined;
}

function safeExtension(key: string): string {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(key);
  return match ? `.${match[1].toLowerCase()}` : '';
}

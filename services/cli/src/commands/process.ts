import { randomUUID } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import type { JobView, SubmitRequest, UploadResult } from '../api-client';
import type { CommandContext } from '../context';
import { printResult } from '../context';
import { ApiError, CliError, ExitCode, InterruptedError, UsageError, exitCodeForJobStatus } from '../exit-codes';
import { formatBytes, formatDuration, jobSpeedAndEta } from '../format';
import { DEFAULT_MULTIPART, multipartUpload } from '../multipart-upload';
import { coerceParams, operationsFromOpenApi } from '../params';
import type { OperationSchema } from '../params';
import type { ProcessInvocation, ProcessWork } from '../program';
import type { SavedFile } from '../save';
import { createWatcher } from '../watch';
import { downloadOutput } from './download';

/**
 * The operations the API describes, or undefined when it describes none
 * (an older server, or /openapi.json unreachable): then params go as typed
 * and the API's own 400 judges them.
 */
async function fetchOperations(context: CommandContext): Promise<Map<string, OperationSchema> | undefined> {
  try {
    const operations = operationsFromOpenApi(await context.client.openApi());
    return operations.size > 0 ? operations : undefined;
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    return undefined;
  }
}

/**
 * `process`: upload, submit, follow, download.
 *
 * Exit 0 when the job completed and its result was saved, 1 when it failed
 * (its error code printed), 5 when it was cancelled, 130 on Ctrl-C (the job
 * is cancelled first with --cancel-on-interrupt, else left running).
 */
export async function processFile(context: CommandContext, invocation: ProcessInvocation): Promise<ExitCode> {
  if (invocation.out === '-' && context.global.json) throw new UsageError('-o - and --json both want stdout');
  for (const file of invocation.files) {
    try {
      await access(file);
    } catch {
      throw new UsageError(`cannot read ${file}`);
    }
  }

  // Refuse an unknown operation before uploading gigabytes for nothing; the
  // code and the list are the API's own (from its OpenAPI document).
  const work = requestedWork(invocation.work, await fetchOperations(context));

  const uploads: UploadResult[] = [];
  for (const [index, file] of invocation.files.entries()) {
    if (invocation.files.length > 1)
      context.reporter.note(`uploading ${index + 1}/${invocation.files.length}: ${file}`);
    uploads.push(await uploadFile(context, file, invocation.multipartThresholdBytes));
  }
  const upload = uploads.length === 1 ? uploads[0] : uploads;
  const sources = uploads.map((entry) => entry.source);
  const submitted = await context.client.submit(
    { ...(sources.length === 1 ? { source: sources[0] } : { sources }), ...work },
    // A resent submit (after a timeout) finds this job instead of making another.
    randomUUID(),
  );
  const jobId = submitted.job_id;
  context.reporter.note(`job ${jobId} ${submitted.status}`);
  if (!invocation.wait) {
    context.reporter.stop();
    printResult(context, { job_id: jobId, status: submitted.status, upload }, jobId);
    return ExitCode.OK;
  }

  let job: JobView;
  try {
    job = await followJob(context, jobId, invocation.pollIntervalMs);
  } catch (error) {
    if (error instanceof InterruptedError) throw await interrupted(context, jobId, invocation.cancelOnInterrupt);
    throw error;
  }

  let saved: SavedFile | undefined;
  if (job.status === 'completed') {
    try {
      saved = await downloadOutput(context, jobId, { out: invocation.out, output: undefined });
    } catch (error) {
      // The job is done and stays downloadable; say how to fetch it again.
      if (error instanceof CliError) {
        throw new CliError(
          error.exitCode,
          error.code,
          `${error.message} (job ${jobId} completed: mediaflow download ${jobId})`,
          {
            job_id: jobId,
          },
        );
      }
      throw error;
    }
  }
  context.reporter.stop();
  for (const warning of job.warnings ?? []) context.stderr(`warning ${warning.code}: ${warning.message}\n`);
  if (job.status === 'failed' && job.error) {
    context.stderr(`job ${jobId} failed: ${job.error.code}: ${job.error.message}\n(mediaflow logs ${jobId})\n`);
  } else if (job.status === 'cancelled') {
    context.stderr(`job ${jobId} was cancelled\n`);
  }
  const text = saved && saved.path !== '-' ? `saved ${saved.path} (${formatBytes(saved.bytes)})` : undefined;
  printResult(context, { job, upload, output: saved ?? null }, text);
  return exitCodeForJobStatus(job.status) ?? ExitCode.UNAVAILABLE;
}

/**
 * The submit's operation part, with `--param` strings typed by the
 * operation's schema when the API describes it.
 * @throws ApiError UNKNOWN_OPERATION (exit 1) naming what the API offers.
 */
function requestedWork(work: ProcessWork, operations: Map<string, OperationSchema> | undefined): SubmitRequest {
  const known = (name: string): OperationSchema | undefined => {
    const operation = operations?.get(name);
    if (operations && !operation) {
      const offered = [...new Set([...operations.values()].map((entry) => entry.name))].join(', ');
      throw new ApiError(400, 'UNKNOWN_OPERATION', `unknown operation "${name}"; the API offers: ${offered}`);
    }
    return operation;
  };
  switch (work.kind) {
    case 'operation':
      return {
        method_name: work.operation,
        ...(work.format === undefined ? {} : { output_format: work.format }),
        params: coerceParams(work.params, known(work.operation)?.params),
      };
    case 'preset':
      // A preset's params (language, model) are strings; the API's 400 judges anything else.
      return { preset: work.preset, ...(Object.keys(work.params).length > 0 ? { params: work.params } : {}) };
    case 'steps':
      return {
        steps: work.steps.map((step) => ({
          method_name: step.operation,
          ...(step.format === undefined ? {} : { output_format: step.format }),
          params: coerceParams(step.params, known(step.operation)?.params),
        })),
      };
  }
}

/** One streamed PUT for most files; the multipart route, parts in parallel and retried, for large ones. */
async function uploadFile(
  context: CommandContext,
  file: string,
  multipartThresholdBytes: number,
): Promise<UploadResult> {
  const started = Date.now();
  const onProgress = (sent: number, total: number): void => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0.2 ? sent / seconds : 0;
    const eta = rate > 0 ? ` ETA ${formatDuration((total - sent) / rate)}` : '';
    context.reporter.update({
      phase: 'upload',
      percent: total > 0 ? (sent / total) * 100 : 100,
      detail: `${formatBytes(sent)}/${formatBytes(total)}${rate > 0 ? ` ${formatBytes(rate)}/s${eta}` : ''}`,
    });
  };
  const { size } = await stat(file);
  if (size > 0 && size >= multipartThresholdBytes) {
    return multipartUpload(context.client, file, { ...DEFAULT_MULTIPART, onProgress, signal: context.signal });
  }
  return context.client.upload(file, onProgress);
}

/** Follows the job to its end, drawing its progress, speed and ETA. */
async function followJob(context: CommandContext, jobId: string, intervalMs: number): Promise<JobView> {
  const watcher = createWatcher(context.client, { intervalMs, unavailableTimeoutMs: 60_000 });
  return watcher.watch(
    jobId,
    (job) => {
      // A job waiting for a retry is queued again, with retry_at set.
      const detail = job.status === 'processing' ? jobSpeedAndEta(job) : job.retry_at ? `retry at ${job.retry_at}` : '';
      context.reporter.update({ phase: job.status, percent: job.progress, detail });
    },
    context.signal,
  );
}

/**
 * Ctrl-C while the job runs: cancel it when asked (--cancel-on-interrupt),
 * otherwise leave it running and say how to find it again.
 */
async function interrupted(context: CommandContext, jobId: string, cancel: boolean): Promise<InterruptedError> {
  context.reporter.stop();
  if (!cancel) {
    return new InterruptedError(`interrupted; job ${jobId} keeps running (mediaflow status ${jobId})`, {
      job_id: jobId,
      cancelled: false,
    });
  }
  try {
    // The Ctrl-C signal is spent; this request gets its own, short, deadline.
    const result = await context.client.cancel(jobId, AbortSignal.timeout(10_000));
    return new InterruptedError(`interrupted; job ${jobId} cancelled`, {
      job_id: jobId,
      cancelled: true,
      status: result.status,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return new InterruptedError(`interrupted; cancelling job ${jobId} failed (${reason})`, {
      job_id: jobId,
      cancelled: false,
    });
  }
}

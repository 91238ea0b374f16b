import { randomUUID } from 'node:crypto';
import { access, stat } from 'node:fs/promises';
import type { JobView, UploadResult } from '../api-client';
import type { CommandContext } from '../context';
import { printResult } from '../context';
import { ApiError, CliError, ExitCode, InterruptedError, UsageError, exitCodeForJobStatus } from '../exit-codes';
import { formatBytes, formatDuration, jobSpeedAndEta } from '../format';
import { DEFAULT_MULTIPART, multipartUpload } from '../multipart-upload';
import { coerceParams, operationsFromOpenApi } from '../params';
import type { OperationSchema } from '../params';
import type { ProcessInvocation } from '../program';
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
  try {
    await access(invocation.file);
  } catch {
    throw new UsageError(`cannot read ${invocation.file}`);
  }

  // Refuse an unknown operation before uploading gigabytes for nothing; the
  // code and the list are the API's own (from its OpenAPI document).
  const operations = await fetchOperations(context);
  const operation = operations?.get(invocation.operation);
  if (operations && !operation) {
    const known = [...new Set([...operations.values()].map((entry) => entry.name))].join(', ');
    throw new ApiError(
      400,
      'UNKNOWN_OPERATION',
      `unknown operation "${invocation.operation}"; the API offers: ${known}`,
    );
  }
  const params = coerceParams(invocation.params, operation?.params);

  const upload = await uploadFile(context, invocation.file, invocation.multipartThresholdBytes);
  const submitted = await context.client.submit(
    {
      source: upload.source,
      method_name: invocation.operation,
      ...(invocation.format === undefined ? {} : { output_format: invocation.format }),
      params,
    },
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

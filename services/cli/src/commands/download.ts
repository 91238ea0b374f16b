import type { CommandContext } from '../context';
import { printResult } from '../context';
import { ExitCode, UsageError } from '../exit-codes';
import { formatBytes } from '../format';
import type { DownloadInvocation, JobInvocation } from '../program';
import { resolveTarget, saveDownload } from '../save';
import type { SavedFile } from '../save';

/**
 * Downloads one output of a job to `out` (see resolveTarget), with progress.
 * Shared by `download` and `process`.
 */
export async function downloadOutput(
  context: CommandContext,
  jobId: string,
  options: { out: string | undefined; output: string | undefined },
): Promise<SavedFile> {
  const download = await context.client.download(jobId, options.output);
  const target =
    options.out === '-'
      ? '-'
      : await resolveTarget(options.out, download.filename, `${jobId}-${options.output ?? 'output'}`);
  const started = Date.now();
  const saved = await saveDownload(
    download,
    target,
    (received, total) => {
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? received / seconds : 0;
      const size = total === undefined ? formatBytes(received) : `${formatBytes(received)}/${formatBytes(total)}`;
      context.reporter.update({
        phase: 'download',
        percent: total ? (received / total) * 100 : undefined,
        detail: `${size}${rate > 0 ? ` ${formatBytes(rate)}/s` : ''}`,
      });
    },
    context.signal,
  );
  return saved;
}

/** `download`: a completed job's output (or `--output log`, also for failed and cancelled jobs). */
export async function downloadJob(context: CommandContext, invocation: DownloadInvocation): Promise<ExitCode> {
  if (invocation.out === '-' && context.global.json) throw new UsageError('-o - and --json both want stdout');
  const saved = await downloadOutput(context, invocation.jobId, invocation);
  context.reporter.stop();
  if (saved.path !== '-') {
    printResult(context, { job_id: invocation.jobId, ...saved }, `saved ${saved.path} (${formatBytes(saved.bytes)})`);
  }
  return ExitCode.OK;
}

/** `logs`: the job's FFmpeg log on stdout (inside a JSON document with --json). */
export async function showLogs(context: CommandContext, invocation: JobInvocation): Promise<ExitCode> {
  const download = await context.client.download(invocation.jobId, 'log');
  const text = await new Response(download.body).text();
  if (context.global.json) printResult(context, { job_id: invocation.jobId, log: text });
  else context.stdout(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  return ExitCode.OK;
}

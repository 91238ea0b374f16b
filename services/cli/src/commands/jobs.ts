import type { JobPage, JobView } from '../api-client';
import type { CommandContext } from '../context';
import { printResult } from '../context';
import { ExitCode } from '../exit-codes';
import { describeJob, jobTable } from '../format';
import type { JobInvocation, ListInvocation } from '../program';

/** `jobs ls`: one page (or, with --all, every page through the cursor). */
export async function listJobs(context: CommandContext, invocation: ListInvocation): Promise<ExitCode> {
  const query = {
    limit: invocation.limit,
    skip: invocation.skip,
    cursor: invocation.cursor,
    status: invocation.status,
    method_name: invocation.operation,
    created_after: invocation.createdAfter,
    created_before: invocation.createdBefore,
  };
  let page: JobPage = await context.client.list(query);
  if (invocation.all) {
    const jobs: JobView[] = [...page.jobs];
    // The cursor pages on with the same filters; skip applies to the first page only.
    while (page.next_cursor !== null) {
      page = await context.client.list({ ...query, skip: undefined, cursor: page.next_cursor });
      jobs.push(...page.jobs);
    }
    page = { ...page, jobs, next_cursor: null };
  }
  const more = page.next_cursor === null ? '' : `\nmore: mediaflow jobs ls --cursor ${page.next_cursor}`;
  const shown = `${page.jobs.length} of ${page.count} job${page.count === 1 ? '' : 's'}`;
  printResult(context, page, page.jobs.length === 0 ? `no jobs (${shown})` : `${jobTable(page.jobs)}\n${shown}${more}`);
  return ExitCode.OK;
}

/** `status`: the job as the API sees it. Exit 0 whatever its status: the question was answered. */
export async function showStatus(context: CommandContext, invocation: JobInvocation): Promise<ExitCode> {
  const job = await context.client.status(invocation.jobId);
  printResult(context, job, describeJob(job));
  return ExitCode.OK;
}

/** `cancel`: asks the API to cancel; a running job stops within about a second. */
export async function cancelJob(context: CommandContext, invocation: JobInvocation): Promise<ExitCode> {
  const result = await context.client.cancel(invocation.jobId);
  const text = result.cancel_requested
    ? `job ${result.job_id}: cancel requested (it stops within about a second)`
    : `job ${result.job_id}: ${result.status}`;
  printResult(context, result, text);
  return ExitCode.OK;
}

/** `retry`: queues a failed or cancelled job again. */
export async function retryJob(context: CommandContext, invocation: JobInvocation): Promise<ExitCode> {
  const result = await context.client.retry(invocation.jobId);
  printResult(context, result, `job ${result.job_id}: ${result.status}`);
  return ExitCode.OK;
}

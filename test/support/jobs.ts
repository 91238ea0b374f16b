import type { ApiClient, JsonObject } from './api-client';
import { waitFor } from './processes';

export interface StatusBody extends JsonObject {
  job_id: string;
  status: string;
  progress: number;
  error: { code: string; message: string } | null;
  attempts: number;
  /** `path` relative to the job's folder; `url` is /jobs/<id>/files/<path>. */
  outputs: { kind: string; path: string; content_type: string; url: string; primary?: boolean; size_bytes?: number }[];
  history: { status: string; at: string; worker_id?: string; attempt?: number; note?: string }[];
  dead_lettered_at?: string;
  cancel_requested?: boolean;
}

export const FINAL_STATUSES = ['completed', 'failed', 'cancelled'];

export async function submitJob(
  client: ApiClient,
  body: JsonObject,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await client.request<{ job_id: string; status: string }>('POST', '/process', {
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (response.status !== 202) throw new Error(`submit failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.job_id;
}

export async function getStatus(client: ApiClient, jobId: string): Promise<StatusBody> {
  const response = await client.request<StatusBody>('GET', `/status/${jobId}`);
  if (response.status !== 200) throw new Error(`status failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Polls /status until the predicate holds, recording every progress value seen. */
export async function waitForJob(
  client: ApiClient,
  jobId: string,
  predicate: (status: StatusBody) => boolean = (status) => FINAL_STATUSES.includes(status.status),
  timeoutMs = 120_000,
): Promise<{ final: StatusBody; progress: number[] }> {
  const progress: number[] = [];
  let last: StatusBody | undefined;
  try {
    const final = await waitFor(
      `job ${jobId}`,
      async () => {
        last = await getStatus(client, jobId);
        progress.push(last.progress);
        return predicate(last) ? last : undefined;
      },
      { timeoutMs, intervalMs: 100 },
    );
    return { final, progress };
  } catch (error) {
    // The job's own story is what explains a timeout.
    const seen = last ? ` (last seen: ${JSON.stringify(last)})` : '';
    throw new Error(`${error instanceof Error ? error.message : String(error)}${seen}`, { cause: error });
  }
}

import type { JobView } from './api-client';
import { ApiError, InterruptedError, NetworkError } from './exit-codes';
import { PollingWatcher } from './watch';

const view = (status: JobView['status'], progress: number): JobView => ({ job_id: 'j', status, progress }) as JobView;

function clientAnswering(answers: (JobView | Error)[]): {
  status: (id: string) => Promise<JobView>;
  calls: () => number;
} {
  let calls = 0;
  return {
    status: async () => {
      const answer = answers[Math.min(calls, answers.length - 1)];
      calls += 1;
      if (answer instanceof Error || !answer) return Promise.reject(answer ?? new Error('no answer'));
      return Promise.resolve(answer);
    },
    calls: () => calls,
  };
}

describe('PollingWatcher', () => {
  it('reports each view and resolves with the terminal one, riding out a 503 and a refused connection', async () => {
    const client = clientAnswering([
      view('queued', 0),
      new ApiError(503, 'DATABASE_ERROR', 'down'),
      new NetworkError('refused'),
      view('processing', 50),
      view('completed', 100),
    ]);
    const seen: number[] = [];
    const job = await new PollingWatcher(client, { intervalMs: 1, unavailableTimeoutMs: 10_000 }).watch('j', (update) =>
      seen.push(update.progress),
    );
    expect(job.status).toBe('completed');
    expect(seen).toEqual([0, 50, 100]);
  });

  it('gives up on a 4xx at once, and on an outage longer than it tolerates', async () => {
    const gone = clientAnswering([new ApiError(404, 'JOB_NOT_FOUND', 'gone')]);
    await expect(
      new PollingWatcher(gone, { intervalMs: 1, unavailableTimeoutMs: 10_000 }).watch('j', () => {}),
    ).rejects.toMatchObject({
      code: 'JOB_NOT_FOUND',
    });
    expect(gone.calls()).toBe(1);
    const down = clientAnswering([new NetworkError('refused')]);
    await expect(
      new PollingWatcher(down, { intervalMs: 5, unavailableTimeoutMs: 30 }).watch('j', () => {}),
    ).rejects.toBeInstanceOf(NetworkError);
  });

  it('stops with InterruptedError when aborted', async () => {
    const controller = new AbortController();
    const client = clientAnswering([view('processing', 10)]);
    const watching = new PollingWatcher(client, { intervalMs: 10_000, unavailableTimeoutMs: 10_000 }).watch(
      'j',
      () => controller.abort(),
      controller.signal,
    );
    await expect(watching).rejects.toBeInstanceOf(InterruptedError);
  });
});

import type { Job } from '@mediaflow/domain';
import type { JobRepository } from '@mediaflow/repository';
import { observeTransitions } from './transition-observers';
import type { TransitionObserver } from './transition-observers';

/**
 * The decorator itself, over a stand-in repository (the collaborator): who
 * is told what, after which transitions, and how many reads that costs. The
 * repositories' own behaviour is the contract test's business.
 */

function job(overrides: Partial<Job> = {}): Job {
  return {
    job_id: 'job-1',
    status: 'processing',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/clip.mp4',
    progress: 0,
    attempts: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:01.000Z',
    outputs: [],
    history: [],
    ...overrides,
  };
}

/** Records every call, as `name job_id detail`. */
function recorder(name: string, calls: string[]): TransitionObserver {
  return {
    stored: (stored, transition) => {
      calls.push(`${name} stored ${stored.job_id} ${transition}`);
    },
    claimed: (claimed) => {
      calls.push(`${name} claimed ${claimed.job_id}`);
    },
    progressed: (progressed) => {
      calls.push(`${name} progressed ${progressed.progress} ${progressed.speed ?? '-'}`);
    },
    settled: (jobId, settled, transition) => {
      calls.push(`${name} settled ${jobId} ${settled?.status ?? 'unread'} ${transition}`);
    },
  };
}

function stand(options: { succeed: boolean; readFails?: boolean }) {
  let reads = 0;
  const answer = async <T>(value: T): Promise<T> => Promise.resolve(value);
  const repository = {
    get: async () => {
      reads += 1;
      return options.readFails ? Promise.reject(new Error('database down')) : answer(job({ status: 'completed' }));
    },
    create: async () => answer(job({ status: 'queued' })),
    claim: async () => answer(options.succeed ? job() : null),
    updateProgress: async () => answer(options.succeed),
    completeStep: async () => answer(options.succeed),
    complete: async () => answer(options.succeed),
    release: async () => answer(options.succeed),
    requestCancel: async () => answer(options.succeed ? job({ cancel_requested: true }) : null),
    markDeleted: async () => answer(job({ deleted_at: '2026-01-02T00:00:00.000Z' })),
    ping: async () => answer(undefined),
  } as unknown as JobRepository;
  return { repository, reads: () => reads };
}

describe('observeTransitions', () => {
  it('tells every observer, in order, and reads a settled job once for all of them', async () => {
    const calls: string[] = [];
    const { repository, reads } = stand({ succeed: true });
    const observed = observeTransitions(repository, [recorder('a', calls), recorder('b', calls)]);
    await observed.create({
      job_id: 'job-1',
      source: 's3://in/clip.mp4',
      operation: { method_name: 'compress', output_format: 'mp4', params: {} },
      created_at: '2026-01-01T00:00:00.000Z',
    });
    await observed.claim({ jobId: 'job-1', workerId: 'w', now: new Date(), leaseMs: 1000 });
    const lease = new Date(Date.now() + 60_000);
    await observed.updateProgress('job-1', 'w', { progress: 40, speed: 2, leaseExpiresAt: lease });
    // A speed the worker no longer knows is dropped, as the write drops it.
    await observed.updateProgress('job-1', 'w', { progress: 50, leaseExpiresAt: lease });
    await observed.complete('job-1', 'w', { now: new Date(), outputs: [], output_path: 's3://out/x.mp4' });
    await observed.markDeleted('job-1', new Date());
    expect(calls).toEqual([
      'a stored job-1 create',
      'b stored job-1 create',
      'a claimed job-1',
      'b claimed job-1',
      'a progressed 40 2',
      'b progressed 40 2',
      'a progressed 50 -',
      'b progressed 50 -',
      'a settled job-1 completed complete',
      'b settled job-1 completed complete',
      'a stored job-1 markDeleted',
      'b stored job-1 markDeleted',
    ]);
    expect(reads()).toBe(1);
  });

  it('tells a multi-step job’s checkpoint as progress, and later progress keeps it', async () => {
    const seen: Job[] = [];
    const { repository } = stand({ succeed: true });
    const observed = observeTransitions(repository, [{ progressed: (job) => void seen.push(job) }]);
    await observed.claim({ jobId: 'job-1', workerId: 'w', now: new Date(), leaseMs: 1000 });
    const checkpoint = { index: 0, outputs: [], at: '2026-01-01T00:00:05.000Z' };
    await observed.completeStep('job-1', 'w', { now: new Date(), completed_steps: [checkpoint], outputs: [] });
    await observed.updateProgress('job-1', 'w', { progress: 60, leaseExpiresAt: new Date(Date.now() + 60_000) });
    expect(seen.map((job) => [job.progress, job.completed_steps?.length])).toEqual([
      [0, 1],
      [60, 1],
    ]);
  });

  it('tells nobody of a refused transition, and no progress after a refused one', async () => {
    const calls: string[] = [];
    const { repository, reads } = stand({ succeed: false });
    const observed = observeTransitions(repository, [recorder('a', calls)]);
    await observed.claim({ jobId: 'job-1', workerId: 'w', now: new Date(), leaseMs: 1000 });
    await observed.updateProgress('job-1', 'w', { progress: 10, leaseExpiresAt: new Date() });
    await observed.complete('job-1', 'w', { now: new Date(), outputs: [], output_path: 's3://out/x.mp4' });
    await observed.release('job-1', 'w', new Date(), 'shutting down');
    await observed.requestCancel('job-1', new Date());
    expect(calls).toEqual([]);
    expect(reads()).toBe(0);
  });

  it('settles with null when the read after the transition fails, and passes other methods through', async () => {
    const calls: string[] = [];
    const { repository } = stand({ succeed: true, readFails: true });
    const observed = observeTransitions(repository, [recorder('a', calls)]);
    await expect(observed.release('job-1', 'w', new Date(), 'handed back')).resolves.toBe(true);
    expect(calls).toEqual(['a settled job-1 unread release']);
    await expect(observed.ping()).resolves.toBeUndefined();
  });
});

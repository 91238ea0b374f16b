import type { Job, Logger } from '@mediaflow/domain';
import type { JobPublisher } from '@mediaflow/queue';
import type { JobRepository } from '@mediaflow/repository';
import { Reaper } from './reaper';

const NOW = new Date('2026-11-21T12:00:00.000Z');

function job(overrides: Partial<Job>): Job {
  return {
    job_id: 'job',
    status: 'queued',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/clip.mp4',
    progress: 0,
    attempts: 1,
    created_at: '2026-11-21T11:00:00.000Z',
    updated_at: '2026-11-21T11:59:59.000Z',
    outputs: [],
    history: [],
    ...overrides,
  };
}

/** The repository and queue as the reaper sees them, recording the order of what it does. */
function harness(candidates: Job[], options: { takeWins?: (jobId: string) => boolean; publishFails?: boolean } = {}) {
  const events: string[] = [];
  const repository = {
    findRecoverable: async () => Promise.resolve(candidates),
    takeForRepublish: async (jobId: string, seen: string) => {
      events.push(`take ${jobId} ${seen}`);
      return Promise.resolve(options.takeWins?.(jobId) ?? true);
    },
    setNeedsPublish: async (jobId: string, flag: boolean) => {
      events.push(`flag ${jobId} ${flag}`);
      return Promise.resolve(true);
    },
  } as unknown as JobRepository;
  const publisher = {
    publish: async ({ job_id }: { job_id: string }) => {
      events.push(`publish ${job_id}`);
      if (options.publishFails) throw new Error('broker down');
      return Promise.resolve();
    },
  } as unknown as JobPublisher;
  const logger = { info: jest.fn(), warn: jest.fn() } as unknown as Logger;
  const reaper = new Reaper(
    repository,
    publisher,
    { intervalMs: 1000, requeueQueuedAfterMs: 300_000, batchSize: 100 },
    logger,
  );
  return { reaper, events };
}

describe('Reaper.sweep', () => {
  it('takes a queued job before publishing it, and publishes expired leases without a write', async () => {
    const { reaper, events } = harness([
      job({ job_id: 'expired', status: 'processing', worker_id: 'gone', lease_expires_at: '2026-11-21T11:59:00.000Z' }),
      job({ job_id: 'retry', retry_at: '2026-11-21T11:59:59.500Z' }),
      job({ job_id: 'unpublished', needs_publish: true }),
    ]);
    await expect(reaper.sweep(NOW)).resolves.toBe(3);
    expect(events).toEqual([
      'publish expired',
      'take retry 2026-11-21T11:59:59.000Z',
      'publish retry',
      'take unpublished 2026-11-21T11:59:59.000Z',
      'publish unpublished',
    ]);
  });

  it('leaves alone what is not due: a future retry, a queued job not yet idle', async () => {
    const { reaper, events } = harness([
      job({ job_id: 'later', retry_at: '2026-11-21T12:00:05.000Z', needs_publish: true }),
      job({ job_id: 'fresh', updated_at: '2026-11-21T11:58:00.000Z' }),
      job({ job_id: 'idle', updated_at: '2026-11-21T11:54:00.000Z' }),
    ]);
    await expect(reaper.sweep(NOW)).resolves.toBe(1);
    expect(events).toEqual(['take idle 2026-11-21T11:54:00.000Z', 'publish idle']);
  });

  it('does not publish a job another reaper took first', async () => {
    const { reaper, events } = harness(
      [job({ job_id: 'a', needs_publish: true }), job({ job_id: 'b', needs_publish: true })],
      {
        takeWins: (jobId) => jobId === 'b',
      },
    );
    await expect(reaper.sweep(NOW)).resolves.toBe(1);
    expect(events).toEqual(['take a 2026-11-21T11:59:59.000Z', 'take b 2026-11-21T11:59:59.000Z', 'publish b']);
  });

  it('flags a taken job again when its publish fails, so the next sweep retries it', async () => {
    const { reaper, events } = harness([job({ job_id: 'a', needs_publish: true })], { publishFails: true });
    await expect(reaper.sweep(NOW)).resolves.toBe(0);
    expect(events).toEqual(['take a 2026-11-21T11:59:59.000Z', 'publish a', 'flag a true']);
  });
});

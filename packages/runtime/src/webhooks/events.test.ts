import { createLogger } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import type { JobRepository, NewWebhookDelivery, WebhookEndpoint } from '@mediaflow/repository';
import { observeTransitions } from '../transition-observers';
import { deliveryId, WebhookEvents, webhookObserver } from './events';
import type { WebhookEventBody } from './events';

const logger = createLogger({ level: 'error', service: 'webhook-events-test' });
/** A delivery's body, parsed. */
const bodyOf = (delivery: NewWebhookDelivery | undefined): WebhookEventBody =>
  JSON.parse(delivery?.payload ?? '{}') as WebhookEventBody;

const SECRET = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;

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
    owner: 'team-a',
    webhook_url: 'https://hooks.example.com/job',
    ...overrides,
  };
}

const endpoint = (events: WebhookEndpoint['events'], id: string): WebhookEndpoint => ({
  endpoint_id: id,
  owner: 'team-a',
  url: `https://hooks.example.com/${id}`,
  events,
  secret: SECRET,
  created_at: '2026-01-01T00:00:00.000Z',
});

/** A repository whose transitions succeed and whose get() returns what `stored` holds. */
function fakes(stored: Job) {
  const enqueued: NewWebhookDelivery[] = [];
  let current = stored;
  const repository = {
    get: async () => Promise.resolve(current),
    claim: async () => Promise.resolve(current),
    updateProgress: async () => Promise.resolve(true),
    complete: async () => {
      current = { ...current, status: 'completed', progress: 100, completed_at: '2026-01-01T00:01:00.000Z' };
      return Promise.resolve(true);
    },
    fail: async () => {
      current = {
        ...current,
        status: 'failed',
        completed_at: '2026-01-01T00:01:00.000Z',
        error: { code: 'NOT_MEDIA', message: 'not media' },
      };
      return Promise.resolve(true);
    },
    release: async () => Promise.resolve(true),
    requestCancel: async () => {
      current = { ...current, status: 'cancelled', completed_at: '2026-01-01T00:00:30.000Z' };
      return Promise.resolve(current);
    },
    ping: async () => Promise.resolve(),
  } as unknown as JobRepository;
  const store = {
    listEndpoints: async () =>
      Promise.resolve([
        endpoint(['job.completed', 'job.failed'], 'ep_terminal'),
        endpoint(['job.progress'], 'ep_progress'),
        endpoint(['job.cancelled'], 'ep_cancel'),
      ]),
    ownerSecret: async (_owner: string, proposed: string) => Promise.resolve(proposed),
    listDeliveries: async () => Promise.resolve([]),
    enqueueDeliveries: async (deliveries: NewWebhookDelivery[]) => {
      enqueued.push(...deliveries);
      return Promise.resolve();
    },
  };
  const events = new WebhookEvents({ store, progressIntervalMs: 10_000, logger });
  return { repository: observeTransitions(repository, [webhookObserver(events, 10_000)]), enqueued };
}

describe('webhookObserver', () => {
  it('records job.completed for the job’s own URL and the endpoints that subscribe, after the transition', async () => {
    const { repository, enqueued } = fakes(job());
    expect(await repository.complete('job-1', 'w', { now: new Date(), outputs: [], output_path: 'x' })).toBe(true);
    expect(enqueued.map((delivery) => [delivery.url, delivery.event_type])).toEqual([
      ['https://hooks.example.com/ep_terminal', 'job.completed'],
      ['https://hooks.example.com/job', 'job.completed'],
    ]);
    const [toEndpoint, toJob] = enqueued;
    expect(toEndpoint?.endpoint_id).toBe('ep_terminal');
    expect(toJob?.endpoint_id).toBeUndefined();
    expect(toJob?.delivery_id).toBe(deliveryId('job-1', 'job.completed', '2026-01-01T00:01:00.000Z', 'job'));
    const body = bodyOf(toJob);
    expect(body.type).toBe('job.completed');
    expect(body.timestamp).toBe('2026-01-01T00:01:00.000Z');
    expect(body.data).toMatchObject({ job_id: 'job-1', status: 'completed', progress: 100, outputs: [] });
  });

  it('records job.failed with the error, and job.cancelled from the API’s cancel of a queued job', async () => {
    const failed = fakes(job());
    await failed.repository.fail('job-1', 'w', { now: new Date(), error: { code: 'NOT_MEDIA', message: 'x' } });
    expect(failed.enqueued.map((delivery) => delivery.event_type)).toEqual(['job.failed', 'job.failed']);
    expect(bodyOf(failed.enqueued[0]).data.error).toEqual({
      code: 'NOT_MEDIA',
      message: 'not media',
    });

    const cancelled = fakes(job({ status: 'queued' }));
    await cancelled.repository.requestCancel('job-1', new Date());
    expect(cancelled.enqueued.map((delivery) => [delivery.endpoint_id ?? 'job', delivery.event_type])).toEqual([
      ['ep_cancel', 'job.cancelled'],
      ['job', 'job.cancelled'],
    ]);
  });

  it('records nothing for a release that hands the job back to the queue', async () => {
    const { repository, enqueued } = fakes(job({ status: 'queued' }));
    await repository.release('job-1', 'w', new Date(), 'handed back');
    expect(enqueued).toEqual([]);
  });

  it('bounds job.progress to one per job per interval, to the subscribing endpoints only', async () => {
    const { repository, enqueued } = fakes(job());
    await repository.claim({ jobId: 'job-1', workerId: 'w', now: new Date(), leaseMs: 1000 });
    const lease = new Date(Date.now() + 60_000);
    await repository.updateProgress('job-1', 'w', { progress: 10, speed: 2, leaseExpiresAt: lease });
    await repository.updateProgress('job-1', 'w', { progress: 20, leaseExpiresAt: lease });
    await repository.updateProgress('job-1', 'w', { progress: 30, leaseExpiresAt: lease });
    expect(enqueued).toHaveLength(1);
    expect(enqueued[0]).toMatchObject({ endpoint_id: 'ep_progress', event_type: 'job.progress' });
    expect(bodyOf(enqueued[0]).data).toMatchObject({ progress: 10, speed: 2, status: 'processing' });
  });

  it('passes every other method through to the repository', async () => {
    const { repository } = fakes(job());
    await expect(repository.ping()).resolves.toBeUndefined();
  });
});

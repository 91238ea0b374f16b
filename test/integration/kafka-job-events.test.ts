import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import type { Job } from '@mediaflow/domain';
import { createLogger } from '@mediaflow/domain';
import { KafkaJobChangeFeed, KafkaJobChangePublisher } from '@mediaflow/queue';
import type { JobChangeFeed, SequencedJobChange } from '@mediaflow/queue';
import { waitFor } from '../support/processes';

/**
 * The job-change feed on the real broker (the events topic behind the SSE
 * streams): every reader sees every change, in one order, under the same
 * seq (offset + 1), and a reader started later begins with a backlog of the
 * last changes, so replicas agree on what a Last-Event-ID means.
 */

jest.setTimeout(120_000);

const logger = createLogger({ level: 'warn', service: 'test' });
const BROKERS = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '').split(',');

function job(id: string, progress: number): Job {
  return {
    job_id: id,
    status: 'processing',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/clip.mp4',
    progress,
    attempts: 1,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    outputs: [],
    history: [{ status: 'queued', at: '2026-01-01T00:00:00.000Z' }],
    owner: 'alice',
  };
}

describe('Kafka job-change feed', () => {
  const topic = `mf-test.events.${randomUUID().slice(0, 8)}`;
  const options = { brokers: BROKERS, clientId: 'mf-test', logger, topic, retentionMs: 600_000 };
  const publisher = new KafkaJobChangePublisher(options);
  const feeds: JobChangeFeed[] = [];

  afterAll(async () => {
    await Promise.all(feeds.map(async (feed) => feed.stop()));
    await publisher.close();
    const admin = new Kafka({ clientId: 'mf-test', brokers: BROKERS, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  const startFeed = async (
    backlog: number,
  ): Promise<{ feed: JobChangeFeed; seen: SequencedJobChange[]; start: number }> => {
    const feed = new KafkaJobChangeFeed(options);
    feeds.push(feed);
    const seen: SequencedJobChange[] = [];
    let start = -1;
    await feed.start({ backlog, onStart: (position) => (start = position), onChange: (change) => seen.push(change) });
    return { feed, seen, start };
  };

  it('gives every reader the same changes in the same order under the same seqs, with a backlog for late readers', async () => {
    await publisher.init();
    for (let i = 1; i <= 5; i += 1) publisher.publish({ kind: 'progress', job: job('early', i * 10) });
    const first = await startFeed(100);
    // The five published before it started, read as its backlog, once it caught up.
    await waitFor('the backlog', () => (first.seen.length === 5 ? true : undefined));
    expect(first.start).toBe(0);
    expect(first.seen.map((change) => change.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(first.seen.map((change) => change.job.progress)).toEqual([10, 20, 30, 40, 50]);

    // A reader that keeps only the last 2 starts after seq 3: what came before is not its to replay.
    const second = await startFeed(2);
    expect(second.start).toBe(3);
    expect(second.seen.map((change) => change.seq)).toEqual([4, 5]);
    expect(second.feed.position).toBe(5);

    const started = Date.now();
    for (let i = 0; i < 20; i += 1) {
      publisher.publish({ kind: i % 5 === 0 ? 'state' : 'progress', job: job(`live-${i % 3}`, i) });
    }
    await waitFor('every reader to see the live changes', () =>
      first.seen.length === 25 && second.seen.length === 22 ? true : undefined,
    );
    console.log(`job-change feed: 20 changes reached two readers in ${Date.now() - started} ms`);
    expect(first.seen.slice(5)).toEqual(second.seen.slice(2));
    expect(first.seen.map((change) => change.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    expect(first.seen.slice(5).map((change) => change.job.progress)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(first.feed.position).toBe(25);
  });
});

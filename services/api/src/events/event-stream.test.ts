import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Job } from '@mediaflow/domain';
import { createLogger } from '@mediaflow/domain';
import { InProcessJobChanges } from '@mediaflow/queue';
import { JobEventHub } from './event-hub';
import { EventStream } from './event-stream';

/**
 * EventStream over a real HTTP connection and the in-process change feed:
 * the wire format, the filter, and the heartbeat's re-read that finds a
 * change the feed lost. The database read is the collaborator given as
 * `reread`; everything else is the real thing.
 */

const logger = createLogger({ level: 'error', service: 'test' });
const old = '2026-01-01T00:00:00.000Z';

function job(overrides: Partial<Job> = {}): Job {
  return {
    job_id: 'j1',
    status: 'processing',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/clip.mp4',
    progress: 10,
    attempts: 1,
    created_at: old,
    updated_at: old,
    outputs: [],
    history: [
      { status: 'queued', at: old },
      { status: 'processing', at: old },
    ],
    owner: 'alice',
    ...overrides,
  };
}

const completed = job({
  status: 'completed',
  progress: 100,
  history: [...job().history, { status: 'completed', at: old }],
});

interface Harness {
  bus: InProcessJobChanges;
  hub: JobEventHub;
  url: string;
  /** What the database says at each heartbeat. */
  stored: { job: Job | null };
  close(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const bus = new InProcessJobChanges(100);
  const hub = new JobEventHub({
    feed: bus.createFeed(),
    replayCapacity: 100,
    maxStreamsPerKey: 5,
    maxStreams: 5,
    logger,
  });
  hub.start();
  await hub.whenReady();
  const stored: { job: Job | null } = { job: job() };
  const app = express();
  app.get('/stream', (req, res) => {
    const stream = new EventStream(req, res, {
      hub,
      scope: { kind: 'job', jobId: 'j1' },
      keyId: 'alice',
      render: (j) => ({ job_id: j.job_id, status: j.status, progress: j.progress }),
      heartbeatMs: 100,
      reread: async () => Promise.resolve(stored.job),
      logger,
    });
    stream.open();
    if (req.query.resume === undefined) {
      stream.begin({ snapshot: { job_id: 'j1', status: 'processing', progress: 10 }, jobs: [job()] });
    } else {
      // A resume with nothing to replay: the client is up to date.
      stream.begin({ replay: [], after: { seq: 0, n: 0 } });
    }
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    bus,
    hub,
    stored,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/stream`,
    close: async () => {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Reads the stream until the server ends it (or `stopWhen` holds), as text. */
async function read(url: string, stopWhen: (text: string) => boolean = () => false): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
        if (stopWhen(text)) {
          request.destroy();
          resolve(text);
        }
      });
      response.on('end', () => resolve(text));
    });
    request.on('error', reject);
  });
}

describe('EventStream', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await harness();
  });

  afterEach(async () => {
    await h.close();
  });

  it('sends retry, the snapshot, news only, and the end; then closes and frees its place', async () => {
    const reading = read(h.url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.bus.publisher.publish({ kind: 'progress', job: job({ progress: 40 }) });
    // Older than what was sent, and a repeat: neither is news.
    h.bus.publisher.publish({ kind: 'progress', job: job({ progress: 30 }) });
    h.bus.publisher.publish({ kind: 'progress', job: job({ progress: 40 }) });
    // Another job's change is not this stream's.
    h.bus.publisher.publish({ kind: 'state', job: job({ job_id: 'j2' }) });
    h.bus.publisher.publish({ kind: 'state', job: completed });
    const text = await reading;
    expect(text).toBe(
      'retry: 2000\n\n' +
        'id: 0\nevent: snapshot\ndata: {"job_id":"j1","status":"processing","progress":10}\n\n' +
        'id: 1\nevent: update\ndata: {"job_id":"j1","status":"processing","progress":40}\n\n' +
        'id: 5\nevent: end\ndata: {"job_id":"j1","status":"completed","progress":100}\n\n',
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.hub.openStreams).toBe(0);
  });

  it('beats, and at a beat sends the end the feed lost (the database shows it)', async () => {
    const reading = read(h.url);
    await new Promise((resolve) => setTimeout(resolve, 250));
    h.stored.job = completed;
    const text = await reading;
    expect(text).toContain(': hb\n\n');
    expect(text.endsWith('id: 0.1\nevent: end\ndata: {"job_id":"j1","status":"completed","progress":100}\n\n')).toBe(
      true,
    );
  });

  it('on a resumed stream too, sends at a beat the end the feed lost', async () => {
    const reading = read(`${h.url}?resume`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    h.stored.job = completed;
    const text = await reading;
    expect(text.startsWith('retry: 2000\n\n: hb\n\n')).toBe(true);
    expect(text.endsWith('id: 0.1\nevent: end\ndata: {"job_id":"j1","status":"completed","progress":100}\n\n')).toBe(
      true,
    );
  });

  it('announces the job’s deletion as its last event, without its fields', async () => {
    const reading = read(h.url);
    await new Promise((resolve) => setTimeout(resolve, 50));
    h.bus.publisher.publish({
      kind: 'state',
      job: job({ deleted_at: '2026-02-01T00:00:00.000Z', source: 's3://secret' }),
    });
    const text = await reading;
    expect(
      text.endsWith('id: 1\nevent: deleted\ndata: {"job_id":"j1","deleted_at":"2026-02-01T00:00:00.000Z"}\n\n'),
    ).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.hub.openStreams).toBe(0);
  });

  it('at a beat, announces a deletion the feed lost', async () => {
    const reading = read(h.url);
    await new Promise((resolve) => setTimeout(resolve, 250));
    h.stored.job = job({ deleted_at: '2026-02-01T00:00:00.000Z' });
    const text = await reading;
    expect(text).toContain('event: deleted\ndata: {"job_id":"j1","deleted_at":"2026-02-01T00:00:00.000Z"}\n\n');
  });

  it('closes when the job is gone, and when the client goes away', async () => {
    h.stored.job = null;
    expect(await read(h.url)).not.toContain('event: end');
    h.stored.job = job();
    await read(h.url, (text) => text.includes('event: snapshot'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.hub.openStreams).toBe(0);
  });
});

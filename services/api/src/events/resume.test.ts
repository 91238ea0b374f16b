import type { Job } from '@mediaflow/domain';
import { createLogger } from '@mediaflow/domain';
import { InProcessJobChanges } from '@mediaflow/queue';
import type { SequencedJobChange } from '@mediaflow/queue';
import { ChangeLog, SentVersions } from './change-log';
import { compareEventIds, formatEventId, nextOwnEventId, parseEventId } from './event-id';
import { JobEventHub } from './event-hub';

const logger = createLogger({ level: 'error', service: 'test' });

function job(id: string, overrides: Partial<Job> = {}): Job {
  return {
    job_id: id,
    status: 'queued',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://in/clip.mp4',
    progress: 0,
    attempts: 0,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    outputs: [],
    history: [{ status: 'queued', at: '2026-01-01T00:00:00.000Z' }],
    owner: 'alice',
    ...overrides,
  };
}

const change = (seq: number, jobId: string, overrides: Partial<Job> = {}): SequencedJobChange => ({
  seq,
  kind: 'state',
  job: job(jobId, overrides),
});

describe('event ids', () => {
  it('formats and parses <seq> and <seq>.<n>, and orders them', () => {
    expect(formatEventId({ seq: 41, n: 0 })).toBe('41');
    expect(formatEventId({ seq: 41, n: 2 })).toBe('41.2');
    expect(parseEventId('41')).toEqual({ seq: 41, n: 0 });
    expect(parseEventId(' 41.2 ')).toEqual({ seq: 41, n: 2 });
    const ordered = ['0', '41', '41.1', '41.2', '42', '100'].map(parseEventId);
    for (let i = 1; i < ordered.length; i += 1) expect(compareEventIds(ordered[i], ordered[i - 1])).toBeGreaterThan(0);
  });

  it('refuses anything it never sent with VALIDATION_FAILED', () => {
    for (const text of ['', 'abc', '-1', '01', '4.0', '4.', '.4', '1e5', '4.1.1', '9'.repeat(16)]) {
      expect(() => parseEventId(text)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error);
    }
  });

  it('numbers a stream’s own events after the last id, never at or before it', () => {
    expect(nextOwnEventId(undefined, 7)).toEqual({ seq: 7, n: 1 });
    expect(nextOwnEventId({ seq: 7, n: 0 }, 7)).toEqual({ seq: 7, n: 1 });
    expect(nextOwnEventId({ seq: 7, n: 1 }, 7)).toEqual({ seq: 7, n: 2 });
    expect(nextOwnEventId({ seq: 7, n: 3 }, 9)).toEqual({ seq: 9, n: 1 });
    // A stream resumed from an id ahead of this replica keeps counting after that id.
    expect(nextOwnEventId({ seq: 12, n: 0 }, 9)).toEqual({ seq: 12, n: 1 });
  });
});

describe('ChangeLog: what a resume replays', () => {
  it('replays exactly the matching changes after an id, up to the position', () => {
    const log = new ChangeLog(100, 10);
    for (let seq = 11; seq <= 20; seq += 1) log.append(change(seq, seq % 2 === 0 ? 'a' : 'b'));
    expect(log.position).toBe(20);
    const onlyA = (j: Job): boolean => j.job_id === 'a';
    expect(log.after(13, 20, onlyA)?.map((c) => c.seq)).toEqual([14, 16, 18, 20]);
    expect(log.after(13, 17, onlyA)?.map((c) => c.seq)).toEqual([14, 16]);
    expect(log.after(20, 20, onlyA)).toEqual([]);
    // From the start position itself: everything.
    expect(log.after(10, 20, () => true)?.length).toBe(10);
    // From before it: the log cannot tell, the client gets a snapshot.
    expect(log.after(9, 20, () => true)).toBeUndefined();
  });

  it('moves its floor as it drops old changes, and ignores a change it already has', () => {
    const log = new ChangeLog(3, 0);
    for (let seq = 1; seq <= 5; seq += 1) log.append(change(seq, 'a'));
    log.append(change(4, 'a', { progress: 99 }));
    expect(log.size).toBe(3);
    expect(log.floor).toBe(2);
    expect(log.after(1, 5, () => true)).toBeUndefined();
    expect(log.after(2, 5, () => true)?.map((c) => c.seq)).toEqual([3, 4, 5]);
    expect(log.after(2, 5, () => true)?.[1].job.progress).toBe(0);
    // Many more appends than the capacity (compaction) keep it exact.
    for (let seq = 6; seq <= 50; seq += 1) log.append(change(seq, 'a'));
    expect(log.after(47, 50, () => true)?.map((c) => c.seq)).toEqual([48, 49, 50]);
    expect(log.floor).toBe(47);
  });

  it('restarts after a gap: nothing before it is exact any more', () => {
    const log = new ChangeLog(100, 0);
    for (let seq = 1; seq <= 5; seq += 1) log.append(change(seq, 'a'));
    log.reset(9);
    log.append(change(10, 'a'));
    expect(log.after(5, 10, () => true)).toBeUndefined();
    expect(log.after(9, 10, () => true)?.map((c) => c.seq)).toEqual([10]);
  });
});

describe('SentVersions: news, and changes that arrive late', () => {
  const processing = (progress: number, transitions = 2): Job =>
    job('a', {
      status: 'processing',
      progress,
      history: Array.from({ length: transitions }, (_, i) => ({
        status: i === 0 ? 'queued' : 'processing',
        at: '2026-01-01T00:00:00.000Z',
      })),
    });

  it('skips older progress, older transitions and repeats; takes new ones', () => {
    const sent = new SentVersions();
    const first = processing(10);
    expect(sent.isNews(first, 'p10')).toBe(true);
    sent.record(first, 'p10');
    expect(sent.isNews(processing(10), 'p10')).toBe(false);
    expect(sent.isNews(processing(5), 'p5')).toBe(false);
    expect(sent.isNews(processing(10), 'p10-speed')).toBe(true);
    expect(sent.isNews(processing(20), 'p20')).toBe(true);
    // A queued change published late (by the API) after the worker's progress.
    expect(sent.isNews(job('a'), 'queued')).toBe(false);
    // A retry starts over at 0 with a longer history: news.
    expect(sent.isNews(processing(0, 4), 'retry')).toBe(true);
    expect(sent.isBehind(processing(0, 4))).toBe(true);
    expect(sent.isBehind(processing(50))).toBe(false);
    // Nothing sent yet (a resumed stream): only a finished job is known to be news.
    const fresh = new SentVersions();
    expect(fresh.isBehind(processing(50))).toBe(false);
    expect(fresh.isBehind(job('a', { status: 'cancelled' }))).toBe(true);
  });

  it('takes nothing but a new transition once a job was sent finished', () => {
    const sent = new SentVersions();
    const history = ['queued', 'processing', 'completed'].map((status) => ({ status, at: 'x' })) as Job['history'];
    const completed = job('a', { status: 'completed', progress: 100, history });
    sent.record(completed, 'done');
    expect(sent.isNews(completed, 'done')).toBe(false);
    expect(sent.isNews({ ...completed, expired_at: 'later' }, 'done, expired')).toBe(false);
    expect(sent.isNews(job('a', { status: 'processing', progress: 100, history: history.slice(0, 2) }), 'p')).toBe(
      false,
    );
    const requeued = job('a', { history: [...history, { status: 'queued', at: 'y' }] });
    expect(sent.isNews(requeued, 'requeued')).toBe(true);
  });
});

describe('JobEventHub over the in-process feed', () => {
  it('starts from the backlog, keeps changes for resumes, and caps streams per key and per replica', async () => {
    const bus = new InProcessJobChanges(100);
    for (let i = 0; i < 5; i += 1) bus.publisher.publish({ kind: 'state', job: job(`early-${i}`) });
    const feed = bus.createFeed();
    const hub = new JobEventHub({ feed, replayCapacity: 3, maxStreamsPerKey: 2, maxStreams: 3, logger });
    hub.start();
    await hub.whenReady();
    // The last 3 of the 5 earlier changes are kept; a resume from before them is not exact.
    expect(hub.position).toBe(5);
    expect(hub.log.after(2, 5, () => true)?.map((c) => c.job.job_id)).toEqual(['early-2', 'early-3', 'early-4']);
    expect(hub.log.after(1, 5, () => true)).toBeUndefined();

    const seen: number[] = [];
    const stream = { onChange: (c: SequencedJobChange) => seen.push(c.seq), close: jest.fn() };
    const release = hub.admit('alice', stream);
    bus.publisher.publish({ kind: 'progress', job: job('late', { progress: 40 }) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([6]);
    expect(hub.position).toBe(6);

    const other = { onChange: () => undefined, close: jest.fn() };
    hub.admit('alice', other);
    expect(() => hub.admit('alice', { onChange: () => undefined, close: jest.fn() })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_STREAMS', status: 429 }) as Error,
    );
    hub.admit('bob', { onChange: () => undefined, close: jest.fn() });
    expect(() => hub.admit('carol', { onChange: () => undefined, close: jest.fn() })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_STREAMS' }) as Error,
    );
    release();
    release();
    expect(hub.openStreams).toBe(2);
    hub.admit('carol', { onChange: () => undefined, close: jest.fn() });

    // Shutdown ends every open stream and refuses new ones.
    await hub.close();
    expect(other.close).toHaveBeenCalledTimes(1);
    expect(stream.close).not.toHaveBeenCalled();
    expect(() => hub.admit('dave', stream)).toThrow(
      expect.objectContaining({ code: 'DEPENDENCY_UNAVAILABLE' }) as Error,
    );
    await expect(hub.whenReady()).rejects.toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
  });
});

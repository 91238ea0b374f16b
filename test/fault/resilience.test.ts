/**
 * Fault injection against real processes and real services: workers killed
 * and drained, the broker restarted, the database stopped, poison and hanging
 * inputs, cancellation, and load. Runs alone (`--selectProjects fault`),
 * because it restarts shared services.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { writeMatroskaClaiming } from '../support/hostile-media';
import { makeClip } from '../support/media-fixtures';
import { FINAL_STATUSES, getStatus, submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { REPO_ROOT, waitFor } from '../support/processes';
import type { ServiceProcess } from '../support/processes';
import { listKeys } from '../support/s3-inspect';
import { controlService } from '../support/services-control';
import { startSystem } from '../support/system';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import type { RunningSystem } from '../support/system';

jest.setTimeout(600_000);

const OUTPUT_BUCKET = process.env.OUTPUT_BUCKET ?? 'mediaflow-output';

function report(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`FAULT-FIGURES ${JSON.stringify({ scenario, ...figures })}\n`);
}

describe('jobs survive crashes, hangs, poison inputs and restarts', () => {
  let system: RunningSystem;
  let dir: string;
  let shortSource: string;
  let longSource: string;
  let tinySource: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-fault-'));
    const files = {
      short: path.join(dir, 'short.mp4'),
      long: path.join(dir, 'long.mp4'),
      tiny: path.join(dir, 'tiny.mp4'),
    };
    await Promise.all([
      makeClip(files.short, { seconds: 2, width: 320, height: 240 }),
      makeClip(files.long, { seconds: 24, width: 640, height: 360 }),
      makeClip(files.tiny, { seconds: 1, width: 160, height: 120 }),
    ]);
    system = await startSystem({
      db: 'mongodb',
      workers: 2,
      env: {
        FFMPEG_PATH: path.join(REPO_ROOT, 'test/support/stalling-ffmpeg.sh'),
        JOB_LEASE_SECONDS: '6',
        KAFKA_SESSION_TIMEOUT_MS: '8000',
        KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
        REAPER_INTERVAL_SECONDS: '1',
        // FerretDB v1 checks an update's filter and writes the document in two
        // steps, so a reaper's take that read a queued job can land just after a
        // claim and undo it; the job then waits as an idle queued job. The idle
        // requeue is the designed recovery for that (and for lost messages):
        // shorten it so the scenarios' waits cover it. Real MongoDB is atomic.
        REQUEUE_QUEUED_AFTER_SECONDS: '20',
        PROGRESS_INTERVAL_MS: '300',
        RETRY_BASE_DELAY_MS: '200',
        RETRY_MAX_DELAY_MS: '1000',
        FFMPEG_STALL_TIMEOUT: '3',
        MAX_ATTEMPTS: '3',
        LOG_LEVEL: 'info',
      },
    });
    shortSource = await system.client.upload('short.mp4', files.short);
    longSource = await system.client.upload('long.mp4', files.long);
    tinySource = await system.client.upload('tiny.mp4', files.tiny);
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  /** A long encode: slow enough to be interrupted part-way. */
  const longJob = async (): Promise<string> =>
    submitJob(system.client, { source: longSource, method_name: 'compress', params: { preset: 'slow', crf: 23 } });

  const holder = (status: StatusBody): ServiceProcess => {
    const claim = [...status.history].reverse().find((entry) => entry.status === 'processing');
    const worker = system.workers.find((candidate) => claim?.worker_id?.startsWith(`${candidate.name}-`));
    if (!worker) throw new Error(`no worker process for ${JSON.stringify(claim)}`);
    return worker;
  };

  const outputsOf = async (jobId: string): Promise<string[]> =>
    listKeys(OUTPUT_BUCKET, `${system.env.OUTPUT_PREFIX ?? ''}${jobId}/`);

  /** Stopped and killed workers count too: they may have completed the job before. */
  const completedLogLines = (jobId: string): number =>
    system
      .everyWorker()
      .map((worker) => worker.output().split('\n'))
      .flat()
      .filter((line) => line.includes('"job completed"') && line.includes(jobId)).length;

  it('fails poison inputs fast with precise codes and keeps serving', async () => {
    const poison: [string, Buffer | (() => Promise<Buffer>), string, string][] = [
      ['empty.mp4', Buffer.alloc(0), 'compress', 'NOT_MEDIA'],
      ['random.mp4', randomBytes(256 * 1024), 'compress', 'NOT_MEDIA'],
      [
        'truncated.mp4',
        async () => {
          const file = path.join(dir, 'moov-at-end.mp4');
          await makeClip(file, { seconds: 3 });
          const whole = await readFile(file);
          return whole.subarray(0, Math.floor(whole.length * 0.6));
        },
        'compress',
        'NOT_MEDIA',
      ],
      // y4m is off the container allow-list, so it is refused before its header is read.
      [
        'huge.y4m',
        Buffer.concat([Buffer.from('YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n'), randomBytes(4096)]),
        'compress',
        'UNSUPPORTED_MEDIA',
      ],
      // An allowed container whose header claims 100000x100000.
      [
        'huge.mkv',
        async () => readFile(await writeMatroskaClaiming(dir, { width: 100_000, height: 100_000 }, 'huge-claim.mkv')),
        'compress',
        'MEDIA_LIMIT_EXCEEDED',
      ],
    ];
    const audioOnly = path.join(dir, 'tone.m4a');
    await makeClip(audioOnly, { video: false, seconds: 2 });

    const started = Date.now();
    const jobs: [string, string][] = [];
    for (const [name, content, method, code] of poison) {
      const data = typeof content === 'function' ? await content() : content;
      const file = path.join(dir, name);
      await writeFile(file, data);
      const source = await system.client.upload(name, file, 'application/octet-stream');
      jobs.push([await submitJob(system.client, { source, method_name: method }), code]);
    }
    const toneSource = await system.client.upload('tone.m4a', audioOnly, 'audio/mp4');
    jobs.push([await submitJob(system.client, { source: toneSource, method_name: 'grayscale' }), 'NO_VIDEO_STREAM']);
    const healthy = await submitJob(system.client, { source: shortSource, method_name: 'extract_audio' });

    const results = await Promise.all(jobs.map(async ([jobId]) => (await waitForJob(system.client, jobId)).final));
    results.forEach((final, index) => {
      expect({ status: final.status, code: final.error?.code, attempts: final.attempts }).toEqual({
        status: 'failed',
        code: jobs[index][1],
        attempts: 1,
      });
    });
    expect((await waitForJob(system.client, healthy)).final.status).toBe('completed');
    report('poison', { jobs: jobs.length, failed_fast: results.length, seconds: (Date.now() - started) / 1000 });
  });

  it('kills a hanging FFmpeg with the watchdog, retries it, then dead-letters it', async () => {
    const file = path.join(dir, 'stall.mp4');
    await makeClip(file, { seconds: 2 });
    const marked = path.join(dir, 'stall-marked.mp4');
    await writeFile(marked, Buffer.concat([await readFile(file), Buffer.from('MEDIAFLOW_STALL')]));
    const source = await system.client.upload('stall.mp4', marked);
    const kafka = new Kafka({
      brokers: (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '').split(','),
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `fault-dlq-${Date.now()}` });
    const deadLetters: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: `${system.env.KAFKA_TOPIC}.dead-letter`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        deadLetters.push(message.value?.toString() ?? '');
        return Promise.resolve();
      },
    });

    try {
      const started = Date.now();
      const jobId = await submitJob(system.client, { source, method_name: 'compress' });
      const { final } = await waitForJob(system.client, jobId, undefined, 120_000);
      expect(final.status).toBe('failed');
      expect(final.error?.code).toBe('FFMPEG_STALLED');
      expect(final.attempts).toBe(3);
      expect(final.dead_lettered_at).toBeDefined();
      expect(final.history.filter((entry) => entry.status === 'processing')).toHaveLength(3);

      const listed = await system.client.request<{ jobs: StatusBody[] }>('GET', '/dead-letters');
      expect(listed.body.jobs.map((job) => job.job_id)).toContain(jobId);
      await waitFor(
        'the dead letter on Kafka',
        () => (deadLetters.some((value) => value.includes(jobId)) ? true : undefined),
        {
          timeoutMs: 20_000,
        },
      );
      report('stall', { attempts: final.attempts, seconds_to_dead_letter: (Date.now() - started) / 1000 });

      const replay = await system.client.postJson<{ replayed: string[] }>('/dead-letters/replay', { job_ids: [jobId] });
      expect(replay.status).toBe(202);
      expect(replay.body.replayed).toEqual([jobId]);
      const again = await getStatus(system.client, jobId);
      expect(['queued', 'processing']).toContain(again.status);
      expect(again.dead_lettered_at).toBeUndefined();
      const cancelled = await system.client.postJson('/jobs/' + jobId + '/cancel', {});
      expect(cancelled.status).toBe(202);
      expect((await waitForJob(system.client, jobId)).final.status).toBe('cancelled');
    } finally {
      await consumer.disconnect();
    }
  });

  it('cancels an encode within 2 s and leaves no output but its log; a cancelled job can be retried', async () => {
    const jobId = await longJob();
    await waitForJob(system.client, jobId, (status) => status.status === 'processing' && status.progress > 5);
    const requested = Date.now();
    const response = await system.client.postJson<{ status: string }>(`/jobs/${jobId}/cancel`, {});
    expect(response.status).toBe(202);
    const { final } = await waitForJob(system.client, jobId, undefined, 10_000);
    const stoppedAfterMs = Date.now() - requested;
    expect(final.status).toBe('cancelled');
    expect(stoppedAfterMs).toBeLessThan(2000);
    expect(await outputsOf(jobId)).toEqual([`${system.env.OUTPUT_PREFIX ?? ''}${jobId}/ffmpeg.log`]);
    expect(final.outputs.filter((output) => output.kind !== 'log')).toEqual([]);

    const again = await system.client.postJson('/jobs/' + jobId + '/cancel', {});
    expect(again.status).toBe(202);
    const queued = await submitJob(system.client, { source: longSource, method_name: 'compress' });
    const other = await longJob();
    const cancelQueued = await system.client.postJson<{ status: string }>(`/jobs/${other}/cancel`, {});
    expect(cancelQueued.status).toBe(202);
    const retried = await system.client.postJson<{ status: string }>(`/jobs/${jobId}/retry`, {});
    expect(retried.status).toBe(202);
    const completedRetry = await system.client.postJson(`/jobs/${queued}/retry`, {});
    expect([409, 202]).toContain(completedRetry.status);
    await system.client.postJson(`/jobs/${jobId}/cancel`, {});
    await system.client.postJson(`/jobs/${queued}/cancel`, {});
    report('cancel', { stop_ms: stoppedAfterMs, outputs_left: 0 });
  });

  it.each([
    ['early (fetching and probing)', (status: StatusBody) => status.status === 'processing'],
    ['mid-encode', (status: StatusBody) => status.status === 'processing' && status.progress >= 30],
    ['late (near the end)', (status: StatusBody) => status.status === 'processing' && status.progress >= 85],
  ])('a worker killed -9 %s: the job completes exactly once elsewhere', async (point, when) => {
    const jobId = await longJob();
    const { final: atKill } = await waitForJob(system.client, jobId, when, 180_000);
    const victim = holder(atKill);
    const killedAt = Date.now();
    await victim.kill();
    system.retire(victim);
    await system.startWorker(`${victim.name}r`);

    const { final } = await waitForJob(system.client, jobId, undefined, 240_000);
    expect(final.status).toBe('completed');
    expect(final.attempts).toBeLessThanOrEqual(2);
    const claims = final.history.filter((entry) => entry.status === 'processing').map((entry) => entry.worker_id);
    expect(claims).toHaveLength(2);
    expect(new Set(claims).size).toBe(2);
    const outputs = await outputsOf(jobId);
    expect(outputs.filter((key) => !key.endsWith('ffmpeg.log'))).toHaveLength(1);
    expect(completedLogLines(jobId)).toBe(1);
    report('worker-crash', { point, attempts: final.attempts, recovery_seconds: (Date.now() - killedAt) / 1000 });
  });

  it('a worker given SIGTERM mid-job hands it back and another completes it (scale 3 -> 1)', async () => {
    await system.startWorker('worker3');
    // Kafka places jobs on partitions, not on idle workers, so three jobs may
    // queue behind one worker. Keep adding long jobs until two workers are
    // encoding at the same time, then scale those two away.
    const jobIds = await Promise.all([longJob(), longJob(), longJob()]);
    let lastSubmitAt = Date.now();
    const busy = await waitFor(
      'two workers encoding at once',
      async () => {
        const statuses = await Promise.all(jobIds.map(async (jobId) => getStatus(system.client, jobId)));
        const byWorker = new Map<ServiceProcess, StatusBody>();
        for (const status of statuses) {
          if (status.status === 'processing' && status.progress > 5) byWorker.set(holder(status), status);
        }
        if (byWorker.size >= 2) return [...byWorker.keys()];
        if (Date.now() - lastSubmitAt > 5000 && jobIds.length < 9) {
          jobIds.push(await longJob());
          lastSubmitAt = Date.now();
        }
        return undefined;
      },
      { timeoutMs: 180_000, intervalMs: 200 },
    );
    const victims = busy.slice(0, 2);
    const stoppedAt = Date.now();
    const codes = await Promise.all(victims.map(async (worker) => worker.stop(30_000)));
    expect(codes).toEqual([0, 0]);
    for (const victim of victims) system.retire(victim);
    expect(system.workers).toHaveLength(1);

    const finals = await Promise.all(
      jobIds.map(async (jobId) => (await waitForJob(system.client, jobId, undefined, 400_000)).final),
    );
    for (const final of finals) {
      expect(final.status).toBe('completed');
      expect(completedLogLines(final.job_id)).toBe(1);
    }
    const handedBack = finals.filter((final) => final.history.some((entry) => entry.note === 'worker shutting down'));
    expect(handedBack.length).toBeGreaterThanOrEqual(victims.length);
    for (const victim of victims) expect(victim.output()).toContain('job handed back for another worker');
    report('sigterm-drain', {
      jobs: jobIds.length,
      drained_workers: victims.length,
      handed_back: handedBack.length,
      completed: finals.length,
      seconds: (Date.now() - stoppedAt) / 1000,
    });
    // Back to two workers for the scenarios that follow.
    await system.startWorker(`worker${system.everyWorker().length + 10}`);
  });

  it('survives a Kafka outage with 50 jobs in flight: 503 meanwhile, all complete, none twice', async () => {
    const jobIds: string[] = [];
    for (let i = 0; i < 50; i += 1) {
      jobIds.push(
        await submitJob(system.client, {
          source: tinySource,
          method_name: 'compress',
          params: { preset: 'ultrafast' },
        }),
      );
    }
    await controlService('down', 'kafka');
    const restartAt = Date.now();
    // While the broker is away: 503 with Retry-After, the job stored and
    // flagged, /readyz naming the queue.
    const during = await system.client.postJson<{ error: { code: string; details?: { job_id?: string } } }>(
      '/process',
      { source: tinySource, method_name: 'compress', params: { preset: 'ultrafast' } },
    );
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    expect(during.body.error.code).toBe('QUEUE_ERROR');
    const storedDuringOutage = during.body.error.details?.job_id;
    expect(storedDuringOutage).toBeDefined();
    const ready = await system.client.request<{ checks: Record<string, string> }>('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.queue).toMatch(/^down/);
    expect(ready.body.checks.database).toBe('ok');
    await controlService('up', 'kafka');
    jobIds.push(storedDuringOutage!);
    const finals = await Promise.all(
      jobIds.map(async (jobId) => (await waitForJob(system.client, jobId, undefined, 300_000)).final),
    );
    const completed = finals.filter((final) => final.status === 'completed').length;
    const duplicates = jobIds.filter((jobId) => completedLogLines(jobId) > 1).length;
    expect(completed).toBe(51);
    expect(duplicates).toBe(0);
    report('kafka-restart', {
      jobs: 51,
      completed,
      duplicates,
      seconds_after_restart: (Date.now() - restartAt) / 1000,
    });
  });

  it('survives a 10 s database outage: 503 meanwhile, then everything completes', async () => {
    const jobIds: string[] = [];
    for (let i = 0; i < 6; i += 1)
      jobIds.push(await submitJob(system.client, { source: shortSource, method_name: 'compress' }));
    await controlService('down', 'ferretdb');
    const downAt = Date.now();
    const during = await system.client.postJson<{ error: { code: string } }>('/process', {
      source: shortSource,
      method_name: 'compress',
    });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBeTruthy();
    const ready = await system.client.request<{ checks: Record<string, string> }>('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.database).toMatch(/^down/);
    expect(ready.body.checks.queue).toBe('ok');
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 10_000 - (Date.now() - downAt))));
    await controlService('up', 'ferretdb');
    const upAt = Date.now();
    const finals = await Promise.all(
      jobIds.map(async (jobId) => (await waitForJob(system.client, jobId, undefined, 240_000)).final),
    );
    expect(finals.map((final) => final.status)).toEqual(jobIds.map(() => 'completed'));
    const stuck = await system.client.request<{ jobs: StatusBody[] }>('GET', '/process?limit=100');
    expect(stuck.body.jobs.filter((job) => job.status === 'processing')).toEqual([]);
    report('database-outage', {
      jobs: jobIds.length,
      completed: finals.length,
      recovery_seconds: (Date.now() - upAt) / 1000,
    });
  });

  it('runs 500 short jobs through 2 workers: none lost, none duplicated, records consistent', async () => {
    // Its own system, on DynamoDB with default reaper settings: this measures
    // the pipeline, not FerretDB's SQLite backend, which filters in memory.
    const fresh = await startSystem({ db: 'dynamodb', workers: 2 });
    const tiny = path.join(dir, 'tiny.mp4');
    const loadSource = await fresh.client.upload('tiny.mp4', tiny);
    const completedLines = (jobId: string): number =>
      fresh.workers
        .map((worker) => worker.output().split('\n'))
        .flat()
        .filter((line) => line.includes('"job completed"') && line.includes(jobId)).length;
    try {
      const started = Date.now();
      const jobIds: string[] = [];
      for (let i = 0; i < 500; i += 1) {
        jobIds.push(
          await submitJob(fresh.client, { source: loadSource, method_name: 'extract_audio', output_format: 'wav' }),
        );
      }
      const submitted = new Set(jobIds);
      const statuses = new Map<string, string>();
      const listAll = async (): Promise<{ jobs: StatusBody[]; count: number }> => {
        const jobs: StatusBody[] = [];
        let count = 0;
        let cursor: string | null = null;
        do {
          const page: { body: { jobs: StatusBody[]; count: number; next_cursor: string | null } } =
            await fresh.client.request(
              'GET',
              cursor ? `/process?limit=100&cursor=${encodeURIComponent(cursor)}` : '/process?limit=100',
            );
          count = page.body.count;
          jobs.push(...page.body.jobs);
          cursor = page.body.next_cursor;
        } while (cursor);
        return { jobs, count };
      };
      await waitFor(
        'all 500 jobs to finish',
        async () => {
          const { jobs } = await listAll();
          for (const job of jobs) if (submitted.has(job.job_id)) statuses.set(job.job_id, job.status);
          const finished = [...statuses.values()].filter((status) => FINAL_STATUSES.includes(status)).length;
          return finished === submitted.size ? true : undefined;
        },
        { timeoutMs: 540_000, intervalMs: 2000 },
      );
      const seconds = (Date.now() - started) / 1000;
      const completed = [...statuses.values()].filter((status) => status === 'completed').length;
      const duplicates = jobIds.filter((jobId) => completedLines(jobId) > 1).length;
      expect(completed).toBe(500);
      expect(duplicates).toBe(0);

      const counts = new Map<string, number>();
      const everything = await listAll();
      const total = everything.count;
      for (const job of everything.jobs) counts.set(job.status, (counts.get(job.status) ?? 0) + 1);
      const summed = [...counts.values()].reduce((sum, count) => sum + count, 0);
      expect(summed).toBe(total);
      expect(counts.get('processing') ?? 0).toBe(0);
      expect(counts.get('queued') ?? 0).toBe(0);
      report('load', {
        jobs: 500,
        completed,
        lost: 500 - completed,
        duplicates,
        seconds,
        jobs_per_second: 500 / seconds,
        statuses: Object.fromEntries(counts),
      });
    } finally {
      await fresh.stop();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { getStatus, submitJob, waitForJob } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { waitFor } from '../support/processes';
import { startSystem } from '../support/system';
import type { RunningSystem } from '../support/system';

/**
 * Issue 13: /metrics on the API and on a worker, scraped before and after a
 * run of jobs through the real system (Kafka, MongoDB, S3, FFmpeg): two
 * completed, one failed (grayscale of an audio-only file: NO_VIDEO_STREAM),
 * one cancelled while queued (counted by the API) and one while running
 * (counted by the worker). Every counter must move by exactly that much.
 */

jest.setTimeout(240_000);

const TOKEN = 'e2e-metrics-token-0123456789';

type Labels = Record<string, string>;

interface Scrape {
  families: PrometheusFamily[];
  text: string;
}

async function scrape(base: string): Promise<Scrape> {
  const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await response.text();
  return { families: parsePrometheusTextFormat(text), text };
}

function matches(labels: Labels | undefined, wanted: Labels): boolean {
  return Object.entries(wanted).every(([key, value]) => labels?.[key] === value);
}

/** The sum of a counter's or gauge's series matching `labels` (0 when there are none). */
function value(scraped: Scrape, name: string, labels: Labels = {}): number {
  const family = scraped.families.find((entry) => entry.name === name);
  return (family?.metrics ?? [])
    .filter((sample) => matches(sample.labels, labels))
    .reduce((sum, sample) => sum + Number(sample.value ?? 0), 0);
}

/**
 * The observation count of a histogram's series matching `labels`, from the
 * `_count` sample lines: parse-prometheus-text-format flattens a labelled
 * histogram into one sample, losing its labels, so its counts are read here.
 */
function observations(scraped: Scrape, name: string, labels: Labels = {}): number {
  let total = 0;
  for (const line of scraped.text.split('\n')) {
    const match = new RegExp(`^${name}_count\\{(.*)\\} (\\S+)$`).exec(line);
    if (!match) continue;
    const found = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (matches(found, labels)) total += Number(match[2]);
  }
  return total;
}

describe('Prometheus metrics of a run of jobs', () => {
  let system: RunningSystem;
  let dir: string;
  let clip: string;
  let longClip: string;
  let tone: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-e2e-metrics-'));
    const files = {
      clip: path.join(dir, 'clip.mp4'),
      long: path.join(dir, 'long.mp4'),
      tone: path.join(dir, 'tone.m4a'),
    };
    await Promise.all([
      makeClip(files.clip, { seconds: 2, width: 320, height: 240 }),
      makeClip(files.long, { seconds: 30, width: 640, height: 360 }),
      makeClip(files.tone, { seconds: 2, video: false }),
    ]);
    // One worker running one job at a time: a job submitted while it is busy stays queued.
    system = await startSystem({ db: 'mongodb', workers: 1, env: { METRICS_TOKEN: TOKEN, WORKER_CONCURRENCY: '1' } });
    clip = await system.client.upload('clip.mp4', files.clip);
    longClip = await system.client.upload('long.mp4', files.long);
    tone = await system.client.upload('tone.m4a', files.tone, 'audio/mp4');
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  it('moves every counter by exactly the jobs run', async () => {
    const apiBase = system.client.baseUrl;
    const workerBase = system.workerMetricsUrl(system.workers[0]);

    // Guarded by METRICS_TOKEN, not by an API key; health stays open.
    expect((await fetch(`${apiBase}/metrics`)).status).toBe(401);
    expect((await fetch(`${workerBase}/metrics`)).status).toBe(401);
    expect((await fetch(`${workerBase}/readyz`)).status).toBe(200);

    const apiBefore = await scrape(apiBase);
    const workerBefore = await scrape(workerBase);

    // Cancelled while running (the worker counts it) and while queued (the API counts it).
    const running = await submitJob(system.client, {
      source: longClip,
      method_name: 'compress',
      params: { preset: 'slow', crf: 20 },
    });
    await waitForJob(system.client, running, (status) => status.status === 'processing');
    const queued = await submitJob(system.client, { source: clip, method_name: 'compress' });
    expect((await getStatus(system.client, queued)).status).toBe('queued');
    for (const jobId of [queued, running]) {
      expect((await system.client.request('POST', `/jobs/${jobId}/cancel`)).status).toBeLessThan(300);
    }
    expect((await waitForJob(system.client, queued)).final.status).toBe('cancelled');
    expect((await waitForJob(system.client, running)).final.status).toBe('cancelled');

    // An invalid submit: a 400, counted under the route pattern, no job.
    expect((await system.client.postJson('/process', { source: clip, method_name: 'no_such_thing' })).status).toBe(400);

    const finished = await Promise.all(
      [
        { source: clip, method_name: 'compress', params: { crf: 35 } },
        { source: clip, method_name: 'extract_audio' },
        { source: tone, method_name: 'grayscale' },
      ].map(async (body) => (await waitForJob(system.client, await submitJob(system.client, body))).final),
    );
    expect(finished.map((status) => [status.status, status.error?.code ?? null])).toEqual([
      ['completed', null],
      ['completed', null],
      ['failed', 'NO_VIDEO_STREAM'],
    ]);

    const api = await scrape(apiBase);
    const worker = await scrape(workerBase);
    const delta = (after: Scrape, before: Scrape, name: string, labels: Labels = {}): number =>
      value(after, name, labels) - value(before, name, labels);
    const counted = (before: Scrape, after: Scrape, name: string, labels: Labels = {}): number =>
      observations(after, name, labels) - observations(before, name, labels);

    // The API: submissions, the queued cancellation, requests by route pattern.
    expect({
      compress: delta(api, apiBefore, 'mediaflow_jobs_submitted_total', { operation: 'compress' }),
      extract_audio: delta(api, apiBefore, 'mediaflow_jobs_submitted_total', { operation: 'extract_audio' }),
      grayscale: delta(api, apiBefore, 'mediaflow_jobs_submitted_total', { operation: 'grayscale' }),
      cancelled: delta(api, apiBefore, 'mediaflow_jobs_cancelled_total'),
      accepted: delta(api, apiBefore, 'mediaflow_http_requests_total', { route: '/process', status_code: '202' }),
      refused: delta(api, apiBefore, 'mediaflow_http_requests_total', { route: '/process', status_code: '400' }),
      cancels: delta(api, apiBefore, 'mediaflow_http_requests_total', { route: '/jobs/:job_id/cancel' }),
      reused: delta(api, apiBefore, 'mediaflow_jobs_reused_total'),
    }).toEqual({
      compress: 3,
      extract_audio: 1,
      grayscale: 1,
      cancelled: 1,
      accepted: 5,
      refused: 1,
      cancels: 2,
      reused: 0,
    });
    expect(delta(api, apiBefore, 'mediaflow_http_requests_total', { route: '/status/:job_id' })).toBeGreaterThan(5);
    // Route patterns only: no job id ever becomes a label value.
    expect(api.text).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(counted(apiBefore, api, 'mediaflow_http_request_duration_seconds', { route: '/process' })).toBe(6);
    // The submits went through the measured ports: one token each (the 400 took none), source checks.
    expect(
      counted(apiBefore, api, 'mediaflow_db_call_duration_seconds', { store: 'rate_limits', method: 'take' }),
    ).toBe(5);
    // Concurrent checks of one source share a HEAD, so at least one per distinct source and phase.
    expect(
      counted(apiBefore, api, 'mediaflow_storage_call_duration_seconds', { method: 'head' }),
    ).toBeGreaterThanOrEqual(3);
    expect(value(api, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    // The worker: outcomes, by operation and error code.
    expect({
      completedCompress: delta(worker, workerBefore, 'mediaflow_jobs_completed_total', { operation: 'compress' }),
      completedAudio: delta(worker, workerBefore, 'mediaflow_jobs_completed_total', { operation: 'extract_audio' }),
      failed: delta(worker, workerBefore, 'mediaflow_jobs_failed_total'),
      failedNoVideo: delta(worker, workerBefore, 'mediaflow_jobs_failed_total', {
        operation: 'grayscale',
        error_code: 'NO_VIDEO_STREAM',
      }),
      cancelled: delta(worker, workerBefore, 'mediaflow_jobs_cancelled_total', { operation: 'compress' }),
      retried: delta(worker, workerBefore, 'mediaflow_jobs_retried_total'),
      deadLettered: delta(worker, workerBefore, 'mediaflow_jobs_dead_lettered_total'),
      active: value(worker, 'mediaflow_jobs_active'),
    }).toEqual({
      completedCompress: 1,
      completedAudio: 1,
      failed: 1,
      failedNoVideo: 1,
      cancelled: 1,
      retried: 0,
      deadLettered: 0,
      active: 0,
    });
    // One attempt each for the four jobs that reached a worker (the queued cancel never did).
    expect({
      completed: counted(workerBefore, worker, 'mediaflow_job_duration_seconds', { outcome: 'completed' }),
      failed: counted(workerBefore, worker, 'mediaflow_job_duration_seconds', { outcome: 'failed' }),
      cancelled: counted(workerBefore, worker, 'mediaflow_job_duration_seconds', { outcome: 'cancelled' }),
      queueWait: counted(workerBefore, worker, 'mediaflow_job_queue_wait_seconds'),
    }).toEqual({ completed: 2, failed: 1, cancelled: 1, queueWait: 4 });
    // FFmpeg runs of the two completed jobs (the cancelled one was cut short, the failed job never ran one).
    expect(counted(workerBefore, worker, 'mediaflow_ffmpeg_speed_ratio')).toBeGreaterThanOrEqual(2);
    // Five messages, five claims: the queued cancel's claim finds nothing to run.
    expect(
      counted(workerBefore, worker, 'mediaflow_db_call_duration_seconds', { store: 'jobs', method: 'claim' }),
    ).toBeGreaterThanOrEqual(5);
    expect(counted(workerBefore, worker, 'mediaflow_storage_call_duration_seconds', { method: 'download' })).toBe(4);

    // Kafka lag, read at scrape time: one sample per partition, back to 0 once every message is committed.
    await waitFor('the consumer lag to drain', async () => {
      const lag = (await scrape(workerBase)).families.find(
        (family) => family.name === 'mediaflow_kafka_consumer_lag_messages',
      );
      const samples = lag?.metrics ?? [];
      return samples.length === 6 && samples.every((sample) => sample.value === '0') ? true : undefined;
    });
  });
});

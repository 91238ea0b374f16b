import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { MetricValueWithName } from 'prom-client';
import type { PrometheusFamily } from 'parse-prometheus-text-format';
import { PrometheusMetrics } from './prometheus';
import type { PartitionLag } from './types';

async function scrape(metrics: PrometheusMetrics): Promise<PrometheusFamily[]> {
  return parsePrometheusTextFormat((await metrics.render()).body);
}

/** The value of one counter or gauge series; 0 when the series does not exist. */
function valueOf(families: PrometheusFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((entry) => entry.name === name);
  const sample = family?.metrics.find((entry) =>
    Object.entries(labels).every(([key, value]) => entry.labels?.[key] === value),
  );
  return sample?.value === undefined ? 0 : Number(sample.value);
}

/** `_count` of one histogram series, read with prom-client's own JSON (the text parser flattens labelled histograms). */
async function observations(
  metrics: PrometheusMetrics,
  name: string,
  labels: Record<string, string | number>,
): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const values = (metric?.values ?? []) as Array<MetricValueWithName<string>>;
  const sample = values.find(
    (entry) =>
      entry.metricName === `${name}_count` &&
      Object.entries(labels).every(([key, value]) => entry.labels[key] === value),
  );
  return sample?.value ?? 0;
}

describe('PrometheusMetrics', () => {
  it('names every metric by the Prometheus conventions', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const families = await metrics.registry.getMetricsAsJSON();
    expect(families.length).toBeGreaterThan(15);
    for (const family of families) {
      expect(family.name).toMatch(/^mediaflow_[a-z0-9_]+$/);
      if (String(family.type) === 'counter') expect(family.name).toMatch(/_total$/);
      if (String(family.type) === 'histogram') expect(family.name).toMatch(/_(seconds|ratio)$/);
      expect(family.help.length).toBeGreaterThan(10);
    }
  });

  it('adds Node process metrics unless told not to', async () => {
    const names = (await new PrometheusMetrics().registry.getMetricsAsJSON()).map((family) => family.name);
    expect(names).toEqual(expect.arrayContaining(['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']));
  });

  it('starts each operation at zero so the first job shows in rate()', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false, operations: ['compress', 'grayscale'] });
    const text = (await metrics.render()).body;
    expect(text).toContain('mediaflow_jobs_submitted_total{operation="compress"} 0');
    expect(text).toContain('mediaflow_jobs_completed_total{operation="grayscale"} 0');
  });

  it('counts an attempt once, by outcome, and keeps the active gauge straight', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    const created = new Date('2026-01-01T00:00:00.000Z');
    const first = metrics.attemptStarted(
      { operation: 'compress', createdAt: created.toISOString(), attempt: 1 },
      new Date(created.getTime() + 1500),
    );
    const retry = metrics.attemptStarted({ operation: 'compress', createdAt: created.toISOString(), attempt: 2 });
    expect(valueOf(await scrape(metrics), 'mediaflow_jobs_active', { operation: 'compress' })).toBe(2);

    first.ffmpegRun(3.5);
    first.ffmpegRun(Number.NaN); // ignored: no figure is better than a wrong one
    first.end('completed');
    first.end('failed', 'FFMPEG_FAILED'); // a second end changes nothing
    retry.end('dead_lettered', 'STORAGE_ERROR');

    const families = await scrape(metrics);
    expect(valueOf(families, 'mediaflow_jobs_active', { operation: 'compress' })).toBe(0);
    expect(valueOf(families, 'mediaflow_jobs_completed_total', { operation: 'compress' })).toBe(1);
    // A dead-lettered job is a failed job too.
    expect(valueOf(families, 'mediaflow_jobs_failed_total', { error_code: 'STORAGE_ERROR' })).toBe(1);
    expect(valueOf(families, 'mediaflow_jobs_failed_total', { error_code: 'FFMPEG_FAILED' })).toBe(0);
    expect(valueOf(families, 'mediaflow_jobs_dead_lettered_total', { error_code: 'STORAGE_ERROR' })).toBe(1);
    // Queue wait is a first attempt's only: 1.5 s here.
    const wait = await metrics.registry.getSingleMetric('mediaflow_job_queue_wait_seconds')?.get();
    const waits = (wait?.values ?? []) as Array<MetricValueWithName<string>>;
    expect(waits.find((entry) => entry.metricName === 'mediaflow_job_queue_wait_seconds_sum')?.value).toBe(1.5);
    expect(await observations(metrics, 'mediaflow_job_queue_wait_seconds', { operation: 'compress' })).toBe(1);
    expect(await observations(metrics, 'mediaflow_job_duration_seconds', { outcome: 'completed' })).toBe(1);
    expect(await observations(metrics, 'mediaflow_job_duration_seconds', { outcome: 'dead_lettered' })).toBe(1);
    expect(await observations(metrics, 'mediaflow_ffmpeg_speed_ratio', { operation: 'compress' })).toBe(1);
  });

  it.each([
    ['retried', 'mediaflow_jobs_retried_total', { error_code: 'QUEUE_ERROR' }],
    ['cancelled', 'mediaflow_jobs_cancelled_total', {}],
    ['failed', 'mediaflow_jobs_failed_total', { error_code: 'QUEUE_ERROR' }],
  ] as const)('counts a %s attempt in %s', async (outcome, counter, labels) => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.attemptStarted({ operation: 'resize', createdAt: 'not a date', attempt: 1 }).end(outcome, 'QUEUE_ERROR');
    expect(valueOf(await scrape(metrics), counter, { operation: 'resize', ...labels })).toBe(1);
    // An unreadable creation time is no queue wait at all rather than a wrong one.
    expect(await observations(metrics, 'mediaflow_job_queue_wait_seconds', { operation: 'resize' })).toBe(0);
  });

  it('counts nothing but the duration for hand-backs, abandoned and interrupted attempts', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    for (const outcome of ['handed_back', 'abandoned', 'interrupted'] as const) {
      metrics.attemptStarted({ operation: 'compress', createdAt: new Date().toISOString(), attempt: 2 }).end(outcome);
    }
    const text = (await metrics.render()).body;
    expect(text).not.toMatch(/mediaflow_jobs_(completed|failed|cancelled|retried|dead_lettered)_total\{/);
    expect(await observations(metrics, 'mediaflow_job_duration_seconds', { outcome: 'handed_back' })).toBe(1);
  });

  it('counts submissions, reuse, cancellations and transcriptions', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.jobSubmitted('transcribe');
    metrics.jobSubmitted('transcribe');
    metrics.jobReused('transcribe');
    metrics.jobCancelled('transcribe');
    metrics.attemptStarted({ operation: 'transcribe', createdAt: '', attempt: 1 }).transcription('base', 0.25);
    const families = await scrape(metrics);
    expect(valueOf(families, 'mediaflow_jobs_submitted_total', { operation: 'transcribe' })).toBe(2);
    expect(valueOf(families, 'mediaflow_jobs_reused_total', { operation: 'transcribe' })).toBe(1);
    expect(valueOf(families, 'mediaflow_jobs_cancelled_total', { operation: 'transcribe' })).toBe(1);
    expect(await observations(metrics, 'mediaflow_transcription_real_time_factor_ratio', { model: 'base' })).toBe(1);
  });

  it('counts and times HTTP requests by route pattern and status', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.httpRequest({ method: 'GET', route: '/status/:job_id', statusCode: 200, seconds: 0.003 });
    metrics.httpRequest({ method: 'GET', route: '/status/:job_id', statusCode: 404, seconds: 0.002 });
    metrics.httpRequest({ method: 'GET', route: '/status/:job_id', statusCode: 200, seconds: 0.2 });
    const families = await scrape(metrics);
    const labels = { method: 'GET', route: '/status/:job_id' };
    expect(valueOf(families, 'mediaflow_http_requests_total', { ...labels, status_code: '200' })).toBe(2);
    expect(valueOf(families, 'mediaflow_http_requests_total', { ...labels, status_code: '404' })).toBe(1);
    expect(await observations(metrics, 'mediaflow_http_request_duration_seconds', { status_code: '200' })).toBe(2);
  });

  it('times database and storage calls by method and outcome', async () => {
    const metrics = new PrometheusMetrics({ defaultMetrics: false });
    metrics.databaseCall('jobs', 'claim', 'ok', 0.004);
    metrics.databaseCall('rate_limits', 'take', 'error', 0.1);
    metrics.storageCall('download', 'ok', 1.2);
    const labels = { store: 'rate_limits', method: 'take', outcome: 'error' };
    expect(await observations(metrics, 'mediaflow_db_call_duration_seconds', labels)).toBe(1);
    expect(await observations(metrics, 'mediaflow_storage_call_duration_seconds', { method: 'download' })).toBe(1);
  });

  describe('consumer lag', () => {
    const lag: PartitionLag[] = [
      { topic: 'jobs', partition: 0, lag: 3 },
      { topic: 'jobs', partition: 1, lag: 0 },
    ];

    it('reads the lag at scrape time, once for concurrent scrapes', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      const read = jest.fn(async () => Promise.resolve(lag));
      metrics.watchConsumerLag({ read });
      expect(read).not.toHaveBeenCalled();
      const [families] = await Promise.all([scrape(metrics), scrape(metrics)]);
      expect(read).toHaveBeenCalledTimes(1);
      const name = 'mediaflow_kafka_consumer_lag_messages';
      expect(valueOf(families, name, { topic: 'jobs', partition: '0' })).toBe(3);
      expect(families.find((family) => family.name === name)?.metrics).toHaveLength(2);
      await scrape(metrics);
      expect(read).toHaveBeenCalledTimes(2);
    });

    it('reports no lag, and counts an error, when the read fails or hangs', async () => {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      let answer: () => Promise<PartitionLag[]> = async () => Promise.resolve(lag);
      metrics.watchConsumerLag({ read: async () => answer() }, 50);
      expect(valueOf(await scrape(metrics), 'mediaflow_kafka_consumer_lag_messages', { partition: '0' })).toBe(3);

      answer = async () => new Promise<never>(() => undefined);
      const started = Date.now();
      let families = await scrape(metrics);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(families.find((family) => family.name === 'mediaflow_kafka_consumer_lag_messages')?.metrics ?? []).toEqual(
        [],
      );
      answer = async () => Promise.reject(new Error('broker down'));
      families = await scrape(metrics);
      expect(valueOf(families, 'mediaflow_kafka_consumer_lag_errors_total')).toBe(2);
    });
  });
});

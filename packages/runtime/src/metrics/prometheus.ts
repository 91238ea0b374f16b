import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type {
  AttemptOutcome,
  AttemptRecorder,
  ConsumerLagSource,
  HttpRequestSample,
  Metrics,
  PartitionLag,
} from './types';

/**
 * The one module that knows prom-client: every metric the processes export
 * is defined here, on a registry of its own (never prom-client's global
 * one, so two instances in one test process do not collide). Names follow
 * the Prometheus conventions: the `mediaflow_` prefix, base units in the
 * name (`_seconds`, `_ratio`), `_total` on counters. Node's default process
 * metrics keep their usual unprefixed names (`process_*`, `nodejs_*`) so
 * stock dashboards work on them.
 */

// Buckets, in base units, fitted to what each measures.
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const JOB_SECONDS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14_400];
const QUEUE_WAIT_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const SPEED_RATIO = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];
const REAL_TIME_FACTOR = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 4];
const DATABASE_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const STORAGE_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** How long a scrape waits for the consumer lag by default. */
export const DEFAULT_LAG_TIMEOUT_MS = 2_000;

export interface PrometheusMetricsOptions {
  /** Node's process metrics (CPU, memory, event loop, GC); default true. Off in unit tests. */
  defaultMetrics?: boolean;
  /**
   * Operations to start at zero (the registry's names), so the first job of
   * each shows up in rate() rather than appearing from nothing.
   */
  operations?: readonly string[];
}

/** The Prometheus implementation of the metrics port; `registry` holds every metric. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();

  private readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly submitted: Counter<'operation'>;
  private readonly reused: Counter<'operation'>;
  private readonly completed: Counter<'operation'>;
  private readonly failed: Counter<'operation' | 'error_code'>;
  private readonly cancelled: Counter<'operation'>;
  private readonly retried: Counter<'operation' | 'error_code'>;
  private readonly deadLettered: Counter<'operation' | 'error_code'>;
  private readonly attemptDuration: Histogram<'operation' | 'outcome'>;
  private readonly queueWait: Histogram<'operation'>;
  private readonly active: Gauge<'operation'>;
  private readonly ffmpegSpeed: Histogram<'operation'>;
  private readonly realTimeFactor: Histogram<'model'>;
  private readonly lagErrors: Counter;
  private readonly databaseDuration: Histogram<'store' | 'method' | 'outcome'>;
  private readonly storageDuration: Histogram<'method' | 'outcome'>;
  private lagSource: { source: ConsumerLagSource; timeoutMs: number } | undefined;
  private eventStreams: (() => number) | undefined;
  /** The read in flight, shared by concurrent scrapes; never rejects (a failure is counted and reads as none). */
  private lagRead: Promise<PartitionLag[]> | undefined;

  constructor(options: PrometheusMetricsOptions = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'mediaflow_http_requests_total',
      help: 'HTTP requests answered, by method, Express route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'mediaflow_http_request_duration_seconds',
      help: 'Time from a request arriving to its response finishing, by method, route pattern and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: HTTP_SECONDS,
      registers,
    });
    this.submitted = new Counter({
      name: 'mediaflow_jobs_submitted_total',
      help: 'New jobs accepted by the API (202), result reuse included; idempotent replays are not counted.',
      labelNames: ['operation'],
      registers,
    });
    this.reused = new Counter({
      name: 'mediaflow_jobs_reused_total',
      help: 'New jobs completed at submission from an earlier identical result; they never reach a worker.',
      labelNames: ['operation'],
      registers,
    });
    this.completed = new Counter({
      name: 'mediaflow_jobs_completed_total',
      help: 'Jobs a worker completed.',
      labelNames: ['operation'],
      registers,
    });
    this.failed = new Counter({
      name: 'mediaflow_jobs_failed_total',
      help: 'Jobs a worker stored as failed, dead-lettered ones included, by error code.',
      labelNames: ['operation', 'error_code'],
      registers,
    });
    this.cancelled = new Counter({
      name: 'mediaflow_jobs_cancelled_total',
      help: 'Jobs that reached cancelled: queued ones by the API, running ones by the worker acknowledging.',
      labelNames: ['operation'],
      registers,
    });
    this.retried = new Counter({
      name: 'mediaflow_jobs_retried_total',
      help: 'Attempts that failed transiently and were handed back for a retry after a backoff, by error code.',
      labelNames: ['operation', 'error_code'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'mediaflow_jobs_dead_lettered_total',
      help: 'Jobs failed for good after their attempts ran out, and announced on the dead-letter topic.',
      labelNames: ['operation', 'error_code'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'mediaflow_job_duration_seconds',
      help: 'Duration of one attempt of a job on a worker, from its claim to its end, by outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: JOB_SECONDS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'mediaflow_job_queue_wait_seconds',
      help: "Time from a job's creation to the claim of its first attempt.",
      labelNames: ['operation'],
      buckets: QUEUE_WAIT_SECONDS,
      registers,
    });
    this.active = new Gauge({
      name: 'mediaflow_jobs_active',
      help: 'Attempts running on this worker now.',
      labelNames: ['operation'],
      registers,
    });
    this.ffmpegSpeed = new Histogram({
      name: 'mediaflow_ffmpeg_speed_ratio',
      help: 'Speed of each finished FFmpeg run: media seconds per wall-clock second (x realtime).',
      labelNames: ['operation'],
      buckets: SPEED_RATIO,
      registers,
    });
    this.realTimeFactor = new Histogram({
      name: 'mediaflow_transcription_real_time_factor_ratio',
      help: 'Real-time factor of each speech recognition: wall-clock seconds per second of audio (lower is faster).',
      labelNames: ['model'],
      buckets: REAL_TIME_FACTOR,
      registers,
    });
    // collect() runs with the metric as `this`; these reach back to the shared lag read.
    const readLag = async (): Promise<PartitionLag[]> => this.readLag();
    const lagInFlight = (): Promise<PartitionLag[]> | undefined => this.lagRead;
    new Gauge({
      name: 'mediaflow_kafka_consumer_lag_messages',
      help: "Messages of each partition of the job topic after the consumer group's committed offset, read at scrape time (the whole group's view: every worker reports the same figures).",
      labelNames: ['topic', 'partition'],
      registers,
      async collect() {
        this.reset();
        for (const entry of await readLag()) {
          this.set({ topic: entry.topic, partition: String(entry.partition) }, entry.lag);
        }
      },
    });
    this.lagErrors = new Counter({
      name: 'mediaflow_kafka_consumer_lag_errors_total',
      help: 'Scrapes that could not read the consumer lag in time (those report no lag samples).',
      registers,
      // Collected after the lag gauge started this scrape's read: a failure shows in the same scrape.
      async collect() {
        await lagInFlight();
      },
    });
    const openStreams = (): number => this.eventStreams?.() ?? 0;
    new Gauge({
      name: 'mediaflow_sse_streams_open',
      help: 'Server-Sent Event streams (GET /events, GET /jobs/{id}/events) this API replica has open.',
      registers,
      collect() {
        this.set(openStreams());
      },
    });
    this.databaseDuration = new Histogram({
      name: 'mediaflow_db_call_duration_seconds',
      help: 'Latency of calls through the database ports, by store (jobs, rate_limits), port method and outcome.',
      labelNames: ['store', 'method', 'outcome'],
      buckets: DATABASE_SECONDS,
      registers,
    });
    this.storageDuration = new Histogram({
      name: 'mediaflow_storage_call_duration_seconds',
      help: 'Latency of calls through the object-store port (transfers included), by port method and outcome.',
      labelNames: ['method', 'outcome'],
      buckets: STORAGE_SECONDS,
      registers,
    });
    for (const operation of options.operations ?? []) {
      for (const counter of [this.submitted, this.completed, this.cancelled]) counter.inc({ operation }, 0);
    }
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  jobSubmitted(operation: string): void {
    this.submitted.inc({ operation });
  }

  jobReused(operation: string): void {
    this.reused.inc({ operation });
  }

  jobCancelled(operation: string): void {
    this.cancelled.inc({ operation });
  }

  attemptStarted(job: { operation: string; createdAt: string; attempt: number }, now = new Date()): AttemptRecorder {
    const { operation } = job;
    const startedMs = performance.now();
    this.active.inc({ operation });
    const createdMs = Date.parse(job.createdAt);
    if (job.attempt === 1 && Number.isFinite(createdMs)) {
      this.queueWait.observe({ operation }, Math.max(0, (now.getTime() - createdMs) / 1000));
    }
    let ended = false;
    return {
      ffmpegRun: (speedRatio) => {
        if (Number.isFinite(speedRatio) && speedRatio > 0) this.ffmpegSpeed.observe({ operation }, speedRatio);
      },
      transcription: (model, realTimeFactor) => {
        if (Number.isFinite(realTimeFactor) && realTimeFactor > 0)
          this.realTimeFactor.observe({ model }, realTimeFactor);
      },
      end: (outcome, errorCode) => {
        if (ended) return;
        ended = true;
        this.active.dec({ operation });
        this.attemptDuration.observe({ operation, outcome }, (performance.now() - startedMs) / 1000);
        this.countOutcome(operation, outcome, errorCode ?? 'UNKNOWN');
      },
    };
  }

  httpRequest(sample: HttpRequestSample): void {
    const labels = { method: sample.method, route: sample.route, status_code: String(sample.statusCode) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, sample.seconds);
  }

  databaseCall(store: string, method: string, outcome: 'ok' | 'error', seconds: number): void {
    this.databaseDuration.observe({ store, method, outcome }, seconds);
  }

  storageCall(method: string, outcome: 'ok' | 'error', seconds: number): void {
    this.storageDuration.observe({ method, outcome }, seconds);
  }

  watchConsumerLag(source: ConsumerLagSource, timeoutMs = DEFAULT_LAG_TIMEOUT_MS): void {
    this.lagSource = { source, timeoutMs };
  }

  watchEventStreams(count: () => number): void {
    this.eventStreams = count;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private countOutcome(operation: string, outcome: AttemptOutcome, errorCode: string): void {
    switch (outcome) {
      case 'completed':
        this.completed.inc({ operation });
        return;
      case 'failed':
        this.failed.inc({ operation, error_code: errorCode });
        return;
      case 'dead_lettered':
        // A dead-lettered job is a failed job too: its status is `failed`.
        this.failed.inc({ operation, error_code: errorCode });
        this.deadLettered.inc({ operation, error_code: errorCode });
        return;
      case 'retried':
        this.retried.inc({ operation, error_code: errorCode });
        return;
      case 'cancelled':
        this.cancelled.inc({ operation });
        return;
      case 'handed_back':
      case 'abandoned':
      case 'interrupted':
        return;
    }
  }

  /** One read of the lag shared by concurrent scrapes; none (and an error counted) on failure or timeout. */
  private async readLag(): Promise<PartitionLag[]> {
    const watched = this.lagSource;
    if (!watched) return [];
    this.lagRead ??= withTimeout(watched.source.read(), watched.timeoutMs)
      .catch(() => {
        this.lagErrors.inc();
        return [];
      })
      .finally(() => {
        this.lagRead = undefined;
      });
    return this.lagRead;
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

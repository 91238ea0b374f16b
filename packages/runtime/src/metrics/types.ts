/**
 * The metrics port: what the processes report, in their own words. Domain
 * and service code depend on these interfaces only; prometheus.ts is the one
 * place that knows prom-client. Every method is cheap and synchronous (an
 * increment or an observation in memory) and never throws.
 *
 * Label values are bounded by construction: operations come from the
 * operation registry, error codes from the AppError table, routes are
 * Express route patterns (never raw paths), methods are port method names.
 */

/** How one attempt of a job ended, from the worker's point of view. */
export type AttemptOutcome =
  /** Stored as completed. */
  | 'completed'
  /** Stored as failed (a permanent error, or a bug). */
  | 'failed'
  /** Stored as failed after its attempts ran out, and announced on the dead-letter topic. */
  | 'dead_lettered'
  /** Handed back with a retry_at: another attempt follows after a backoff. */
  | 'retried'
  /** The client cancelled it; stored as cancelled. */
  | 'cancelled'
  /** This worker is shutting down and handed the job back, unchanged. */
  | 'handed_back'
  /** Another worker holds the job now (lease lost), or the final write found it changed hands. */
  | 'abandoned'
  /** The attempt ended without a recorded outcome (its final write threw). */
  | 'interrupted';

/** What the API reports about submissions. */
export interface JobSubmissionMetrics {
  /** A new job was accepted (202), result reuse included; idempotent replays are not new jobs. */
  jobSubmitted(operation: string): void;
  /** A new job was answered at once from an earlier job's result (it never reaches a worker). */
  jobReused(operation: string): void;
  /** A job reached `cancelled`: the API cancelled a queued job, or a worker acknowledged a cancel. */
  jobCancelled(operation: string): void;
}

/** The figures of one attempt, reported by the steps it runs. */
export interface StepMetrics {
  /** One FFmpeg run finished: media seconds processed per wall-clock second ("x realtime"). */
  ffmpegRun(speedRatio: number): void;
  /** One speech recognition finished: wall-clock seconds per second of audio (lower is faster). */
  transcription(model: string, realTimeFactor: number): void;
}

/** One attempt of a job on a worker, from its claim to its end. */
export interface AttemptRecorder extends StepMetrics {
  /**
   * Ends the attempt: the active gauge goes down, the attempt's duration is
   * observed under its outcome, and the outcome's counter (completed,
   * failed, dead-lettered, retried, cancelled) goes up, labelled with
   * `errorCode` where it has one. Only the first call counts.
   */
  end(outcome: AttemptOutcome, errorCode?: string): void;
}

/** What a worker reports about the jobs it runs. */
export interface JobAttemptMetrics {
  /**
   * A claim succeeded and an attempt begins: the active gauge goes up, and
   * for a first attempt the queue wait (`createdAt` → `now`) is observed.
   * @param job.createdAt ISO 8601, as stored on the job.
   */
  attemptStarted(job: { operation: string; createdAt: string; attempt: number }, now?: Date): AttemptRecorder;
}

/** One finished HTTP request. */
export interface HttpRequestSample {
  method: string;
  /** The Express route pattern (`/status/:job_id`), or a fixed placeholder when none matched. */
  route: string;
  statusCode: number;
  seconds: number;
}

export interface HttpMetrics {
  httpRequest(sample: HttpRequestSample): void;
}

/** Latency of calls through a port (database, object store); see timeCalls(). */
export interface PortCallMetrics {
  /** `store`: which database port (`jobs`, `rate_limits`); `method`: the port method called. */
  databaseCall(store: string, method: string, outcome: 'ok' | 'error', seconds: number): void;
  storageCall(method: string, outcome: 'ok' | 'error', seconds: number): void;
}

/** The lag of one partition of the job topic behind the consumer group's committed offset. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Messages not yet committed by the group: high watermark − committed offset (≥ 0). */
  lag: number;
}

/** Reads the consumer group's lag on demand (a scrape); see the queue package's KafkaConsumerLag. */
export interface ConsumerLagSource {
  /** @throws whatever the broker client throws; a scrape then reports no lag samples. */
  read(): Promise<PartitionLag[]>;
}

/** Everything a process reports, plus the text exposition for GET /metrics. */
export interface Metrics extends JobSubmissionMetrics, JobAttemptMetrics, HttpMetrics, PortCallMetrics {
  /**
   * Reports `source`'s lag at every scrape (lazily: nothing is read between
   * scrapes), giving up after `timeoutMs`, in which case that scrape has no
   * lag samples and mediaflow_kafka_consumer_lag_errors_total goes up.
   */
  watchConsumerLag(source: ConsumerLagSource, timeoutMs?: number): void;
  /** Reports `count()` (the open Server-Sent Event streams of an API replica) at every scrape. */
  watchEventStreams(count: () => number): void;
  /** The exposition: Prometheus text format 0.0.4. */
  render(): Promise<{ contentType: string; body: string }>;
}

const noAttempt: AttemptRecorder = {
  ffmpegRun: () => undefined,
  transcription: () => undefined,
  end: () => undefined,
};

/** Reports nothing: for tests and tools that run the services' code without a scrape endpoint. */
export const noMetrics: Metrics = {
  jobSubmitted: () => undefined,
  jobReused: () => undefined,
  jobCancelled: () => undefined,
  attemptStarted: () => noAttempt,
  httpRequest: () => undefined,
  databaseCall: () => undefined,
  storageCall: () => undefined,
  watchConsumerLag: () => undefined,
  watchEventStreams: () => undefined,
  render: async () => Promise.resolve({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' }),
};

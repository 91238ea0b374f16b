import type { TraceCarrier } from '@mediaflow/domain';

/** What travels on the queue: the id (the job record is the truth), and the submit's trace context. */
export interface JobMessage {
  job_id: string;
  /**
   * The W3C trace context the worker's spans and log lines continue. On
   * Kafka it travels as the message's `traceparent`/`tracestate` headers,
   * not in the value, as tracing tools expect.
   */
  trace?: TraceCarrier;
}

export interface DeliveryContext {
  /** Keeps this consumer's group membership alive during long work. */
  heartbeat(): Promise<void>;
  /** Aborted when the consumer is stopping; the handler should wind down. */
  signal: AbortSignal;
}

/**
 * How a handler disposes of a message. `done` acknowledges it (the offset is
 * committed); `retry` leaves it unacknowledged so it is delivered again,
 * here or to another consumer.
 */
export type DeliveryOutcome = 'done' | 'retry';

export type MessageHandler = (message: JobMessage, context: DeliveryContext) => Promise<DeliveryOutcome>;

/** What a dead-letter topic carries: the job and why it was given up on. */
export interface DeadLetterRecord {
  job_id: string;
  error: { code: string; message: string };
  attempts: number;
  failed_at: string;
}

export abstract class JobPublisher {
  /** Creates the topic if missing. */
  abstract init(): Promise<void>;
  abstract publish(message: JobMessage): Promise<void>;
  /**
   * Publishes several messages as one send (one Kafka produce request per
   * broker), resolving once every one is acknowledged; rejects as a whole
   * when any could not be, in which case some may still have been written
   * (consumers tolerate duplicates: a job is claimed once). Empty: no-op.
   *
   * @throws AppError QUEUE_ERROR (503) when the broker does not acknowledge in time.
   */
  abstract publishMany(messages: readonly JobMessage[]): Promise<void>;
  /**
   * Announces a job that exhausted its attempts, for operators and other
   * systems. The job record (status failed, dead_lettered_at) stays the truth.
   */
  abstract publishDeadLetter(record: DeadLetterRecord): Promise<void>;
  /** Throws when the broker cannot be reached. */
  abstract ping(): Promise<void>;
  abstract close(): Promise<void>;
}

export abstract class JobConsumer {
  /** Starts delivering messages, one at a time, to the handler (ParallelJobConsumers runs several). */
  abstract start(handler: MessageHandler): Promise<void>;
  /**
   * Stops fetching, aborts the handler in flight through its signal, waits for
   * it to return, and leaves the group. Unfinished messages stay uncommitted.
   */
  abstract stop(): Promise<void>;
}

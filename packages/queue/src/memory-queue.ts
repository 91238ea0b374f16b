import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { JobConsumer, JobPublisher } from './job-queue';
import type { DeliveryOutcome, JobMessage, MessageHandler, DeadLetterRecord } from './job-queue';

export interface InProcessJobQueueOptions {
  /** Pause before a message that failed or asked for a retry is queued again; default 1 s. */
  retryDelayMs?: number;
  logger?: Logger;
}

type Waiter = (message: JobMessage | undefined) => void;

/**
 * A FIFO queue inside one process, for the embedded mode. Its publisher and
 * any number of consumers share it; each message goes to one consumer.
 * Nothing survives a restart: the worker re-enqueues unfinished jobs from the
 * database when it starts.
 */
export class InProcessJobQueue {
  readonly publisher: JobPublisher;
  /** The most recent dead-letter announcements, newest last. */
  readonly deadLetters: DeadLetterRecord[] = [];
  private readonly pending: JobMessage[] = [];
  private readonly waiters: Waiter[] = [];
  readonly retryDelayMs: number;
  readonly logger: Logger | undefined;

  constructor(options: InProcessJobQueueOptions = {}) {
    this.retryDelayMs = options.retryDelayMs ?? 1_000;
    this.logger = options.logger;
    this.publisher = new InProcessJobPublisher(this);
  }

  createConsumer(): JobConsumer {
    return new InProcessJobConsumer(this);
  }

  /** Messages waiting for a consumer (not counting any being handled). */
  get size(): number {
    return this.pending.length;
  }

  enqueue(message: JobMessage): void {
    const copy = { job_id: message.job_id };
    const waiter = this.waiters.shift();
    if (waiter) waiter(copy);
    else this.pending.push(copy);
  }

  enqueueLater(message: JobMessage): void {
    // Unref'd: a pending retry alone must not keep a finished process alive.
    setTimeout(() => this.enqueue(message), this.retryDelayMs).unref();
  }

  /** The next message, waiting for one if need be; undefined once `signal` aborts. */
  async take(signal: AbortSignal): Promise<JobMessage | undefined> {
    if (signal.aborted) return undefined;
    const next = this.pending.shift();
    if (next) return next;
    return new Promise((resolve) => {
      const waiter: Waiter = (message) => {
        signal.removeEventListener('abort', onAbort);
        resolve(message);
      };
      const onAbort = (): void => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        resolve(undefined);
      };
      this.waiters.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

class InProcessJobPublisher extends JobPublisher {
  private closed = false;

  constructor(private readonly queue: InProcessJobQueue) {
    super();
  }

  async init(): Promise<void> {}

  async publish(message: JobMessage): Promise<void> {
    if (this.closed) throw new AppError('QUEUE_ERROR', 'the job publisher is closed');
    this.queue.enqueue(message);
    return Promise.resolve();
  }

  async publishMany(messages: readonly JobMessage[]): Promise<void> {
    if (this.closed) throw new AppError('QUEUE_ERROR', 'the job publisher is closed');
    for (const message of messages) this.queue.enqueue(message);
    return Promise.resolve();
  }

  async publishDeadLetter(record: DeadLetterRecord): Promise<void> {
    // The in-process mode has no topic to announce to; the job record
    // already says it is dead-lettered.
    this.queue.deadLetters.push(record);
    if (this.queue.deadLetters.length > 1000) this.queue.deadLetters.shift();
    return Promise.resolve();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

class InProcessJobConsumer extends JobConsumer {
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private current: AbortController | undefined;

  constructor(private readonly queue: InProcessJobQueue) {
    super();
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.running) throw new Error('InProcessJobConsumer.start() was already called');
    this.running = this.consume(handler);
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.current?.abort(new AppError('JOB_ABORTED', 'the consumer is stopping'));
    await this.running;
  }

  private async consume(handler: MessageHandler): Promise<void> {
    for (;;) {
      const message = await this.queue.take(this.stopping.signal);
      if (!message) return;
      const controller = new AbortController();
      this.current = controller;
      const outcome = await this.handle(message, handler, controller.signal);
      this.current = undefined;
      if (outcome === 'retry') this.queue.enqueueLater(message);
    }
  }

  private async handle(message: JobMessage, handler: MessageHandler, signal: AbortSignal): Promise<DeliveryOutcome> {
    try {
      return await handler(message, { signal, heartbeat: async () => Promise.resolve() });
    } catch (error) {
      this.queue.logger?.warn('job handler failed; the message will be delivered again', {
        jobId: message.job_id,
        error: errorMessage(error),
      });
      return 'retry';
    }
  }
}

import type { Consumer, EachMessagePayload } from 'kafkajs';
import { AppError, errorMessage } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';
import { createKafkaClient } from './kafka-client';
import type { KafkaConnectionOptions } from './kafka-client';
import { ensureTopic } from './kafka-admin';
import { decodeJobMessage } from './job-message-codec';
import { JobConsumer } from './job-queue';
import type { DeliveryOutcome, JobMessage, MessageHandler } from './job-queue';
import { sleep } from './timing';

export interface KafkaJobConsumerOptions extends KafkaConnectionOptions {
  topic: string;
  groupId: string;
  /** Used when the consumer has to create the topic; default 12. */
  partitions?: number;
  replicationFactor?: number;
  /** The broker drops a member it has not heard from for this long; default 60 s. */
  sessionTimeoutMs?: number;
  /** How long the group waits for members to rejoin during a rebalance; default 600 s. */
  rebalanceTimeoutMs?: number;
  /** Heartbeats are sent at most this often, however often the handler calls; default 3 s. */
  heartbeatIntervalMs?: number;
  /** Pause before a message that failed or asked for a retry is delivered again; default 1 s. */
  retryDelayMs?: number;
  /** Longest a fetch waits on the broker for new messages; bounds how long stop() waits; default 1 s. */
  maxWaitTimeMs?: number;
  /**
   * Called when kafkajs gives up for good (a crash it will not restart from).
   * The consumer then delivers nothing more, so the process should exit.
   */
  onCrash?: (error: Error) => void;
}

const CONSUMER_RETRY = { retries: 5, initialRetryTime: 300, maxRetryTime: 10_000 };

interface InFlight {
  controller: AbortController;
  finished: Promise<void>;
}

/**
 * One member of a consumer group, handling one message at a time. Offsets are
 * committed only when the handler reports `done`, so a message whose handler
 * crashed, asked for a retry or was stopped is delivered again: to this
 * consumer after a seek, or to whichever member owns the partition next.
 *
 * kafkajs heartbeats only between messages unless the handler calls the
 * heartbeat it is given, so a long job must call `context.heartbeat()` as it
 * makes progress (kafkajs #1083, #447, #1396).
 */
export class KafkaJobConsumer extends JobConsumer {
  private readonly logger: Logger;
  private consumer: Consumer | undefined;
  private starting: Promise<void> | undefined;
  private inFlight: InFlight | undefined;
  private stopping = false;
  /** Cut short by stop(), so a retry pause does not hold up shutdown. */
  private readonly stopSignal = new AbortController();

  constructor(private readonly options: KafkaJobConsumerOptions) {
    super();
    this.logger = options.logger.child({ component: 'kafka-consumer', topic: options.topic, groupId: options.groupId });
  }

  async start(handler: MessageHandler): Promise<void> {
    if (this.starting) throw new Error('KafkaJobConsumer.start() was already called');
    this.starting = this.connectAndRun(handler);
    try {
      await this.starting;
    } catch (error) {
      await this.consumer?.disconnect().catch(() => undefined);
      throw new AppError('QUEUE_ERROR', `could not join consumer group "${this.options.groupId}"`, { cause: error });
    }
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stopSignal.abort();
    await this.starting?.catch(() => undefined);
    const inFlight = this.inFlight;
    if (inFlight) {
      inFlight.controller.abort(new AppError('JOB_ABORTED', 'the consumer is stopping'));
      await inFlight.finished;
    }
    // Leaves the group, so the partitions move to other members at once
    // rather than after the session timeout.
    await this.consumer?.disconnect().catch((error: unknown) => {
      this.logger.warn('error while leaving the consumer group', { error: errorMessage(error) });
    });
  }

  private async connectAndRun(handler: MessageHandler): Promise<void> {
    const { options } = this;
    const kafka = createKafkaClient(options, CONSUMER_RETRY);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const spec = {
        topic: options.topic,
        partitions: options.partitions ?? 12,
        replicationFactor: options.replicationFactor ?? 1,
      };
      // Waits as long as it takes (until stop()): a worker started together
      // with the API and other workers may find the topic still being created.
      await ensureTopic(admin, spec, this.logger, { signal: this.stopSignal.signal });
    } finally {
      await admin.disconnect();
    }

    const consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 60_000,
      rebalanceTimeout: options.rebalanceTimeoutMs ?? 600_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
      // A subscription must never create the topic with the broker's defaults.
      allowAutoTopicCreation: false,
      retry: CONSUMER_RETRY,
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error('kafka consumer crashed', { error: errorMessage(payload.error), restart: payload.restart });
      if (!payload.restart && !this.stopping) options.onCrash?.(payload.error);
    });
    this.consumer = consumer;

    await consumer.connect();
    // A new group starts at the oldest message, so jobs published before any
    // worker ever ran are not skipped.
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 1,
      eachMessage: async (payload) => this.deliver(payload, handler),
    });
  }

  private async deliver(payload: EachMessagePayload, handler: MessageHandler): Promise<void> {
    const { topic, partition, message } = payload;
    const position = { topic, partition, offset: message.offset };
    if (this.stopping) {
      // Stopping between two messages of a batch: leave this one for later.
      this.seekBack(position);
      return;
    }
    const job = decodeJobMessage(message.value, message.headers);
    if (!job) {
      this.logger.error('dropping a message that is not a job message', {
        ...position,
        value: message.value?.toString('utf8').slice(0, 200),
      });
      await this.commit(position);
      return;
    }
    const controller = new AbortController();
    const finished = this.handle(job, payload, handler, controller.signal);
    this.inFlight = { controller, finished };
    try {
      await finished;
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Never rejects: every outcome becomes a commit or a redelivery. */
  private async handle(
    job: JobMessage,
    payload: EachMessagePayload,
    handler: MessageHandler,
    signal: AbortSignal,
  ): Promise<void> {
    const position = { topic: payload.topic, partition: payload.partition, offset: payload.message.offset };
    const context = {
      signal,
      heartbeat: async (): Promise<void> => {
        try {
          await payload.heartbeat();
        } catch (error) {
          // Usually a rebalance in progress. The member rejoins once this
          // message is done; the job itself must not fail over it.
          this.logger.warn('kafka heartbeat failed', { ...position, jobId: job.job_id, error: errorMessage(error) });
        }
      },
    };
    let outcome: DeliveryOutcome;
    try {
      outcome = await handler(job, context);
    } catch (error) {
      this.logger.warn('job handler failed; the message will be delivered again', {
        ...position,
        jobId: job.job_id,
        error: errorMessage(error),
      });
      outcome = 'retry';
    }
    if (outcome === 'done') {
      await this.commit(position);
      return;
    }
    this.seekBack(position);
    if (!this.stopping) await sleep(this.options.retryDelayMs ?? 1_000, this.stopSignal.signal);
  }

  /** Commits past the message. A failure only means it may be delivered again. */
  private async commit(position: { topic: string; partition: number; offset: string }): Promise<void> {
    const next = (BigInt(position.offset) + 1n).toString();
    try {
      await this.consumer?.commitOffsets([{ topic: position.topic, partition: position.partition, offset: next }]);
    } catch (error) {
      this.logger.warn('could not commit offset; the message may be delivered again', {
        ...position,
        error: errorMessage(error),
      });
    }
  }

  /**
   * Makes the next fetch of this partition start at the message again. With
   * autoCommit off, kafkajs only moves its fetch position on a seek and
   * commits nothing (kafkajs #1012); the rest of the batch is dropped.
   */
  private seekBack(position: { topic: string; partition: number; offset: string }): void {
    try {
      this.consumer?.seek(position);
    } catch (error) {
      this.logger.warn('could not rewind to an unfinished message', { ...position, error: errorMessage(error) });
    }
  }
}

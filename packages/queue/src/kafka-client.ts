import { Kafka, logLevel } from 'kafkajs';
import type { RetryOptions } from 'kafkajs';
import type { Logger } from '@mediaflow/domain';
import { kafkaLogCreator } from './kafka-logging';
import { ignoreKafkajsNegativeTimeoutWarning } from './kafka-warnings';

export interface KafkaConnectionOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** TCP connect timeout per broker; default 3 s. */
  connectionTimeoutMs?: number;
  /** Per-request timeout (fetch and join requests get their own, longer ones); default 10 s. */
  requestTimeoutMs?: number;
}

export const DEFAULT_CONNECTION_TIMEOUT_MS = 3_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export function createKafkaClient(options: KafkaConnectionOptions, retry: RetryOptions): Kafka {
  // Harmless noise from kafkajs on Node 24; see kafka-warnings.ts.
  ignoreKafkajsNegativeTimeoutWarning();
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    retry,
    logLevel: logLevel.WARN,
    logCreator: kafkaLogCreator(options.logger),
  });
}

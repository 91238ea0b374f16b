import winston from 'winston';
import { loadConfig } from '@mediaflow/domain';
import type { DeliveryOutcome } from './job-queue';
import { createJobQueue } from './factory';
import { KafkaJobConsumer } from './kafka-consumer';
import { KafkaJobPublisher } from './kafka-publisher';

const logger = winston.createLogger({ silent: true });

describe('createJobQueue', () => {
  it('shares one in-process queue between the publisher and its consumers', async () => {
    const queue = createJobQueue(loadConfig({}), logger);
    const consumer = queue.createConsumer();
    const received = new Promise<string>((resolve) => {
      void consumer.start(async (message) => {
        resolve(message.job_id);
        return Promise.resolve<DeliveryOutcome>('done');
      });
    });
    await queue.publisher.publish({ job_id: 'embedded-job' });
    await expect(received).resolves.toBe('embedded-job');
    await consumer.stop();
    await queue.publisher.close();
  });

  it('builds Kafka adapters, without connecting, when bootstrap servers are set', async () => {
    const queue = createJobQueue(loadConfig({ KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9092' }), logger);
    expect(queue.publisher).toBeInstanceOf(KafkaJobPublisher);
    expect(queue.createConsumer()).toBeInstanceOf(KafkaJobConsumer);
    await queue.publisher.close();
  });
});

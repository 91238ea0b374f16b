// A worker that dies mid-job. Runs as a child process of the Kafka queue
// integration test, on the BUILT queue package (npx tsc -b packages/queue):
// it joins the group, announces the job it was handed on stdout, then hangs
// without heartbeating until the parent kills it with SIGKILL.
const path = require('node:path');
const { KafkaJobConsumer } = require(path.resolve(__dirname, '../../packages/queue/dist'));
const { createLogger } = require(path.resolve(__dirname, '../../packages/domain/dist'));

const consumer = new KafkaJobConsumer({
  brokers: (process.env.KAFKA_BOOTSTRAP_SERVERS || '127.0.0.1:9092').split(','),
  clientId: 'mediaflow-crash-test',
  logger: createLogger({ level: 'error', service: 'crash-consumer' }),
  topic: process.env.TEST_TOPIC,
  groupId: process.env.TEST_GROUP,
  partitions: Number(process.env.TEST_PARTITIONS || '1'),
  sessionTimeoutMs: 6000,
  rebalanceTimeoutMs: 10000,
  heartbeatIntervalMs: 500,
});

consumer
  .start(async (message) => {
    process.stdout.write(`HANDLING ${message.job_id}\n`);
    await new Promise(() => {});
    return 'done';
  })
  .then(() => process.stdout.write('JOINED\n'))
  .catch((error) => {
    process.stderr.write(`crash consumer failed to start: ${error.stack || error}\n`);
    process.exit(2);
  });

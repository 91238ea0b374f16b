/**
 * Database writes per job against the job's running time (issue 12,
 * benchmark 4): a job should cost at most about one database write per
 * second it runs, so progress reporting does not load the database in
 * proportion to the number of busy workers times a high rate.
 *
 * Counted, not estimated: the API and the worker talk to DynamoDB Local
 * through two small HTTP proxies in this process (DYNAMODB_ENDPOINT points at
 * them). Each request's X-Amz-Target names the operation; its JSON body names
 * the items (Key.job_id / Item.job_id, item by item for BatchWriteItem and
 * TransactWriteItems), so every write is attributed to a job id and to the
 * process that sent it. Items that are not jobs (rate-limit buckets,
 * idempotency reservations) and table set-up are counted apart.
 *
 * The system is the real built API and one worker (WORKER_CONCURRENCY=1,
 * PROGRESS_INTERVAL_MS=1000, the product's default) against the real
 * services. Jobs run one at a time: `compress` and `adaptive_stream` of a
 * BENCH_CLIP_SECONDS testsrc+sine clip. Reported per job: writes (API /
 * worker), running seconds (started_at -> completed_at), and writes per
 * running second, all writes included (submit and queue hand-off too).
 *
 *   npm run bench:writes   (needs the real services: bash scripts/services.sh up)
 *
 * Env: BENCH_RUNS (3), BENCH_METHODS (compress,adaptive_stream),
 * BENCH_CLIP_SECONDS (20), BENCH_CLIP_SIZE (1280x720).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startService, waitFor } from '../test/support/processes';
import type { ServiceProcess } from '../test/support/processes';
import { startSystem } from '../test/support/system';
import type { RunningSystem } from '../test/support/system';
import { load, makeClip, median, requireEnv, round, seconds, writeResults } from './system-bench';
import type { ListedJob } from './system-bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const METHODS = (process.env.BENCH_METHODS ?? 'compress,adaptive_stream').split(',');
const CLIP_SECONDS = Number(process.env.BENCH_CLIP_SECONDS ?? 20);
const CLIP_SIZE = process.env.BENCH_CLIP_SIZE ?? '1280x720';

const KNOBS: NodeJS.ProcessEnv = {
  WORKER_CONCURRENCY: '1',
  // The product's default (the test harness uses 200 ms to watch progress quickly).
  PROGRESS_INTERVAL_MS: '1000',
  RESULT_REUSE_SCOPE: 'off',
};

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type AttributeMap = Record<string, { S?: string } | undefined>;

/** The job ids (item keys) a DynamoDB request writes or reads, one entry per item. */
function itemKeys(operation: string, body: Record<string, unknown>): string[] {
  const id = (item: unknown): string => (item as AttributeMap | undefined)?.job_id?.S ?? '(no job_id)';
  switch (operation) {
    case 'PutItem':
      return [id(body.Item)];
    case 'UpdateItem':
    case 'DeleteItem':
    case 'GetItem':
      return [id(body.Key)];
    case 'BatchWriteItem':
      return Object.values(
        (body.RequestItems ?? {}) as Record<string, Record<string, { Item?: unknown; Key?: unknown }>[]>,
      )
        .flat()
        .map((request) => id(request.PutRequest?.Item ?? request.DeleteRequest?.Key));
    case 'TransactWriteItems':
      return ((body.TransactItems ?? []) as Record<string, { Item?: unknown; Key?: unknown }>[]).flatMap((entry) =>
        Object.entries(entry)
          .filter(([kind]) => kind !== 'ConditionCheck')
          .map(([, action]) => id(action.Item ?? action.Key)),
      );
    default:
      return [];
  }
}

/** Per job id: item writes by operation; plus reads and everything not keyed by a job. */
class Counter {
  readonly writes = new Map<string, Record<string, number>>();
  readonly reads = new Map<string, number>();
  readonly other: Record<string, number> = {};

  record(operation: string, body: Record<string, unknown>): void {
    if (WRITES.has(operation)) {
      for (const key of itemKeys(operation, body)) {
        if (!JOB_ID.test(key)) {
          this.other[`${operation} (not a job)`] = (this.other[`${operation} (not a job)`] ?? 0) + 1;
          continue;
        }
        const entry = this.writes.get(key) ?? {};
        entry[operation] = (entry[operation] ?? 0) + 1;
        this.writes.set(key, entry);
      }
    } else if (operation === 'GetItem') {
      for (const key of itemKeys(operation, body)) this.reads.set(key, (this.reads.get(key) ?? 0) + 1);
    } else {
      this.other[operation] = (this.other[operation] ?? 0) + 1;
    }
  }

  writesOf(jobId: string): { total: number; byOperation: Record<string, number> } {
    const byOperation = this.writes.get(jobId) ?? {};
    return { total: Object.values(byOperation).reduce((sum, value) => sum + value, 0), byOperation };
  }
}

/** An HTTP proxy in front of DynamoDB that counts what passes through it. */
async function countingProxy(target: URL, counter: Counter): Promise<{ url: string; close(): Promise<void> }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '(none)';
      try {
        counter.record(
          operation,
          body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {},
        );
      } catch {
        counter.other[`${operation} (unparsed)`] = (counter.other[`${operation} (unparsed)`] ?? 0) + 1;
      }
      const upstream = http.request(
        {
          agent,
          host: target.hostname,
          port: Number(target.port || 80),
          method: request.method,
          path: request.url,
          headers: request.headers,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      upstream.on('error', (error) => {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end(String(error));
      });
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

interface JobResult {
  run: number;
  method: string;
  job_id: string;
  running_s: number;
  submit_to_completed_s: number;
  writes: number;
  api_writes: number;
  worker_writes: number;
  writes_per_running_second: number;
  /** (worker writes - 2) / running s: the progress-write rate a long job tends to, taking claim and completion as 2. */
  progress_writes_per_running_second: number;
  worker_writes_by_operation: Record<string, number>;
  /** GetItem of the job by the worker, and by the API (which includes this script's status polls, 4 a second). */
  worker_reads: number;
  api_reads: number;
  load: number;
}

async function runJob(
  system: RunningSystem,
  source: string,
  method: string,
  run: number,
  counters: { api: Counter; worker: Counter },
): Promise<JobResult> {
  const submitted = await system.client.postJson<{ job_id: string }>('/process', { source, method_name: method });
  if (submitted.status !== 202) throw new Error(`submit failed: ${JSON.stringify(submitted.body)}`);
  const jobId = submitted.body.job_id;
  const job = await waitFor(
    `${method} job ${jobId} to complete`,
    async () => {
      const status = await system.client.request<ListedJob>('GET', `/status/${jobId}`);
      if (status.body.status === 'failed') throw new Error(`bench job failed: ${JSON.stringify(status.body.error)}`);
      return status.body.status === 'completed' ? status.body : undefined;
    },
    { timeoutMs: 1_800_000, intervalMs: 250 },
  );
  // Writes that follow completion (none expected) would still be in flight for a moment.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const api = counters.api.writesOf(jobId);
  const worker = counters.worker.writesOf(jobId);
  const running = seconds(job.started_at ?? job.created_at, job.completed_at);
  const result: JobResult = {
    run,
    method,
    job_id: jobId,
    running_s: round(running, 2),
    submit_to_completed_s: round(seconds(job.created_at, job.completed_at), 2),
    writes: api.total + worker.total,
    api_writes: api.total,
    worker_writes: worker.total,
    writes_per_running_second: round((api.total + worker.total) / running, 3),
    progress_writes_per_running_second: round(Math.max(0, worker.total - 2) / running, 3),
    worker_writes_by_operation: worker.byOperation,
    worker_reads: counters.worker.reads.get(jobId) ?? 0,
    api_reads: counters.api.reads.get(jobId) ?? 0,
    load: load(),
  };
  console.log(
    `run ${run} ${method.padEnd(15)} running=${result.running_s}s writes=${result.writes} ` +
      `(api ${result.api_writes}, worker ${result.worker_writes} ${JSON.stringify(result.worker_writes_by_operation)}) ` +
      `writes/running s=${result.writes_per_running_second} ` +
      `(progress ${result.progress_writes_per_running_second}/s) ` +
      `GetItem worker ${result.worker_reads} api ${result.api_reads} load=${result.load}`,
  );
  return result;
}

async function main(): Promise<void> {
  const dynamo = new URL(requireEnv('DYNAMODB_ENDPOINT'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-writes-'));
  const clip = await makeClip(path.join(dir, 'clip.mp4'), CLIP_SECONDS, CLIP_SIZE);
  const counters = { api: new Counter(), worker: new Counter() };
  const apiProxy = await countingProxy(dynamo, counters.api);
  const workerProxy = await countingProxy(dynamo, counters.worker);
  console.log(
    `job writes: ${RUNS} run(s) x ${METHODS.join(', ')} of a ${CLIP_SECONDS}s ${CLIP_SIZE} clip, DynamoDB Local ` +
      `through counting proxies, 1 worker, ${os.cpus().length} cores; knobs ${JSON.stringify(KNOBS)}`,
  );
  const results: JobResult[] = [];
  let system: RunningSystem | undefined;
  let worker: ServiceProcess | undefined;
  try {
    system = await startSystem({ db: 'dynamodb', workers: 0, env: { ...KNOBS, DYNAMODB_ENDPOINT: apiProxy.url } });
    const running = system;
    worker = startService('worker1', 'services/worker/dist/main.js', {
      ...running.env,
      DYNAMODB_ENDPOINT: workerProxy.url,
      WORKER_ID: `worker1-${process.pid}`,
    });
    const started = worker;
    await waitFor('the worker to start', () => (started.output().includes('worker started') ? true : undefined), {
      timeoutMs: 60_000,
    });
    const source = await running.client.upload('clip.mp4', clip);
    for (let run = 1; run <= RUNS; run += 1) {
      for (const method of METHODS) results.push(await runJob(running, source, method, run, counters));
    }
  } catch (error) {
    if (system) console.error(system.logs().slice(-3000));
    if (worker) console.error(`----- worker\n${worker.output().slice(-3000)}`);
    throw error;
  } finally {
    await worker?.stop();
    await system?.stop();
    await apiProxy.close();
    await workerProxy.close();
    await rm(dir, { recursive: true, force: true });
  }

  console.log('\n=== medians');
  const summary = METHODS.map((method) => {
    const rows = results.filter((entry) => entry.method === method);
    const line = {
      method,
      jobs: rows.length,
      running_s: round(median(rows.map((entry) => entry.running_s)), 2),
      writes: median(rows.map((entry) => entry.writes)),
      worker_writes: median(rows.map((entry) => entry.worker_writes)),
      api_writes: median(rows.map((entry) => entry.api_writes)),
      writes_per_running_second: round(median(rows.map((entry) => entry.writes_per_running_second)), 3),
      max_writes_per_running_second: Math.max(...rows.map((entry) => entry.writes_per_running_second)),
      progress_writes_per_running_second: round(
        median(rows.map((entry) => entry.progress_writes_per_running_second)),
        3,
      ),
      goal: 'about 1 per running second or less',
      load: rows.map((entry) => entry.load),
    };
    console.log(JSON.stringify(line));
    return line;
  });
  console.log(`not per job: api ${JSON.stringify(counters.api.other)} worker ${JSON.stringify(counters.worker.other)}`);
  const file = writeResults('job-writes', {
    runs: RUNS,
    clip_seconds: CLIP_SECONDS,
    clip_size: CLIP_SIZE,
    knobs: KNOBS,
    summary,
    results,
    not_per_job: { api: counters.api.other, worker: counters.worker.other },
  });
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/**
 * Control-plane submit throughput (issue 12, benchmark 1): `POST /process`
 * accepted per second at 1, 32 and 256 concurrent clients, on each database
 * backend, side by side in one run with
 *   - bare Express 5 answering 202 after parsing the same JSON body, and
 *   - the backend's own batched write rate (insertMany / BatchWriteItem of 25
 *     job-sized records, 4 batches in flight),
 * plus the latency of an open-loop 200 submits/s (p50/p99).
 *
 * The API runs as the real built process (services/api/dist/main.js) against
 * the real services with Kafka, one API key (so the per-key rate limit and
 * the active-job quota are on the path, with limits far above the load), no
 * workers, and a source object that exists. Clients keep connections alive.
 *
 *   npm run bench:submit   (needs the real services: bash scripts/services.sh up)
 *
 * Env: BENCH_RUNS (3), BENCH_SECONDS per measurement (8), BENCH_BACKENDS
 * (mongodb,dynamodb), BENCH_CONCURRENCY (1,32,256), BENCH_API_NODE_ARGS (e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the API).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MongoClient } from 'mongodb';
import { hashApiKey } from '../services/api/src/auth/api-keys';

const REPO = path.resolve(__dirname, '..', '..', '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'mongodb,dynamodb').split(',') as ('mongodb' | 'dynamodb')[];
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,32,256').split(',').map(Number);
const OPEN_LOOP_RATE = 200;
const KEY = `bench-key-${randomUUID()}`;
const SOURCE_KEY = `bench/${randomUUID()}/clip.mp4`;
const LOG_DIR = path.join(os.tmpdir(), 'mediaflow-bench-submit');

interface LoadResult {
  accepted: number;
  perSecond: number;
  non2xx: number;
  statuses: Record<string, number>;
  p50: number;
  p99: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: eval "$(bash scripts/services.sh env)" first`);
  return value;
}

/** One POST on a keep-alive agent; resolves to the status and the latency in ms. */
async function post(agent: http.Agent, port: number, body: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/process',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${KEY}`,
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - started }));
      },
    );
    request.on('error', () => resolve({ status: 0, ms: performance.now() - started }));
    request.end(body);
  });
}

function summarise(samples: { status: number; ms: number }[], seconds: number): LoadResult {
  const statuses: Record<string, number> = {};
  for (const sample of samples) statuses[sample.status] = (statuses[sample.status] ?? 0) + 1;
  const accepted = samples.filter((sample) => sample.status >= 200 && sample.status < 300).length;
  const latencies = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  return {
    accepted,
    perSecond: accepted / seconds,
    non2xx: samples.length - accepted,
    statuses,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

/** Closed loop: `clients` concurrent clients, each sending its next request when the last is answered. */
async function closedLoop(port: number, clients: number, seconds: number, body: string): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const samples: { status: number; ms: number }[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) samples.push(await post(agent, port, body));
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  return summarise(samples, elapsed);
}

/** Open loop: a request every 1/rate s whatever the answers, for the latency at a steady rate. */
async function openLoop(port: number, rate: number, seconds: number, body: string): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const pending: Promise<{ status: number; ms: number }>[] = [];
  const started = performance.now();
  for (let index = 0; index < rate * seconds; index += 1) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    pending.push(post(agent, port, body));
  }
  const samples = await Promise.all(pending);
  agent.destroy();
  return summarise(samples, seconds);
}

async function waitReady(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}; see ${LOG_DIR}`);
    const ok = await new Promise<boolean>((resolve) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/readyz' }, (response) => {
        response.resume();
        resolve(response.statusCode === 200 || response.statusCode === 404);
      });
      request.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`${what} did not get ready`);
}

function spawnLogged(name: string, args: string[], childEnv: NodeJS.ProcessEnv): ChildProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = openSync(path.join(LOG_DIR, `${name}.log`), 'w');
  return spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...childEnv },
    stdio: ['ignore', log, log],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

const BARE_EXPRESS = `
const express = require('express');
const app = express();
app.use(express.json({ limit: '1mb' }));
app.post('/process', (req, res) => { res.status(202).json({ job_id: require('node:crypto').randomUUID(), status: 'queued' }); });
app.get('/readyz', (req, res) => res.json({ ok: true }));
app.listen(Number(process.env.PORT), '127.0.0.1');
`;

/** A record the size of a stored job, for the database's own write rate. */
function jobLike(): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    job_id: randomUUID(),
    source: `s3://mediaflow-input/${SOURCE_KEY}`,
    operation: { method_name: 'probe', params: {} },
    status: 'queued',
    owner: 'bench',
    active_owner: 'bench',
    progress: 0,
    attempts: 0,
    created_at: now,
    updated_at: now,
    history: [{ at: now, status: 'queued', note: 'submitted' }],
  };
}

async function mongoBatchedWrites(seconds: number): Promise<number> {
  const client = new MongoClient(env('MONGO_URL'));
  const collection = client.db(`bench_${randomUUID().slice(0, 8)}`).collection('writes');
  let written = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < deadline) {
        await collection.insertMany(Array.from({ length: 25 }, jobLike), { ordered: false });
        written += 25;
      }
    }),
  );
  const rate = written / ((performance.now() - started) / 1000);
  await collection.drop().catch(() => undefined);
  await client.close();
  return rate;
}

async function dynamoBatchedWrites(seconds: number): Promise<number> {
  const client = new DynamoDBClient({
    region: env('AWS_REGION'),
    endpoint: env('DYNAMODB_ENDPOINT'),
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const table = `bench-writes-${randomUUID().slice(0, 8)}`;
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'job_id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'job_id', KeyType: 'HASH' }],
    }),
  );
  let written = 0;
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (performance.now() < deadline) {
        const items = Array.from({ length: 25 }, () => {
          const job = jobLike();
          return {
            PutRequest: {
              Item: {
                job_id: { S: String(job.job_id) },
                body: { S: JSON.stringify(job) },
                status: { S: 'queued' },
                created_at: { S: String(job.created_at) },
              },
            },
          };
        });
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: items } }));
        written += 25 - (out.UnprocessedItems?.[table]?.length ?? 0);
      }
    }),
  );
  const rate = written / ((performance.now() - started) / 1000);
  await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  client.destroy();
  return rate;
}

async function putSource(): Promise<void> {
  const s3 = new S3Client({
    region: env('AWS_REGION'),
    endpoint: env('S3_ENDPOINT'),
    forcePathStyle: true,
    credentials: { accessKeyId: env('AWS_ACCESS_KEY_ID'), secretAccessKey: env('AWS_SECRET_ACCESS_KEY') },
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: process.env.INPUT_BUCKET ?? 'mediaflow-input',
      Key: SOURCE_KEY,
      Body: Buffer.alloc(1024),
      // The owner the upload routes record, so the key may use it as a source.
      Metadata: { owner: 'bench' },
    }),
  );
  s3.destroy();
}

interface Row {
  target: string;
  clients: number | string;
  perSecond: number[];
  p50: number[];
  p99: number[];
  non2xx: number[];
  statuses: Record<string, number>[];
}

async function main(): Promise<void> {
  await putSource();
  const body = JSON.stringify({
    source: `s3://${process.env.INPUT_BUCKET ?? 'mediaflow-input'}/${SOURCE_KEY}`,
    method_name: 'probe',
  });
  const rows = new Map<string, Row>();
  const record = (target: string, clients: number | string, result: LoadResult): void => {
    const id = `${target}@${clients}`;
    const row = rows.get(id) ?? { target, clients, perSecond: [], p50: [], p99: [], non2xx: [], statuses: [] };
    row.perSecond.push(result.perSecond);
    row.p50.push(result.p50);
    row.p99.push(result.p99);
    row.non2xx.push(result.non2xx);
    row.statuses.push(result.statuses);
    rows.set(id, row);
    console.log(
      `${target.padEnd(22)} clients=${String(clients).padEnd(6)} accepted/s=${result.perSecond.toFixed(0).padStart(6)} ` +
        `p50=${result.p50.toFixed(1)}ms p99=${result.p99.toFixed(1)}ms non2xx=${result.non2xx} ` +
        `${JSON.stringify(result.statuses)} load=${os.loadavg()[0].toFixed(2)}`,
    );
  };
  const batched: Record<string, number[]> = { mongodb: [], dynamodb: [] };
  const loads: number[] = [];

  for (let run = 1; run <= RUNS; run += 1) {
    console.log(`--- run ${run}/${RUNS}`);
    const barePort = await freePort();
    const bare = spawnLogged('bare-express', ['-e', BARE_EXPRESS], { PORT: String(barePort) });
    await waitReady(barePort, bare, 'bare Express');
    for (const clients of CONCURRENCY)
      record('bare express', clients, await closedLoop(barePort, clients, SECONDS, body));
    await stop(bare);

    for (const backend of BACKENDS) {
      const runId = randomUUID().slice(0, 8);
      const port = await freePort();
      const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const api = spawnLogged(`api-${backend}-${run}`, [...nodeArgs, 'services/api/dist/main.js'], {
        NODE_ENV: 'production',
        LOG_LEVEL: 'info',
        PORT: String(port),
        HOST: '127.0.0.1',
        DB_BACKEND: backend,
        DB_NAME: `bench_${runId}`,
        DYNAMODB_TABLE: `bench-jobs-${runId}`,
        KAFKA_TOPIC: `bench.jobs.${runId}`,
        KAFKA_PARTITIONS: '6',
        API_KEYS: `bench:${hashApiKey(KEY)}`,
        SUBMIT_RATE_PER_MINUTE: '1000000',
        SUBMIT_BURST: '1000000',
        MAX_ACTIVE_JOBS_PER_KEY: '1000000',
        RESULT_REUSE_SCOPE: 'off',
        // A fresh database per run: this one process creates its collection or table.
        DATABASE_MIGRATE: 'on-start',
      });
      await waitReady(port, api, `the API on ${backend}`);
      // Warm up connections, the topic's metadata and the JIT.
      await closedLoop(port, 8, 2, body);
      for (const clients of CONCURRENCY)
        record(`mediaflow ${backend}`, clients, await closedLoop(port, clients, SECONDS, body));
      record(`mediaflow ${backend}`, `${OPEN_LOOP_RATE}/s`, await openLoop(port, OPEN_LOOP_RATE, SECONDS, body));
      await stop(api);
      const rate = backend === 'mongodb' ? await mongoBatchedWrites(SECONDS) : await dynamoBatchedWrites(SECONDS);
      batched[backend].push(rate);
      console.log(`${backend} batched writes: ${rate.toFixed(0)} records/s load=${os.loadavg()[0].toFixed(2)}`);
    }
    loads.push(os.loadavg()[0]);
  }

  console.log('\n=== medians');
  const summary = [...rows.values()].map((row) => ({
    target: row.target,
    clients: row.clients,
    accepted_per_second: Math.round(median(row.perSecond)),
    p50_ms: Number(median(row.p50).toFixed(1)),
    p99_ms: Number(median(row.p99).toFixed(1)),
    non2xx: row.non2xx,
    statuses: row.statuses,
  }));
  for (const line of summary) console.log(JSON.stringify(line));
  const batchedMedians = Object.fromEntries(
    Object.entries(batched)
      .filter(([, values]) => values.length > 0)
      .map(([backend, values]) => [backend, Math.round(median(values))]),
  );
  console.log('batched writes/s', JSON.stringify(batchedMedians), 'load', loads.map((l) => l.toFixed(2)).join(' '));
  mkdirSync(path.join(REPO, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(REPO, 'bench', 'results', 'submit-throughput.json'),
    `${JSON.stringify({ at: new Date().toISOString(), runs: RUNS, seconds: SECONDS, cores: os.cpus().length, summary, batched_writes_per_second: batchedMedians, load: loads }, null, 2)}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

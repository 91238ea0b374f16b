/**
 * Helpers shared by the benchmarks that drive the whole system (e2e-probe,
 * worker-scaling, job-writes): statistics, synthetic clips, a keep-alive
 * submitter, listing a run's jobs, and writing results. Not a benchmark.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../test/support/processes';
import type { ApiClient } from '../test/support/api-client';

const run = promisify(execFile);

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The 1-minute load average, for printing next to every figure. */
export function load(): number {
  return Number(os.loadavg()[0].toFixed(2));
}

export function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/**
 * A synthetic clip (testsrc + a sine tone, H.264 + AAC in MP4) of the given
 * length and size, made with the ffmpeg on PATH.
 */
export async function makeClip(file: string, seconds: number, size = '320x240'): Promise<string> {
  // prettier-ignore
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-b:a', '128k',
    '-shortest', '-movflags', '+faststart', file,
  ]);
  return file;
}

export interface Submitted {
  jobId: string;
  /** performance.now() when the request was sent and when its 202 arrived. */
  sentAt: number;
  answeredAt: number;
}

/**
 * Submits `count` copies of `payload` to POST /process from `clients`
 * concurrent keep-alive clients. Throws on the first non-202 answer.
 */
export async function submitMany(
  baseUrl: string,
  apiKey: string,
  payload: unknown,
  count: number,
  clients: number,
): Promise<Submitted[]> {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const body = JSON.stringify(payload);
  const results: Submitted[] = [];
  let next = 0;
  const one = async (): Promise<Submitted> => {
    const sentAt = performance.now();
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent,
          host: hostname,
          port: Number(port),
          method: 'POST',
          path: '/process',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            authorization: `Bearer ${apiKey}`,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (response.statusCode !== 202) {
              reject(new Error(`submit answered ${response.statusCode}: ${text}`));
              return;
            }
            const { job_id: jobId } = JSON.parse(text) as { job_id: string };
            resolve({ jobId, sentAt, answeredAt: performance.now() });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  };
  try {
    await Promise.all(
      Array.from({ length: Math.min(clients, count) }, async () => {
        while (next < count) {
          next += 1;
          results.push(await one());
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return results;
}

export interface ListedJob {
  job_id: string;
  status: string;
  method_name: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  error: unknown;
  history: { status: string; at: string; worker_id?: string }[];
}

/** The worker that completed a listed job, from its history. */
export function completedBy(job: ListedJob): string {
  return [...job.history].reverse().find((entry) => entry.status === 'completed')?.worker_id ?? '?';
}

/** How many jobs the listing counts with these filters (admin key: everybody's). */
export async function countJobs(client: ApiClient, query: Record<string, string>): Promise<number> {
  const search = new URLSearchParams({ ...query, limit: '1' });
  const response = await client.request<{ count: number }>('GET', `/process?${search.toString()}`);
  if (response.status !== 200) throw new Error(`listing answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.count;
}

/** Every job the listing returns with these filters, page by page. */
export async function listJobs(client: ApiClient, query: Record<string, string>): Promise<ListedJob[]> {
  const jobs: ListedJob[] = [];
  let cursor: string | null = null;
  do {
    const search: URLSearchParams = new URLSearchParams({ ...query, limit: '100', ...(cursor ? { cursor } : {}) });
    const response: { status: number; body: { jobs: ListedJob[]; next_cursor: string | null } } = await client.request<{
      jobs: ListedJob[];
      next_cursor: string | null;
    }>('GET', `/process?${search.toString()}`);
    if (response.status !== 200)
      throw new Error(`listing answered ${response.status}: ${JSON.stringify(response.body)}`);
    jobs.push(...response.body.jobs);
    cursor = response.body.next_cursor;
  } while (cursor);
  return jobs;
}

/**
 * Polls the listing's count of completed jobs created since `since` until it
 * reaches `expected`, at most `perSecond` times a second; fails when any of
 * them failed or nothing moved for `stallMs`.
 */
export async function waitCompleted(
  client: ApiClient,
  since: string,
  expected: number,
  options: { perSecond?: number; stallMs?: number } = {},
): Promise<void> {
  const interval = 1000 / (options.perSecond ?? 4);
  const stallMs = options.stallMs ?? 120_000;
  let last = -1;
  let lastMoved = Date.now();
  for (let poll = 0; ; poll += 1) {
    const completed = await countJobs(client, { status: 'completed', created_after: since });
    if (completed >= expected) return;
    if (completed !== last) {
      last = completed;
      lastMoved = Date.now();
    } else if (Date.now() - lastMoved > stallMs) {
      throw new Error(`stalled at ${completed}/${expected} completed`);
    }
    if (poll % 8 === 0) {
      const failed = await countJobs(client, { status: 'failed', created_after: since });
      if (failed > 0) {
        const [first] = await listJobs(client, { status: 'failed', created_after: since });
        throw new Error(`${failed} job(s) failed, e.g. ${JSON.stringify(first?.error)}`);
      }
    }
    await sleep(interval);
  }
}

export function seconds(from: string, to: string | null): number {
  return to === null ? Number.NaN : (Date.parse(to) - Date.parse(from)) / 1000;
}

export function writeResults(name: string, data: Record<string, unknown>): string {
  const dir = path.join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ at: new Date().toISOString(), cores: os.cpus().length, ...data }, null, 2)}\n`,
  );
  return file;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: eval "$(bash scripts/services.sh env)" first`);
  return value;
}

const CLOCK_TICKS = 100;

/** CPU seconds a process used (user + system), and those of its children it has waited for. */
export function cpuOf(pid: number): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = (index: number): number => Number(fields[index - 3]) / CLOCK_TICKS;
    return { self: tick(14) + tick(15), children: tick(16) + tick(17) };
  } catch {
    return { self: 0, children: 0 };
  }
}

/** The shared services' processes (database, Kafka, S3), found by their command lines. */
export function servicePids(): Record<string, number[]> {
  const patterns: Record<string, RegExp> = {
    ferretdb: /ferretdb/,
    'dynamodb-local': /DynamoDBLocal|dynamodb-local/i,
    kafka: /kafka\.Kafka|kafka-server|kafka_2/,
    versitygw: /versitygw/,
  };
  const found: Record<string, number[]> = Object.fromEntries(Object.keys(patterns).map((name) => [name, []]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    for (const [name, pattern] of Object.entries(patterns)) if (pattern.test(command)) found[name].push(Number(entry));
  }
  return found;
}

/** The whole machine's busy CPU seconds so far (all cores), from /proc/stat. */
export function machineBusy(): number {
  const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const busy = ticks.reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  return busy / CLOCK_TICKS;
}

/**
 * Snapshots CPU seconds per named group of processes; `since()` gives what
 * each group used from the snapshot on. Children count once reaped (ffprobe,
 * ffmpeg), so a worker's `children` lags by the jobs still running.
 */
export function cpuMeter(groups: Record<string, number[]>): () => Record<string, number> {
  const read = (): Record<string, number> => {
    const totals: Record<string, number> = { machine: machineBusy() };
    for (const [name, pids] of Object.entries(groups)) {
      let self = 0;
      let children = 0;
      for (const pid of pids) {
        const cpu = cpuOf(pid);
        self += cpu.self;
        children += cpu.children;
      }
      totals[name] = self;
      if (children > 0) totals[`${name} children`] = children;
    }
    return totals;
  };
  const before = read();
  return () => {
    const after = read();
    return Object.fromEntries(
      Object.entries(after).map(([name, value]) => [name, round(value - (before[name] ?? 0), 2)]),
    );
  };
}

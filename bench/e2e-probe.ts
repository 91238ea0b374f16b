/**
 * End-to-end control-plane throughput (issue 12, benchmark 2): `probe` jobs
 * (the cheapest real job: download the source, ffprobe it, store the
 * normalised metadata JSON) from submit to `completed`, per second, with 2
 * workers. Goal: >= 300 jobs/s.
 *
 * The API and the workers run as the real built processes
 * (test/support/system.ts) against the real services (Kafka, the database,
 * S3), with a 2 s testsrc+sine clip uploaded once through the API. Each run
 * submits BENCH_JOBS probe jobs of that clip from BENCH_CLIENTS concurrent
 * keep-alive clients and waits until the listing counts them all completed
 * (`GET /process?status=completed&created_after=...&limit=1`, 4 polls/s).
 * From the job records of the run (read page by page at the end) it reports
 *   - completed/s: jobs / (last completed_at - first submit sent),
 *   - submit/s: jobs / (last 202 - first submit sent),
 *   - p50/p99 submit-to-completed latency (completed_at - created_at).
 *
 *   npm run bench:probe   (needs the real services: bash scripts/services.sh up)
 *
 * Env: BENCH_RUNS (3), BENCH_JOBS (600), BENCH_BACKENDS (mongodb,dynamodb),
 * BENCH_CLIENTS (64), BENCH_WORKERS (2), BENCH_WORKER_CONCURRENCY (8 jobs at
 * once per worker: probe jobs wait on S3, the database and ffprobe start-up
 * more than on the CPU), BENCH_PARTITIONS (16; must be >= workers x
 * concurrency, each job slot is one Kafka group member), BENCH_WARMUP (jobs
 * run uncounted first on each backend; workers x concurrency x 2).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startSystem, TEST_KEYS } from '../test/support/system';
import type { DbBackend } from '../test/support/system';
import {
  cpuMeter,
  listJobs,
  load,
  makeClip,
  median,
  percentile,
  round,
  seconds,
  servicePids,
  submitMany,
  waitCompleted,
  writeResults,
} from './system-bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? 600);
const BACKENDS = (process.env.BENCH_BACKENDS ?? 'mongodb,dynamodb').split(',') as DbBackend[];
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 64);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP ?? WORKERS * CONCURRENCY * 2);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? Math.max(16, WORKERS * CONCURRENCY));

/** The knobs the workers (and the API) run with, printed with the results. */
const KNOBS: NodeJS.ProcessEnv = {
  WORKER_CONCURRENCY: String(CONCURRENCY),
  KAFKA_PARTITIONS: String(PARTITIONS),
  // The product default; the test harness's 200 ms only matters for long jobs anyway.
  PROGRESS_INTERVAL_MS: '1000',
  RESULT_REUSE_SCOPE: 'off',
  SUBMIT_RATE_PER_MINUTE: '1000000',
  SUBMIT_BURST: '1000000',
  MAX_ACTIVE_JOBS_PER_KEY: '1000000',
};

interface RunResult {
  backend: DbBackend;
  run: number;
  jobs: number;
  completed_per_second: number;
  submit_per_second: number;
  wall_seconds: number;
  p50_latency_s: number;
  p99_latency_s: number;
  load_before: number;
  load_after: number;
  /** CPU milliseconds per job, by process group ("machine": every process, ours and others'). */
  cpu_ms_per_job: Record<string, number>;
}

async function oneRun(
  system: Awaited<ReturnType<typeof startSystem>>,
  source: string,
  backend: DbBackend,
  run: number,
  jobs: number,
): Promise<RunResult> {
  const loadBefore = load();
  const meter = cpuMeter({
    api: [system.api.child.pid ?? 0],
    workers: system.workers.map((worker) => worker.child.pid ?? 0),
    ...servicePids(),
  });
  // created_at is stamped by the API; a margin for clock granularity, none needed for skew (one machine).
  const since = new Date(Date.now() - 5).toISOString();
  const firstSent = Date.now();
  const t0 = performance.now();
  const submitted = await submitMany(
    system.client.baseUrl,
    TEST_KEYS.admin,
    { source, method_name: 'probe' },
    jobs,
    CLIENTS,
  );
  const lastAnswer = Math.max(...submitted.map((entry) => entry.answeredAt));
  await waitCompleted(system.client, since, jobs);
  const listed = await listJobs(system.client, { status: 'completed', created_after: since });
  const ours = new Set(submitted.map((entry) => entry.jobId));
  const done = listed.filter((job) => ours.has(job.job_id));
  if (done.length !== jobs) throw new Error(`listed ${done.length} of ${jobs} completed jobs`);
  const lastCompleted = Math.max(...done.map((job) => Date.parse(job.completed_at ?? '')));
  const wall = (lastCompleted - firstSent) / 1000;
  const cpu = meter();
  const latencies = done.map((job) => seconds(job.created_at, job.completed_at));
  const result: RunResult = {
    backend,
    run,
    jobs,
    completed_per_second: round(jobs / wall, 1),
    submit_per_second: round(jobs / ((lastAnswer - t0) / 1000), 1),
    wall_seconds: round(wall, 2),
    p50_latency_s: round(percentile(latencies, 50), 3),
    p99_latency_s: round(percentile(latencies, 99), 3),
    load_before: loadBefore,
    load_after: load(),
    cpu_ms_per_job: Object.fromEntries(
      Object.entries(cpu)
        .filter(([, value]) => value > 0)
        .map(([name, value]) => [name, round((value * 1000) / jobs, 1)]),
    ),
  };
  console.log(
    `${backend.padEnd(8)} run ${run}: ${jobs} probe jobs, completed/s=${result.completed_per_second} ` +
      `submit/s=${result.submit_per_second} wall=${result.wall_seconds}s ` +
      `latency p50=${result.p50_latency_s}s p99=${result.p99_latency_s}s ` +
      `load=${result.load_before}->${result.load_after}\n    CPU ms/job ${JSON.stringify(result.cpu_ms_per_job)}`,
  );
  return result;
}

function medianByKey(rows: Record<string, number>[]): Record<string, number> {
  const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return Object.fromEntries(keys.map((key) => [key, round(median(rows.map((row) => row[key] ?? 0)), 1)]));
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-probe-'));
  const clip = await makeClip(path.join(dir, 'clip.mp4'), 2);
  console.log(
    `probe e2e: ${RUNS} run(s) x ${JOBS} jobs, ${CLIENTS} clients, ${WORKERS} workers, ${os.cpus().length} cores; ` +
      `knobs ${JSON.stringify({ WORKER_CONCURRENCY: KNOBS.WORKER_CONCURRENCY, KAFKA_PARTITIONS: KNOBS.KAFKA_PARTITIONS, PROGRESS_INTERVAL_MS: KNOBS.PROGRESS_INTERVAL_MS, RESULT_REUSE_SCOPE: KNOBS.RESULT_REUSE_SCOPE })}`,
  );
  const results: RunResult[] = [];
  try {
    for (const backend of BACKENDS) {
      const system = await startSystem({ db: backend, workers: WORKERS, env: KNOBS });
      try {
        const source = await system.client.upload('clip.mp4', clip);
        // Warm-up: every worker slot joins the group and runs a few jobs (JIT, connections, topic metadata).
        const warm = await oneRun(system, source, backend, 0, WARMUP);
        console.log(`${backend} warm-up done (${warm.completed_per_second}/s, not counted)`);
        for (let run = 1; run <= RUNS; run += 1) results.push(await oneRun(system, source, backend, run, JOBS));
      } catch (error) {
        console.error(system.logs().slice(-5000));
        throw error;
      } finally {
        await system.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }

  console.log('\n=== medians');
  const summary = BACKENDS.map((backend) => {
    const runs = results.filter((entry) => entry.backend === backend);
    const line = {
      backend,
      runs: runs.length,
      jobs: JOBS,
      completed_per_second: round(median(runs.map((entry) => entry.completed_per_second)), 1),
      submit_per_second: round(median(runs.map((entry) => entry.submit_per_second)), 1),
      p50_latency_s: round(median(runs.map((entry) => entry.p50_latency_s)), 3),
      p99_latency_s: round(median(runs.map((entry) => entry.p99_latency_s)), 3),
      goal_completed_per_second: 300,
      cpu_ms_per_job: medianByKey(runs.map((entry) => entry.cpu_ms_per_job)),
      load: runs.map((entry) => entry.load_after),
    };
    console.log(JSON.stringify(line));
    return line;
  });
  const file = writeResults('e2e-probe', {
    runs: RUNS,
    jobs: JOBS,
    clients: CLIENTS,
    workers: WORKERS,
    knobs: KNOBS,
    summary,
    results,
  });
  console.log(`results: ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

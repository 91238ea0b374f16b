/**
 * Throughput of short real jobs against the number of workers (issue 12,
 * benchmark 3): `extract_audio` of a 5 s clip, completed per second with 1
 * worker and with 2, each worker pinned to its own core (taskset -c 0 / -c 1,
 * which its FFmpeg and ffprobe children inherit) and running one job at a
 * time (WORKER_CONCURRENCY=1). Goal: 2 workers >= 1.8x the jobs/s of 1.
 *
 * The API runs as the real built process (test/support/system.ts, with no
 * workers of its own) against the real services; the workers are
 * services/worker/dist/main.js started here under taskset with the same
 * environment the harness gives its workers. The API, Kafka, the database
 * and S3 are not pinned: they share both cores with the workers, as they
 * would on a one-machine deployment.
 *
 * Each run measures both sizes, alternating which goes first. A measurement
 * starts the workers, runs a warm-up of two jobs per worker (not counted),
 * then submits BENCH_JOBS jobs at once and takes
 *   jobs/s = jobs / (last completed_at - first submit sent)
 * from the job records, plus the median running time per job
 * (started_at -> completed_at); then stops the workers.
 *
 *   npm run bench:scaling   (needs the real services: bash scripts/services.sh up)
 *
 * Env: BENCH_RUNS (3), BENCH_JOBS (30), BENCH_DB (mongodb),
 * BENCH_CLIP_SECONDS (5), BENCH_CLIP_SIZE (1280x720).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { REPO_ROOT, waitFor } from '../test/support/processes';
import { startSystem, TEST_KEYS } from '../test/support/system';
import type { DbBackend, RunningSystem } from '../test/support/system';
import {
  completedBy,
  listJobs,
  load,
  makeClip,
  median,
  round,
  seconds,
  submitMany,
  waitCompleted,
  writeResults,
} from './system-bench';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const JOBS = Number(process.env.BENCH_JOBS ?? 30);
const DB = (process.env.BENCH_DB ?? 'mongodb') as DbBackend;
const CLIP_SECONDS = Number(process.env.BENCH_CLIP_SECONDS ?? 5);
const CLIP_SIZE = process.env.BENCH_CLIP_SIZE ?? '1280x720';
const METHOD = 'extract_audio';

const KNOBS: NodeJS.ProcessEnv = {
  WORKER_CONCURRENCY: '1',
  // Several workers on this host: none opens the metrics listener (they would share its port).
  WORKER_METRICS_PORT: '0',
  KAFKA_PARTITIONS: '6',
  PROGRESS_INTERVAL_MS: '1000',
  RESULT_REUSE_SCOPE: 'off',
};

interface PinnedWorker {
  name: string;
  child: ChildProcess;
  output(): string;
}

/** A worker process under `taskset -c core`, with the harness's worker environment. */
function startPinnedWorker(system: RunningSystem, name: string, core: number): PinnedWorker {
  const child = spawn('taskset', ['-c', String(core), process.execPath, 'services/worker/dist/main.js'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...system.env, WORKER_ID: `${name}-${process.pid}-${Date.now()}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { name, child, output: () => output };
}

async function stopWorker(worker: PinnedWorker): Promise<void> {
  const { child } = worker;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // taskset execs node, so this pid is the worker itself.
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

interface Measurement {
  workers: number;
  run: number;
  jobs_per_second: number;
  wall_seconds: number;
  median_running_s: number;
  /** How the jobs were shared, most first: Kafka's partitions decide, not the workers. */
  jobs_per_worker: number[];
  load_before: number;
  load_after: number;
}

async function submitAndWait(
  system: RunningSystem,
  source: string,
  jobs: number,
): Promise<{ wall: number; running: number[]; byWorker: Record<string, number> }> {
  const since = new Date(Date.now() - 5).toISOString();
  const firstSent = Date.now();
  const submitted = await submitMany(system.client.baseUrl, TEST_KEYS.admin, { source, method_name: METHOD }, jobs, 8);
  await waitCompleted(system.client, since, jobs, { perSecond: 4 });
  const ours = new Set(submitted.map((entry) => entry.jobId));
  const done = (await listJobs(system.client, { status: 'completed', created_after: since })).filter((job) =>
    ours.has(job.job_id),
  );
  if (done.length !== jobs) throw new Error(`listed ${done.length} of ${jobs} completed jobs`);
  const lastCompleted = Math.max(...done.map((job) => Date.parse(job.completed_at ?? '')));
  const byWorker: Record<string, number> = {};
  for (const job of done) byWorker[completedBy(job)] = (byWorker[completedBy(job)] ?? 0) + 1;
  return {
    byWorker,
    wall: (lastCompleted - firstSent) / 1000,
    running: done.map((job) => seconds(job.started_at ?? job.created_at, job.completed_at)),
  };
}

async function measure(system: RunningSystem, source: string, workers: number, run: number): Promise<Measurement> {
  const pinned = Array.from({ length: workers }, (_, core) => startPinnedWorker(system, `worker${core + 1}`, core));
  try {
    await Promise.all(
      pinned.map(async (worker) =>
        waitFor(`${worker.name} to start`, () => (worker.output().includes('worker started') ? true : undefined), {
          timeoutMs: 60_000,
        }),
      ),
    );
    // Warm-up, not counted: connections open, the JIT warms, and the group settles, which is
    // only certain once every worker has completed a job (partitions are assigned late).
    for (let round = 1; ; round += 1) {
      const warm = await submitAndWait(system, source, 3 * workers);
      if (Object.keys(warm.byWorker).length === workers) break;
      if (round === 10)
        throw new Error(`after 10 warm-up rounds only ${Object.keys(warm.byWorker).join(', ')} ran jobs`);
    }
    const loadBefore = load();
    const started = performance.now();
    const { wall, running, byWorker } = await submitAndWait(system, source, JOBS);
    const result: Measurement = {
      workers,
      run,
      jobs_per_second: round(JOBS / wall, 3),
      wall_seconds: round(wall, 2),
      median_running_s: round(median(running), 3),
      jobs_per_worker: Object.values(byWorker).sort((a, b) => b - a),
      load_before: loadBefore,
      load_after: load(),
    };
    console.log(
      `run ${run} workers=${workers}: ${JOBS} ${METHOD} jobs in ${result.wall_seconds}s ` +
        `(${round((performance.now() - started) / 1000, 1)}s here), jobs/s=${result.jobs_per_second} ` +
        `median running=${result.median_running_s}s split=${result.jobs_per_worker.join('/')} ` +
        `(best speed-up this split allows: ${round(JOBS / Math.max(...result.jobs_per_worker), 2)}) load=${result.load_before}->${result.load_after}`,
    );
    return result;
  } catch (error) {
    for (const worker of pinned) console.error(`----- ${worker.name}\n${worker.output().slice(-4000)}`);
    throw error;
  } finally {
    await Promise.all(pinned.map(stopWorker));
  }
}

async function main(): Promise<void> {
  if (os.cpus().length < 2) throw new Error('needs at least 2 cores to pin 2 workers');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-scaling-'));
  const clip = await makeClip(path.join(dir, 'clip.mp4'), CLIP_SECONDS, CLIP_SIZE);
  console.log(
    `worker scaling: ${RUNS} run(s) x ${JOBS} ${METHOD} jobs of a ${CLIP_SECONDS}s ${CLIP_SIZE} clip on ${DB}, ` +
      `${os.cpus().length} cores; knobs ${JSON.stringify(KNOBS)}`,
  );
  const results: Measurement[] = [];
  const system = await startSystem({ db: DB, workers: 0, env: KNOBS });
  try {
    const source = await system.client.upload('clip.mp4', clip);
    for (let run = 1; run <= RUNS; run += 1) {
      for (const workers of run % 2 === 1 ? [1, 2] : [2, 1]) results.push(await measure(system, source, workers, run));
    }
  } catch (error) {
    console.error(system.logs().slice(-4000));
    throw error;
  } finally {
    await system.stop();
    await rm(dir, { recursive: true, force: true });
  }

  const rate = (workers: number): number =>
    median(results.filter((entry) => entry.workers === workers).map((entry) => entry.jobs_per_second));
  const one = rate(1);
  const two = rate(2);
  const summary = {
    db: DB,
    jobs: JOBS,
    runs: RUNS,
    one_worker_jobs_per_second: round(one, 3),
    two_workers_jobs_per_second: round(two, 3),
    speed_up: round(two / one, 2),
    goal_speed_up: 1.8,
    median_running_s: {
      one: round(median(results.filter((entry) => entry.workers === 1).map((entry) => entry.median_running_s)), 3),
      two: round(median(results.filter((entry) => entry.workers === 2).map((entry) => entry.median_running_s)), 3),
    },
    load: results.map((entry) => entry.load_after),
  };
  console.log('\n=== medians');
  console.log(JSON.stringify(summary));
  const file = writeResults('worker-scaling', {
    method: METHOD,
    clip_seconds: CLIP_SECONDS,
    clip_size: CLIP_SIZE,
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

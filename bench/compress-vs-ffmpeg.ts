/**
 * One compress job's wall time through the whole system (upload excluded:
 * submit -> completed, via the API, Kafka, a worker, S3 and the database)
 * against bare ffmpeg running the very same arguments on the same file, side
 * by side in one run. Reports medians; these machines are small and noisy.
 *
 *   npm run bench            (needs the real services: bash scripts/services.sh up)
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeMedia, runFfmpeg } from '@mediaflow/media';
import { operationFor } from '@mediaflow/operations';
import { makeClip } from '../test/support/media-fixtures';
import { waitFor } from '../test/support/processes';
import { startSystem } from '../test/support/system';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SECONDS = Number(process.env.BENCH_CLIP_SECONDS ?? 20);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-bench-'));
  const clip = path.join(dir, 'bench.mp4');
  await makeClip(clip, { seconds: SECONDS, width: 1280, height: 720 });
  const compress = operationFor('compress');
  const operation = compress.parse({ method_name: 'compress' });
  const probe = await probeMedia(clip);
  // Planned through the registry as the worker plans it, so the bare run gets the job's exact argv.
  const bareDir = path.join(dir, 'bare');
  await mkdir(bareDir);
  const [encode] = compress.plan(operation, probe, {
    inputPath: clip,
    workDir: bareDir,
    sourceName: 'bench.mp4',
    defaults: { whisperModel: 'base' },
  }).steps;
  if (encode?.kind !== 'ffmpeg') throw new Error('compress is expected to plan one FFmpeg step');

  const system = await startSystem({
    db: (process.env.BENCH_DB as 'mongodb' | 'dynamodb' | undefined) ?? 'mongodb',
    workers: 1,
  });
  const bare: number[] = [];
  const job: number[] = [];
  try {
    const source = await system.client.upload('bench.mp4', clip);
    for (let run = 0; run < RUNS; run += 1) {
      // Alternate the order so neither side always runs on a warmer machine.
      const order = run % 2 === 0 ? ['bare', 'job'] : ['job', 'bare'];
      for (const side of order) {
        if (side === 'bare') {
          const started = performance.now();
          await runFfmpeg({ args: encode.args, durationSec: encode.expectedDurationSec });
          bare.push((performance.now() - started) / 1000);
        } else {
          const started = performance.now();
          const submitted = await system.client.postJson<{ job_id: string }>('/process', {
            source,
            method_name: 'compress',
          });
          if (submitted.status !== 202) throw new Error(`submit failed: ${JSON.stringify(submitted.body)}`);
          await waitFor(
            'the job to complete',
            async () => {
              const status = await system.client.request<{ status: string }>('GET', `/status/${submitted.body.job_id}`);
              if (status.body.status === 'failed') throw new Error('bench job failed');
              return status.body.status === 'completed' ? true : undefined;
            },
            { timeoutMs: 600_000, intervalMs: 25 },
          );
          job.push((performance.now() - started) / 1000);
        }
      }
    }
  } finally {
    await system.stop();
  }

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model },
    ffmpeg: execFileSync('ffmpeg', ['-version']).toString().split('\n')[0],
    clip: { seconds: SECONDS, width: 1280, height: 720 },
    runs: RUNS,
    bare_ffmpeg_seconds: bare,
    job_seconds: job,
    median_bare_seconds: median(bare),
    median_job_seconds: median(job),
    ratio_job_to_bare: median(job) / median(bare),
    overhead_seconds: median(job) - median(bare),
  };
  const resultsDir = path.join(__dirname, '..', '..', 'results');
  await mkdir(resultsDir, { recursive: true });
  await writeFile(path.join(resultsDir, 'compress-vs-ffmpeg.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

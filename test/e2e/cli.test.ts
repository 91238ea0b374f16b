import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '@mediaflow/media';
import { startEmbedded } from '../support/embedded';
import { makeTestClip } from '../support/media-clips';
import { makeClip } from '../support/media-fixtures';
import { REPO_ROOT, freePort, waitFor } from '../support/processes';
import type { ServiceProcess } from '../support/processes';

// The `mediaflow` command as users run it: the built CLI in a child process
// (stdout and stderr are pipes, so progress comes as plain lines), against
// the embedded mode (`npm start`) with an API key required.
jest.setTimeout(300_000);

const CLI = path.join(REPO_ROOT, 'services/cli/bin/mediaflow.js');
const JOB_ID = /job ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) queued/;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunningCli {
  child: ChildProcess;
  stderr(): string;
  finished: Promise<CliRun>;
}

interface JobJson {
  job_id: string;
  status: string;
  error: { code: string } | null;
  outputs: { kind: string; size_bytes?: number }[];
}

describe('mediaflow CLI (services/cli) against the embedded mode', () => {
  let dir: string;
  let server: ServiceProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let shortClip: string;
  let longClip: string;
  let toneOnly: string;
  const apiKey = randomBytes(24).toString('hex');

  const start = (args: string[], extraEnv: NodeJS.ProcessEnv = {}): RunningCli => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, ...env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const finished = new Promise<CliRun>((resolve) => {
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
    return { child, stderr: () => stderr, finished };
  };
  const cli = async (args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    start(args, extraEnv).finished;
  const statusOf = async (jobId: string): Promise<JobJson> => {
    const run = await cli(['status', jobId, '--json']);
    expect(run.code).toBe(0);
    return JSON.parse(run.stdout) as JobJson;
  };
  /** Starts a long encode through `process` and resolves once the worker is on it. */
  const startLongJob = async (extraArgs: string[]): Promise<{ running: RunningCli; jobId: string }> => {
    const running = start(['process', longClip, '--op', 'compress', '--param', 'preset=veryslow', ...extraArgs]);
    const jobId = await waitFor(
      'the CLI to report the job processing',
      () => {
        const id = JOB_ID.exec(running.stderr())?.[1];
        return id && /^processing /m.test(running.stderr()) ? id : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 100 },
    ).catch((error: unknown) => {
      running.child.kill('SIGKILL');
      throw new Error(`${String(error)}\n${running.stderr()}`);
    });
    return { running, jobId };
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-cli-'));
    const port = await freePort();
    const keyHash = createHash('sha256').update(apiKey).digest('hex');
    server = await startEmbedded(path.join(dir, 'data'), port, { API_KEYS: `cli-test:${keyHash}` });
    env = { MEDIAFLOW_URL: `http://127.0.0.1:${port}`, MEDIAFLOW_API_KEY: apiKey, MEDIAFLOW_DEBUG: '' };
    shortClip = path.join(dir, 'short clip.mp4');
    longClip = path.join(dir, 'long.mp4');
    toneOnly = path.join(dir, 'tone.m4a');
    await Promise.all([
      makeClip(shortClip, { seconds: 4 }),
      makeClip(longClip, { seconds: 30, width: 640, height: 360 }),
      makeClip(toneOnly, { seconds: 3, video: false }),
    ]);
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('processes a clip: upload, progress lines, typed params, download (exit 0)', async () => {
    const out = path.join(dir, 'compressed.mp4');
    const run = await cli([
      'process',
      shortClip,
      '--op',
      'compress',
      '--param',
      'crf=30',
      '--format',
      'mp4',
      '-o',
      out,
    ]);
    expect(run.code).toBe(0);
    // stderr is not a terminal: plain progress lines, one per phase and then per moving percent.
    expect(run.stderr).toMatch(/^upload 100% /m);
    expect(run.stderr).toMatch(JOB_ID);
    expect(run.stderr).toMatch(/^(processing|completed) \d+%/m);
    expect(run.stderr).toMatch(/^download 100% /m);
    expect(run.stdout).toContain(`saved ${out}`);
    const probe = await probeMedia(out);
    expect(probe.video?.codec).toBe('h264');
    expect(probe.durationSec).toBeCloseTo(4, 0);

    const jobId = JOB_ID.exec(run.stderr)?.[1] ?? '';
    const job = await statusOf(jobId);
    // "30" went out as the number the schema asks for (a string would have been a 400).
    expect(job).toMatchObject({ status: 'completed', params: { crf: 30 } });
  });

  it('speaks JSON for scripts, and status, jobs ls, logs and download work on the job', async () => {
    const run = await cli(['--json', 'process', shortClip, '--op', 'grayscale', '-o', dir]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { job: JobJson; output: { path: string; bytes: number } };
    expect(result.job.status).toBe('completed');
    // -o is a directory: the file is named as the server suggests.
    expect(path.dirname(result.output.path)).toBe(dir);
    expect((await stat(result.output.path)).size).toBe(result.output.bytes);
    const jobId = result.job.job_id;

    const status = await cli(['status', jobId]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/status\s+completed/);
    expect(status.stdout).toMatch(/operation\s+grayscale/);

    const list = await cli(['jobs', 'ls', '--json', '--status', 'completed', '--op', 'grayscale', '--limit', '5']);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout) as { jobs: JobJson[]; count: number };
    expect(page.jobs.map((job) => job.job_id)).toContain(jobId);
    expect(page.jobs.every((job) => job.status === 'completed')).toBe(true);
    const table = await cli(['jobs', 'ls']);
    expect(table.stdout).toMatch(/^JOB\s+STATUS\s+OPERATION/);

    const logs = await cli(['logs', jobId]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/ffmpeg|frame=|Output #0/i);

    const target = path.join(dir, 'again');
    await mkdir(target);
    const download = await cli(['download', jobId, '-o', target]);
    expect(download.code).toBe(0);
    const again = path.join(target, path.basename(result.output.path));
    expect(await readFile(again)).toEqual(await readFile(result.output.path));
    const log = await cli(['download', jobId, '--output', 'log', '-o', path.join(dir, 'job.log'), '--json']);
    expect(log.code).toBe(0);
    expect((JSON.parse(log.stdout) as { path: string }).path).toBe(path.join(dir, 'job.log'));
  });

  it('joins several files with a multi-step job (--step), and shows the chain in status and jobs ls', async () => {
    // In a folder that does not exist yet: the CLI makes it.
    const out = path.join(dir, 'new-folder', 'joined-gray.mp4');
    const run = await cli([
      '--json',
      'process',
      shortClip,
      shortClip,
      '--step',
      'concat preset=ultrafast crf=30',
      '--step',
      'grayscale:mp4',
      '-o',
      out,
    ]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as {
      upload: { source: string }[];
      job: JobJson & { sources: string[]; completed_steps: number[]; steps: { params: Record<string, unknown> }[] };
    };
    expect(result.upload).toHaveLength(2);
    expect(result.job).toMatchObject({ status: 'completed', completed_steps: [0, 1] });
    expect(result.job.sources).toEqual(result.upload.map((upload) => upload.source));
    // Typed from the operation's schema, as with --param: crf is a number.
    expect(result.job.steps[0]?.params).toMatchObject({ crf: 30, preset: 'ultrafast' });
    // The two 4 s clips, one after the other, in grey.
    const probe = await probeMedia(out);
    expect(probe.durationSec).toBeCloseTo(8, 0);

    const status = await cli(['status', result.job.job_id]);
    expect(status.stdout).toMatch(/steps\s+1\. concat → mp4 \(done\), 2\. grayscale → mp4 \(done\)/);
    expect(status.stdout).toMatch(/sources\s+2: /);
    expect(status.stdout).toMatch(/output\s+step 2: video\*/);
    const table = await cli(['jobs', 'ls', '--status', 'completed', '--limit', '100']);
    expect(table.stdout).toContain('concat → grayscale');
  });

  it('uploads a large file in parallel parts through the multipart route', async () => {
    // Noise, losslessly encoded: big enough for three parts of the API's 8 MiB.
    const noisy = await makeTestClip(dir, 'noisy.mp4', {
      seconds: 2,
      width: 640,
      height: 360,
      extraArgs: ['-vf', 'noise=alls=60:allf=t', '-qp', '0'],
    });
    const bytes = await readFile(noisy);
    expect(bytes.length).toBeGreaterThan(17 * 1024 * 1024);
    const out = path.join(dir, 'noisy-probe.json');
    const run = await cli(['--json', 'process', noisy, '--op', 'probe', '--multipart-threshold', '0', '-o', out]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { upload: { sha256: string; size_bytes: number }; job: JobJson };
    // The API hashed what it assembled from the parts: the same bytes as the file.
    expect(result.upload).toMatchObject({
      size_bytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(run.stderr).toMatch(/^upload 100% /m);
    const probe = JSON.parse(await readFile(out, 'utf8')) as { duration_sec?: number };
    expect(probe.duration_sec).toBeCloseTo(2, 0);
  });

  it('exits 1 with the job error code when the job fails', async () => {
    const run = await cli(['process', toneOnly, '--op', 'grayscale']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('NO_VIDEO_STREAM');
    const jobId = JOB_ID.exec(run.stderr)?.[1] ?? '';
    // The log of a failed job explains it.
    const logs = await cli(['logs', jobId]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('NO_VIDEO_STREAM');
  });

  it('exits 3 with the API code when the API refuses', async () => {
    const unknown = await cli(['process', shortClip, '--op', 'explode']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('UNKNOWN_OPERATION');

    const badParam = await cli(['--json', 'process', shortClip, '--op', 'compress', '--param', 'crf=high']);
    expect(badParam.code).toBe(3);
    expect(JSON.parse(badParam.stdout)).toMatchObject({
      error: { code: 'VALIDATION_FAILED', status: 400 },
      exit_code: 3,
    });

    const badKey = await cli(['jobs', 'ls'], { MEDIAFLOW_API_KEY: 'not-the-key' });
    expect(badKey.code).toBe(3);
    expect(badKey.stderr).toContain('UNAUTHORIZED');

    const missing = await cli(['status', '00000000-0000-4000-8000-000000000000']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('JOB_NOT_FOUND');
  });

  it('exits 2 for usage errors and 4 when the API cannot be reached', async () => {
    const usage = await cli(['process', path.join(dir, 'no-such-file.mp4'), '--op', 'compress']);
    expect(usage.code).toBe(2);
    expect((await cli(['process', shortClip])).code).toBe(2);
    const clash = await cli(['process', shortClip, '--op', 'compress', '--step', 'grayscale']);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain('--op and --step cannot be used together');
    expect((await cli(['frobnicate'])).code).toBe(2);

    const closedPort = await freePort();
    const unreachable = await cli(['status', 'x', '--json', '--url', `http://127.0.0.1:${closedPort}`]);
    expect(unreachable.code).toBe(4);
    expect(JSON.parse(unreachable.stdout)).toMatchObject({ error: { code: 'ECONNREFUSED' }, exit_code: 4 });
  });

  it('cancel stops a running job, and the process command following it exits 5', async () => {
    const { running, jobId } = await startLongJob([]);
    const cancel = await cli(['cancel', jobId]);
    expect(cancel.code).toBe(0);
    const finished = await running.finished;
    expect(finished.code).toBe(5);
    expect(finished.stderr).toContain('cancelled');
    expect((await statusOf(jobId)).status).toBe('cancelled');

    // A cancelled job can run again.
    const retry = await cli(['retry', jobId, '--json']);
    expect(retry.code).toBe(0);
    expect(JSON.parse(retry.stdout)).toMatchObject({ job_id: jobId, status: 'queued' });
    expect((await cli(['cancel', jobId])).code).toBe(0);
    await waitFor('the retried job to be cancelled', async () =>
      (await statusOf(jobId)).status === 'cancelled' ? true : undefined,
    );
  });

  it('Ctrl-C cancels the job with --cancel-on-interrupt, and leaves it running without', async () => {
    const cancelled = await startLongJob(['--cancel-on-interrupt']);
    cancelled.running.child.kill('SIGINT');
    const interrupted = await cancelled.running.finished;
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toContain(`job ${cancelled.jobId} cancelled`);
    await waitFor('the interrupted job to be cancelled', async () =>
      (await statusOf(cancelled.jobId)).status === 'cancelled' ? true : undefined,
    );

    const left = await startLongJob([]);
    left.running.child.kill('SIGINT');
    const leftRun = await left.running.finished;
    expect(leftRun.code).toBe(130);
    expect(leftRun.stderr).toContain(`job ${left.jobId} keeps running`);
    expect((await statusOf(left.jobId)).status).toBe('processing');
    expect((await cli(['cancel', left.jobId])).code).toBe(0);
    await waitFor('the job left running to be cancelled', async () =>
      (await statusOf(left.jobId)).status === 'cancelled' ? true : undefined,
    );
  });
});

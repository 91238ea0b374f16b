import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { makeClip } from '../support/media-fixtures';
import { REPO_ROOT, waitFor } from '../support/processes';
import { startSystem, TEST_KEYS } from '../support/system';
import type { RunningSystem } from '../support/system';

// Installing schemathesis on a fresh machine takes a minute; the run itself well under two.
jest.setTimeout(480_000);

interface FuzzRun {
  code: number | null;
  output: string;
  requests: number;
  serverErrors: number;
}

/** Runs scripts/fuzz-api.sh against a running API and reads its summary line. */
async function fuzz(baseUrl: string, env: NodeJS.ProcessEnv): Promise<FuzzRun> {
  const child = spawn('bash', [path.join(REPO_ROOT, 'scripts/fuzz-api.sh'), baseUrl], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const summary = /^fuzz-api: requests=(\d+) server_errors=(\d+)/m.exec(output);
  if (!summary) throw new Error(`fuzz-api.sh printed no summary (exit ${code}):\n${output.slice(-20_000)}`);
  return { code, output, requests: Number(summary[1]), serverErrors: Number(summary[2]) };
}

describe('HTTP API fuzzed from its OpenAPI document (schemathesis)', () => {
  let system: RunningSystem;
  let dir: string;
  let source: string;
  let jobId: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-fuzz-'));
    const clip = path.join(dir, 'clip.mp4');
    await makeClip(clip, { seconds: 2, width: 160, height: 120 });
    system = await startSystem({ db: 'mongodb', workers: 1 });
    // A real source and a completed job, so generated requests also reach
    // the code behind the 404s: status views, downloads, byte ranges.
    source = await system.client.upload('clip.mp4', clip);
    const submitted = await system.client.postJson<{ job_id: string }>('/process', { source, method_name: 'compress' });
    expect(submitted.status).toBe(202);
    jobId = submitted.body.job_id;
    await waitFor(
      `job ${jobId} to complete`,
      async () => {
        const { body } = await system.client.request<{ status: string }>('GET', `/status/${jobId}`);
        if (body.status === 'failed' || body.status === 'cancelled') throw new Error(`job ${jobId} ${body.status}`);
        return body.status === 'completed' ? true : undefined;
      },
      { timeoutMs: 120_000 },
    );
  });

  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers at least 1,000 generated requests without a single 5xx', async () => {
    const run = await fuzz(system.client.baseUrl, {
      FUZZ_API_KEY: TEST_KEYS.admin,
      FUZZ_JOB_IDS: jobId,
      FUZZ_SOURCES: source,
      FUZZ_MIN_REQUESTS: '1000',
      FUZZ_MAX_SECONDS: '180',
    });
    console.log(
      run.output
        .split('\n')
        .filter((line) => line.startsWith('fuzz-api:'))
        .join('\n'),
    );
    const context = `${run.output.slice(-20_000)}\n----- services\n${system.logs().slice(-10_000)}`;
    expect({ serverErrors: run.serverErrors, context }).toEqual({ serverErrors: 0, context });
    expect(run.requests).toBeGreaterThanOrEqual(1000);
    expect({ code: run.code, context }).toEqual({ code: 0, context });
  });
});

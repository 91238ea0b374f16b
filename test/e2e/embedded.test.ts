import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { probeMedia } from '@mediaflow/media';
import { ApiClient } from '../support/api-client';
import { makeClip } from '../support/media-fixtures';
import { startEmbedded } from '../support/embedded';
import { freePort, waitFor } from '../support/processes';
import type { ServiceProcess } from '../support/processes';

jest.setTimeout(240_000);

interface StatusBody {
  status: string;
  progress: number;
  attempts: number;
  history: { status: string; note?: string }[];
}

describe('embedded mode (npm start): one process, no servers', () => {
  let dataDir: string;
  let port: number;
  let client: ApiClient;
  let running: ServiceProcess | undefined;

  const start = async (): Promise<ServiceProcess> => startEmbedded(dataDir, port);

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-embedded-'));
    port = await freePort();
    client = new ApiClient(`http://127.0.0.1:${port}`);
  });

  afterAll(async () => {
    await running?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('runs jobs end to end and picks up interrupted and queued jobs after a crash', async () => {
    running = await start();
    expect(running.output()).toMatch(/"db":"embedded".*"queue":"memory".*"storage":"local"/);
    // No keys configured: it runs open, and says so loudly.
    expect(running.output()).toContain('AUTHENTICATION IS OFF');

    const clip = path.join(dataDir, 'long.mp4');
    await makeClip(clip, { seconds: 30, width: 640, height: 360 });
    const source = await client.upload('long.mp4', clip);
    const submit = async (body: Record<string, unknown>): Promise<string> => {
      const response = await client.postJson<{ job_id: string }>('/process', body);
      expect(response.status).toBe(202);
      return response.body.job_id;
    };
    const interrupted = await submit({ source, method_name: 'compress', params: { preset: 'slow' } });
    const queued = await submit({ source, method_name: 'extract_audio' });

    await waitFor(
      'the first job to make progress',
      async () => {
        const status = await client.request<StatusBody>('GET', `/status/${interrupted}`);
        return status.body.status === 'processing' && status.body.progress > 0 ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    await running.kill(); // a crash, not a clean shutdown

    running = await start();
    const finished = await Promise.all(
      [interrupted, queued].map(async (jobId) =>
        waitFor(
          `job ${jobId} to complete after restart`,
          async () => {
            const status = await client.request<StatusBody>('GET', `/status/${jobId}`);
            return status.body.status === 'completed' ? status.body : undefined;
          },
          { timeoutMs: 180_000, intervalMs: 250 },
        ),
      ),
    );
    expect(finished[0].attempts).toBe(2);
    expect(finished[0].history.map((entry) => entry.status)).toEqual([
      'queued',
      'processing',
      'queued',
      'processing',
      'completed',
    ]);
    expect(finished[1].attempts).toBe(1);

    const download = await client.download(`/download/${interrupted}`);
    expect(download.status).toBe(200);
    const file = path.join(dataDir, 'out.mp4');
    await writeFile(file, download.data);
    const probe = await probeMedia(file);
    expect(probe.video?.codec).toBe('h264');
    expect(probe.durationSec).toBeCloseTo(30, 0);
  });
});

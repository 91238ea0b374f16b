import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JsonObject } from '../support/api-client';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { getStatus, submitJob, waitForJob } from '../support/jobs';
import { makeClip } from '../support/media-fixtures';
import { waitFor } from '../support/processes';
import { listKeys } from '../support/s3-inspect';
import { startSystem, TEST_KEYS } from '../support/system';
import type { DbBackend, RunningSystem } from '../support/system';

jest.setTimeout(300_000);

/**
 * Deletion, retention, result reuse and list filters, end to end on both
 * databases: real API and worker processes, real S3 (listed directly to
 * prove objects are gone).
 */
describe.each<DbBackend>(['mongodb', 'dynamodb'])('data lifecycle on %s', (db) => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `mediaflow-lifecycle-${db}-`));
    clip = path.join(dir, 'clip.mp4');
    await makeClip(clip, { seconds: 2, width: 160, height: 120 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('deletion, reuse and filters', () => {
    let system: RunningSystem;
    dumpLogsOnFailure(() => system);

    beforeAll(async () => {
      system = await startSystem({ db, workers: 1, env: { REAPER_INTERVAL_SECONDS: '1', RESULT_REUSE_SCOPE: 'key' } });
    });
    afterAll(async () => system?.stop());

    const bucket = (): string => system.env.OUTPUT_BUCKET ?? 'mediaflow-output';
    const folder = (jobId: string): string => `${system.env.OUTPUT_PREFIX ?? ''}${jobId}/`;
    /** Encodes the worker ran: one "job started" line per attempt. */
    const encodes = (): number =>
      system
        .everyWorker()
        .map(
          (worker) =>
            worker
              .output()
              .split('\n')
              .filter((line) => line.includes('job started')).length,
        )
        .reduce((sum, count) => sum + count, 0);

    async function run(client: RunningSystem['client'], body: JsonObject): Promise<JsonObject> {
      const jobId = await submitJob(client, body);
      const { final } = await waitForJob(client, jobId);
      expect({ jobId, status: final.status, error: final.error }).toEqual({ jobId, status: 'completed', error: null });
      return final;
    }

    it('reuses a result for the same file and recipe, and only then; deletes every object once nothing points at them', async () => {
      const alice = system.client.as(TEST_KEYS.alice);
      const bob = system.client.as(TEST_KEYS.bob);
      const source = await alice.upload('clip.mp4', clip);
      const body = { source, method_name: 'compress', params: { crf: 35 } };

      const first = await run(alice, body);
      expect(encodes()).toBe(1);
      expect(await listKeys(bucket(), folder(String(first.job_id)))).not.toEqual([]);

      // Same file, same recipe, same key: completed at once, pointing at the same outputs.
      const reused = await alice.request<JsonObject>('POST', '/process', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...body, params: { crf: 35, preset: 'veryfast' } }),
      });
      expect(reused.status).toBe(202);
      expect(reused.body.status).toBe('completed');
      const reusedId = String(reused.body.job_id);
      const reusedView = await getStatus(alice, reusedId);
      expect(reusedView).toMatchObject({ status: 'completed', progress: 100, reused_from: first.job_id });
      // Both jobs show the hash of the bytes they were made from.
      expect(first.source_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(reusedView.source_sha256).toBe(first.source_sha256);
      expect(reusedView.outputs).toEqual(
        (first.outputs as JsonObject[]).map((output) => ({
          ...output,
          url: String(output.url).replace(String(first.job_id), reusedId),
        })),
      );
      const download = await alice.download(`/download/${reusedId}`);
      expect(download.status).toBe(200);
      const original = await alice.download(`/download/${String(first.job_id)}`);
      expect(download.data.equals(original.data)).toBe(true);
      expect(encodes()).toBe(1);

      // A changed param, `reuse: false`, or another key's identical upload each encode again.
      const changed = await run(alice, { source, method_name: 'compress', params: { crf: 34 } });
      expect(changed.reused_from).toBeUndefined();
      const optedOut = await run(alice, { ...body, params: { crf: 35, reuse: false } });
      expect(optedOut.reused_from).toBeUndefined();
      const bobsSource = await bob.upload('clip.mp4', clip);
      const bobs = await run(bob, { source: bobsSource, method_name: 'compress', params: { crf: 35 } });
      expect(bobs.reused_from).toBeUndefined();
      expect(encodes()).toBe(4);
      const badFlag = await alice.postJson('/process', { ...body, params: { reuse: 'no' } });
      expect(badFlag.status).toBe(400);

      // Deletion: another key's DELETE is a 404 and changes nothing.
      await expect(bob.request('DELETE', `/jobs/${reusedId}`)).resolves.toMatchObject({ status: 404 });
      await expect(bob.request('DELETE', `/jobs/${String(first.job_id)}`)).resolves.toMatchObject({ status: 404 });

      // The original goes, but the reusing job still points at its objects: they stay.
      await expect(alice.request('DELETE', `/jobs/${String(first.job_id)}`)).resolves.toMatchObject({ status: 204 });
      await expect(alice.request('GET', `/status/${String(first.job_id)}`)).resolves.toMatchObject({ status: 404 });
      expect(await listKeys(bucket(), folder(String(first.job_id)))).not.toEqual([]);
      await expect(alice.download(`/download/${reusedId}`)).resolves.toMatchObject({ status: 200 });

      // The last job pointing at them goes: every object is gone; deleting again is fine.
      await expect(alice.request('DELETE', `/jobs/${reusedId}`)).resolves.toMatchObject({ status: 204 });
      expect(await listKeys(bucket(), folder(String(first.job_id)))).toEqual([]);
      await expect(alice.request('GET', `/status/${reusedId}`)).resolves.toMatchObject({ status: 404 });
      await expect(alice.request('GET', `/download/${reusedId}`)).resolves.toMatchObject({ status: 404 });
      await expect(alice.request('DELETE', `/jobs/${reusedId}`)).resolves.toMatchObject({ status: 204 });
      await expect(alice.request('DELETE', `/jobs/${String(first.job_id)}`)).resolves.toMatchObject({ status: 204 });

      // A job of its own: its folder goes with it at once.
      expect(await listKeys(bucket(), folder(String(changed.job_id)))).not.toEqual([]);
      await expect(alice.request('DELETE', `/jobs/${String(changed.job_id)}`)).resolves.toMatchObject({ status: 204 });
      expect(await listKeys(bucket(), folder(String(changed.job_id)))).toEqual([]);
      const listed = await alice.request<{ jobs: JsonObject[]; count: number }>('GET', '/process?limit=100');
      expect(listed.body.jobs.map((job) => job.job_id)).not.toContain(changed.job_id);
    });

    it('deletes a running job: cancelled, and its worker removes whatever it wrote', async () => {
      const long = path.join(dir, 'long.mp4');
      await makeClip(long, { seconds: 30, width: 640, height: 360 });
      const source = await system.client.upload('long.mp4', long);
      const jobId = await submitJob(system.client, {
        source,
        method_name: 'compress',
        params: { preset: 'medium', crf: 23 },
      });
      await waitForJob(system.client, jobId, (status) => status.status === 'processing' && status.progress > 0);
      await expect(system.client.request('DELETE', `/jobs/${jobId}`)).resolves.toMatchObject({ status: 204 });
      await expect(system.client.request('GET', `/status/${jobId}`)).resolves.toMatchObject({ status: 404 });
      await waitFor(
        'the worker to acknowledge the cancel',
        () => (system.workers[0]?.output().includes('job cancelled') ? true : undefined),
        { timeoutMs: 60_000 },
      );
      expect(await listKeys(bucket(), folder(jobId))).toEqual([]);
    });

    it('filters the listing by status, operation and creation time, with counts and cursors, and refuses unknown parameters', async () => {
      const alice = system.client.as(TEST_KEYS.alice);
      const source = await alice.upload('clip.mp4', clip);
      const before = new Date().toISOString();
      const done = [
        await run(alice, { source, method_name: 'grayscale' }),
        await run(alice, { source, method_name: 'grayscale', params: { reuse: false } }),
      ];
      const cancelled = await submitJob(alice, { source, method_name: 'extract_audio' });
      await alice.request('POST', `/jobs/${cancelled}/cancel`);
      const after = new Date().toISOString();

      type Page = { jobs: JsonObject[]; count: number; next_cursor: string | null };
      const list = async (query: string): Promise<Page> => {
        const response = await alice.request<Page>('GET', `/process?${query}`);
        expect({ query, status: response.status }).toEqual({ query, status: 200 });
        return response.body;
      };
      const grayscale = await list(`method_name=grayscale&created_after=${before}`);
      expect(grayscale.count).toBe(2);
      expect(grayscale.jobs.map((job) => job.job_id)).toEqual([done[1].job_id, done[0].job_id]);
      const completedGray = await list(`status=completed&method_name=grayscale&created_after=${before}`);
      expect(completedGray.count).toBe(2);
      const failed = await list(`status=failed&created_after=${before}`);
      expect(failed).toMatchObject({ count: 0, jobs: [] });
      const recent = await list(`created_after=${before}&created_before=${after}`);
      expect(recent.count).toBe(3);
      const statuses = new Set(recent.jobs.map((job) => job.status));
      expect(statuses.has('failed')).toBe(false);

      // Paging a filtered listing with cursors: every match once, `count` the same on each page.
      const seen: unknown[] = [];
      let cursor: string | null = null;
      do {
        const page: Page = await list(
          `limit=1&status=completed&created_after=${before}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(page.count).toBe(2);
        seen.push(...page.jobs.map((job) => job.job_id));
        cursor = page.next_cursor;
      } while (cursor);
      expect(seen).toEqual([done[1].job_id, done[0].job_id]);

      const unknown = await alice.request<{ error: { code: string; message: string } }>(
        'GET',
        '/process?stauts=failed&limit=5',
      );
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.code).toBe('VALIDATION_FAILED');
      expect(unknown.body.error.message).toContain('stauts');
      await expect(alice.request('GET', '/process?status=finished')).resolves.toMatchObject({ status: 400 });
      await expect(alice.request('GET', '/process?created_after=yesterday')).resolves.toMatchObject({ status: 400 });
    });
  });

  describe('retention', () => {
    let system: RunningSystem;
    dumpLogsOnFailure(() => system);

    beforeAll(async () => {
      // 0.0001 days = 8.64 s.
      system = await startSystem({
        db,
        workers: 1,
        env: { REAPER_INTERVAL_SECONDS: '1', OUTPUT_RETENTION_DAYS: '0.0001', RESULT_REUSE_SCOPE: 'key' },
      });
    });
    afterAll(async () => system?.stop());

    it('expires a finished job: its objects are gone and downloads answer 410 JOB_EXPIRED', async () => {
      const source = await system.client.upload('clip.mp4', clip);
      const jobId = await submitJob(system.client, { source, method_name: 'grayscale' });
      const { final } = await waitForJob(system.client, jobId);
      expect(final.status).toBe('completed');
      const bucket = system.env.OUTPUT_BUCKET ?? 'mediaflow-output';
      const prefix = `${system.env.OUTPUT_PREFIX ?? ''}${jobId}/`;
      expect(await listKeys(bucket, prefix)).not.toEqual([]);

      const { final: expired } = await waitForJob(
        system.client,
        jobId,
        (status) => typeof status.expired_at === 'string',
        60_000,
      );
      expect(expired.status).toBe('completed');
      expect(await listKeys(bucket, prefix)).toEqual([]);
      const download = await system.client.request<{ error: { code: string } }>('GET', `/download/${jobId}`);
      expect(download.status).toBe(410);
      expect(download.body.error.code).toBe('JOB_EXPIRED');
      const outputs = final.outputs as JsonObject[];
      const file = await system.client.request<{ error: { code: string } }>('GET', String(outputs[0]?.url));
      expect(file.status).toBe(410);
      // An expired result is never reused: the same request encodes again.
      const again = await submitJob(system.client, { source, method_name: 'grayscale' });
      const { final: rerun } = await waitForJob(system.client, again);
      expect(rerun.reused_from).toBeUndefined();
    });
  });
});

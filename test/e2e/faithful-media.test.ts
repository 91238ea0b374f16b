import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { startSystem } from '../support/system';
import type { DbBackend, RunningSystem } from '../support/system';
import { ffprobeSummary, makeEmptyAudioMkv, makeTruncatedFaststartMp4 } from '../support/unfaithful-media';

jest.setTimeout(300_000);

/**
 * The new failure paths and warnings of "faithful media" as an API client
 * sees them, on both databases: the codes and messages in /status, warnings
 * on a completed job, 409 for a failed job's outputs and its log served by
 * /download?output=log. The media cases themselves are covered row by row in
 * services/worker/src/run/faithful-media.ffmpeg.test.ts.
 */
describe.each<DbBackend>(['mongodb', 'dynamodb'])('faithful media through the API on %s', (db) => {
  let system: RunningSystem;
  let dir: string;
  let truncated: string;
  let emptyAudio: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `mediaflow-faithful-${db}-`));
    const [cut, mkv] = await Promise.all([
      makeTruncatedFaststartMp4(dir, 'holiday.mp4', { seconds: 10, keepFraction: 0.4 }),
      makeEmptyAudioMkv(dir, 'recording.mkv', 3),
    ]);
    system = await startSystem({ db, workers: 1 });
    truncated = await system.client.upload('holiday.mp4', cut.file);
    emptyAudio = await system.client.upload('recording.mkv', mkv, 'video/x-matroska');
  });

  afterAll(async () => {
    await system?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  async function finished(body: Record<string, unknown>): Promise<StatusBody> {
    return (await waitForJob(system.client, await submitJob(system.client, body))).final;
  }

  it('fails a cut-off upload with SOURCE_TRUNCATED, refuses its output with 409, and serves its log', async () => {
    const job = await finished({ source: truncated, method_name: 'compress', params: { preset: 'ultrafast' } });
    expect(job).toMatchObject({ status: 'failed', attempts: 1, progress: 0 });
    expect(job.error?.code).toBe('SOURCE_TRUNCATED');
    expect(job.error?.message).toMatch(
      /^The source is cut short: it declares 10\.0 s but its data ends after [34]\.\d s \(\d\d %\)\. The upload or the file is incomplete; upload the complete file again\.$/,
    );
    expect(job).not.toHaveProperty('warnings');
    expect(job).not.toHaveProperty('dead_lettered_at');

    const output = await system.client.request<{ error: { code: string } }>('GET', `/download/${job.job_id}`);
    expect(output.status).toBe(409);
    expect(output.body.error.code).toBe('JOB_NOT_COMPLETED');
    const video = await system.client.request<{ error: { code: string } }>(
      'GET',
      `/download/${job.job_id}?output=video`,
    );
    expect(video.status).toBe(409);

    const log = await system.client.download(`/download/${job.job_id}?output=log`);
    expect(log.status).toBe(200);
    expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(log.headers.get('cache-control')).toBe('private, no-cache');
    expect(log.data.toString('utf8')).toContain('# failed SOURCE_TRUNCATED: The source is cut short');
  });

  it('fails extract_audio of a track without packets with NO_AUDIO_STREAM, saying the track is empty', async () => {
    const job = await finished({ source: emptyAudio, method_name: 'extract_audio', output_format: 'm4a' });
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    expect(job.error).toEqual({
      code: 'NO_AUDIO_STREAM',
      message:
        'extract_audio needs an audio stream, and the input has only an audio track (opus) that holds no audio data',
    });
    const log = await system.client.download(`/download/${job.job_id}?output=log`);
    expect(log.status).toBe(200);
    expect(log.data.toString('utf8')).toContain('# failed NO_AUDIO_STREAM: ');
  });

  it('completes compress of that source as a silent video, with a warning on the job', async () => {
    const job = await finished({ source: emptyAudio, method_name: 'compress', params: { preset: 'ultrafast' } });
    expect(job).toMatchObject({ status: 'completed', error: null });
    expect(job.warnings).toEqual([
      {
        code: 'SOURCE_STREAM_EMPTY',
        message: "The source's audio stream #1 (opus) holds no audio data; the result has no sound from it",
      },
    ]);
    const response = await system.client.download(`/download/${job.job_id}`);
    expect(response.status).toBe(200);
    const file = path.join(dir, `${db}-silent.mp4`);
    await writeFile(file, response.data);
    const summary = await ffprobeSummary(file);
    expect(summary.streams.map((stream) => stream.codec_type)).toEqual(['video']);
    expect(summary.durationSec).toBeCloseTo(3, 0);
    // The warning is in the log as well, for whoever reads only that.
    const log = await system.client.download(`/download/${job.job_id}?output=log`);
    expect(log.data.toString('utf8')).toContain('# warning SOURCE_STREAM_EMPTY: ');
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseSrt, whisperSettingsFromEnv, wordErrorDetails } from '@mediaflow/media';
import type { SrtCue } from '@mediaflow/media';
import type { JsonObject } from '../support/api-client';
import { submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { ApiClient } from '../support/api-client';
import { startEmbedded } from '../support/embedded';
import { makeClip } from '../support/media-fixtures';
import { freePort, REPO_ROOT, waitFor } from '../support/processes';
import { startSystem } from '../support/system';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import type { RunningSystem } from '../support/system';

/**
 * `transcribe` through the whole system: the API and two worker processes on
 * Kafka, FerretDB and S3, the real faster-whisper models (installed from PyPI
 * by scripts/whisper/install.sh), and speech synthesised here with espeak-ng
 * from a known script, so the transcript can be scored by word error rate.
 */

jest.setTimeout(900_000);

const run = promisify(execFile);

const SCRIPT =
  'Every spring the small village by the lake holds a market in the old stone square. ' +
  'Farmers bring fresh bread, cheese and vegetables, while musicians play near the fountain. ' +
  'In the evening the families walk along the water and watch the sun go down behind the green hills.';

/** Silence around the speech in the video, so "the cues cover the speech" has fixed edges to check. */
const LEAD_SEC = 1.5;
const TAIL_SEC = 1.5;
/** Whisper's timestamps are approximate; voice-activity detection trims a little more. */
const EDGE_TOLERANCE_SEC = 1.5;

interface TranscriptDocument {
  model: string;
  language: string;
  duration_sec: number;
  text: string;
  segments: { id: number; start: number; end: number; text: string }[];
}

interface WhisperFigures {
  model: string;
  language: string;
  audio_sec: number;
  recognition_sec: number;
  rtf: number;
  segments: number;
}

function parseVtt(vtt: string): { start: number; end: number; text: string }[] {
  const [header, ...blocks] = vtt.replace(/\r\n?/g, '\n').split(/\n{2,}/);
  if (header.trim() !== 'WEBVTT') throw new Error(`not WebVTT: ${JSON.stringify(header.slice(0, 50))}`);
  const time = (value: string): number => {
    const match = /^(\d{2,}):(\d{2}):(\d{2})\.(\d{3})$/.exec(value.trim());
    if (!match) throw new Error(`not a WebVTT time: ${value}`);
    const [, h, m, s, ms] = match.map(Number);
    return h * 3600 + m * 60 + s + ms / 1000;
  };
  return blocks
    .map((block) => block.trim())
    .filter((block) => block !== '')
    .map((block) => {
      const [timing, ...lines] = block.split('\n');
      const [from, to] = timing.split(' --> ');
      return {
        start: time(from),
        end: time(to),
        text: lines.join('\n').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
      };
    });
}

function expectOrderedCues(cues: readonly { start: number; end: number }[]): void {
  for (const [index, cue] of cues.entries()) {
    expect(cue.end).toBeGreaterThan(cue.start);
    if (index > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[index - 1].end);
  }
}

async function durationOf(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}

/** Peak resident memory (VmHWM) of a process, in MiB; 0 when it is gone. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Math.round(Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
}

/** What the workers logged about loading models: a cold job's recognition time includes this. */
function modelLoads(output: string): { model: string; load_sec: number }[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"whisper model loaded"'))
    .map((line) => JSON.parse(line) as { model_dir: string; load_sec: number })
    .map((entry) => ({ model: path.basename(entry.model_dir), load_sec: entry.load_sec }));
}

/** The transcribe.py helpers the given worker processes started. */
async function whisperHelpers(workerPids: readonly number[]): Promise<number[]> {
  const helpers: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes('transcribe.py')) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    if (workerPids.includes(Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]))) helpers.push(Number(entry));
  }
  return helpers;
}

describe('transcribe end to end (two workers, real Whisper models)', () => {
  let system: RunningSystem;
  let dir: string;
  let speechWav: string;
  let speechSec: number;
  let videoSource: string;
  let silentSource: string;
  let audioSource: string;
  const figures: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const settings = whisperSettingsFromEnv();
    const installed = await Promise.all(
      ['base', 'tiny.en'].map(async (model) =>
        stat(path.join(settings.modelDir, model, 'model.bin')).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (installed.includes(false)) {
      // Idempotent and offline-capable (PyPI only); quick when already done.
      await run('bash', [path.join(REPO_ROOT, 'scripts/whisper/install.sh')], {
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    }

    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-e2e-transcribe-'));
    speechWav = path.join(dir, 'speech.wav');
    await run('espeak-ng', ['-w', speechWav, '-s', '150', SCRIPT]);
    speechSec = await durationOf(speechWav);
    const total = (LEAD_SEC + speechSec + TAIL_SEC).toFixed(3);

    const video = path.join(dir, 'talk.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      '-i', speechWav,
      '-filter_complex', `[1:a]adelay=${LEAD_SEC * 1000}:all=1,apad[a]`,
      '-map', '0:v', '-map', '[a]', '-t', total,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-b:a', '96k', '-ar', '44100',
      video,
    ]);
    const silent = path.join(dir, 'silent.mp4');
    // prettier-ignore
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25',
      '-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=stereo',
      '-t', '6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
      silent,
    ]);

    system = await startSystem({ db: 'mongodb', workers: 2 });
    videoSource = await system.client.upload('village talk.mp4', video);
    silentSource = await system.client.upload('silent.mp4', silent);
    audioSource = await system.client.upload('speech.wav', speechWav, 'audio/wav');
  }, 20 * 60_000);

  afterAll(async () => {
    if (system) {
      const workerPids = system.workers.map((worker) => worker.child.pid ?? -1);
      const helpers = await whisperHelpers(workerPids);
      figures.push({
        whisper_helpers: helpers.length,
        helper_peak_rss_mb: await Promise.all(helpers.map(peakRssMb)),
        worker_node_peak_rss_mb: await Promise.all(workerPids.map(peakRssMb)),
        model_loads: system.workers.flatMap((worker) => modelLoads(worker.output())),
      });
      for (const line of figures) process.stdout.write(`TRANSCRIBE-FIGURES ${JSON.stringify(line)}\n`);
      await system.stop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  async function download(jobId: string, output?: string): Promise<{ data: Buffer; headers: Headers }> {
    const response = await system.client.download(`/download/${jobId}${output ? `?output=${output}` : ''}`);
    expect({ output, status: response.status }).toEqual({ output, status: 200 });
    return { data: response.data, headers: response.headers };
  }

  async function figuresOf(jobId: string): Promise<WhisperFigures> {
    const log = (await download(jobId, 'log')).data.toString('utf8');
    const line = /^# whisper: done (\{.*\})$/m.exec(log);
    if (!line) throw new Error(`no recognition figures in the job log:\n${log.slice(-2000)}`);
    return JSON.parse(line[1]) as WhisperFigures;
  }

  async function transcribeAndWait(
    body: JsonObject,
  ): Promise<{ jobId: string; final: StatusBody; progress: number[] }> {
    const jobId = await submitJob(system.client, body);
    const { final, progress } = await waitForJob(system.client, jobId, undefined, 600_000);
    return { jobId, final, progress };
  }

  it('transcribes a video: srt, vtt, json and a subtitled MP4, with rising progress', async () => {
    const { jobId, final, progress } = await transcribeAndWait({ source: videoSource, method_name: 'transcribe' });
    expect({ status: final.status, error: final.error }).toEqual({ status: 'completed', error: null });
    expect(final.progress).toBe(100);
    for (let i = 1; i < progress.length; i += 1) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    expect(progress.some((value) => value > 0 && value < 100)).toBe(true);

    // Paths are relative to the job's folder; `url` serves each with the API key.
    expect(final.outputs.map((output) => [output.kind, output.path, output.content_type, output.url])).toEqual(
      [
        ['srt', 'transcript.srt', 'application/x-subrip; charset=utf-8'],
        ['vtt', 'transcript.vtt', 'text/vtt; charset=utf-8'],
        ['json', 'transcript.json', 'application/json; charset=utf-8'],
        ['video', 'village_talk_subtitled.mp4', 'video/mp4'],
        ['log', 'transcription.log', 'text/plain; charset=utf-8'],
      ].map((entry) => [...entry, `/jobs/${jobId}/files/${entry[1]}`]),
    );
    expect(final).not.toHaveProperty('output_path');

    // The default download is the primary output: the SRT.
    const primary = await download(jobId);
    const srt = await download(jobId, 'srt');
    expect(primary.data.equals(srt.data)).toBe(true);
    expect(primary.headers.get('content-disposition')).toContain('filename="transcript.srt"');

    const cues = parseSrt(srt.data.toString('utf8'));
    const heard = cues.map((cue) => cue.text).join(' ');
    const wer = wordErrorDetails(SCRIPT, heard);
    expect(SCRIPT.split(/\s+/).length).toBeGreaterThanOrEqual(40);
    expect(wer.wer).toBeLessThanOrEqual(0.25);
    expectOrderedCues(cues);
    expect(cues[0].start).toBeGreaterThanOrEqual(LEAD_SEC - EDGE_TOLERANCE_SEC);
    expect(cues[0].start).toBeLessThanOrEqual(LEAD_SEC + EDGE_TOLERANCE_SEC);
    expect(cues.at(-1)!.end).toBeGreaterThanOrEqual(LEAD_SEC + speechSec - EDGE_TOLERANCE_SEC);
    expect(cues.at(-1)!.end).toBeLessThanOrEqual(LEAD_SEC + speechSec + TAIL_SEC + 0.1);

    const vttCues = parseVtt((await download(jobId, 'vtt')).data.toString('utf8'));
    expectOrderedCues(vttCues);
    expect(vttCues).toEqual(cues.map(({ start, end, text }) => ({ start, end, text })));

    const json = JSON.parse((await download(jobId, 'json')).data.toString('utf8')) as TranscriptDocument;
    expect(json).toMatchObject({ model: 'base', language: 'en' });
    expect(json.duration_sec).toBeCloseTo(LEAD_SEC + speechSec + TAIL_SEC, 0);
    expect(json.segments.map((segment) => segment.text)).toEqual(cues.map((cue) => cue.text));
    for (const [index, segment] of json.segments.entries()) {
      expect(segment.start).toBeCloseTo(cues[index].start, 3);
      expect(segment.end).toBeCloseTo(cues[index].end, 3);
    }

    const videoFile = path.join(dir, 'subtitled.mp4');
    await writeFile(videoFile, (await download(jobId, 'video')).data);
    const entries = 'stream=codec_type,codec_name:stream_tags=language';
    const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', entries, '-of', 'json', videoFile]);
    const { streams } = JSON.parse(stdout) as {
      streams: { codec_type: string; codec_name: string; tags?: { language?: string } }[];
    };
    expect(streams.map((stream) => `${stream.codec_type}:${stream.codec_name}`)).toEqual([
      'video:h264',
      'audio:aac',
      'subtitle:mov_text',
    ]);
    expect(streams[2].tags?.language).toBe('eng');
    expect(await durationOf(videoFile)).toBeCloseTo(LEAD_SEC + speechSec + TAIL_SEC, 0);
    const extracted = path.join(dir, 'extracted.srt');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', videoFile, '-map', '0:s:0', extracted]);
    const embedded: SrtCue[] = parseSrt(await readFile(extracted, 'utf8'));
    expect(embedded.map((cue) => cue.text)).toEqual(cues.map((cue) => cue.text));
    for (const [index, cue] of embedded.entries()) {
      expect(cue.start).toBeCloseTo(cues[index].start, 2);
      expect(cue.end).toBeCloseTo(cues[index].end, 2);
    }

    const recognition = await figuresOf(jobId);
    expect(recognition).toMatchObject({ model: 'base', language: 'en' });
    figures.push({
      input: 'video',
      ...recognition,
      wer: Math.round(wer.wer * 1000) / 1000,
      reference_words: wer.referenceWords,
    });
  });

  it('transcribes an audio-only WAV with another model and makes no video', async () => {
    const { jobId, final } = await transcribeAndWait({
      source: audioSource,
      method_name: 'transcribe',
      params: { model: 'tiny.en', language: 'en', embed_subtitles: true },
    });
    expect({ status: final.status, error: final.error }).toEqual({ status: 'completed', error: null });
    expect(final.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'log']);
    const json = JSON.parse((await download(jobId, 'json')).data.toString('utf8')) as TranscriptDocument;
    expect(json).toMatchObject({ model: 'tiny.en', language: 'en' });
    const wer = wordErrorDetails(SCRIPT, json.text);
    expect(wer.wer).toBeLessThanOrEqual(0.25);
    const video = await system.client.request<{ error: { code: string } }>('GET', `/download/${jobId}?output=video`);
    expect(video.status).toBe(404);
    figures.push({ input: 'audio', ...(await figuresOf(jobId)), wer: Math.round(wer.wer * 1000) / 1000 });
  });

  it('completes a silent video with an empty transcript', async () => {
    const { jobId, final } = await transcribeAndWait({ source: silentSource, method_name: 'transcribe' });
    expect({ status: final.status, error: final.error }).toEqual({ status: 'completed', error: null });
    expect(final.progress).toBe(100);
    expect(final.outputs.map((output) => output.kind)).toEqual(['srt', 'vtt', 'json', 'video', 'log']);
    expect((await download(jobId, 'srt')).data.toString('utf8')).toBe('');
    expect((await download(jobId, 'vtt')).data.toString('utf8').trim()).toBe('WEBVTT');
    const json = JSON.parse((await download(jobId, 'json')).data.toString('utf8')) as TranscriptDocument;
    expect(json.segments).toEqual([]);
    expect(json.text).toBe('');
  });

  it('refuses an unknown model name or a path at submit with a 400', async () => {
    for (const model of ['enormous', '/etc/passwd', '../base']) {
      const response = await system.client.postJson<{ error: { code: string; message: string } }>('/process', {
        source: videoSource,
        method_name: 'transcribe',
        params: { model },
      });
      expect({ model, status: response.status, code: response.body.error?.code }).toEqual({
        model,
        status: 400,
        code: 'VALIDATION_FAILED',
      });
    }
  });

  it('fails a job whose model is known but not installed, naming the download script', async () => {
    const { final } = await transcribeAndWait({
      source: audioSource,
      method_name: 'transcribe',
      params: { model: 'medium' },
    });
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('MODEL_NOT_FOUND');
    expect(final.error?.message).toContain('npm run models:download -- medium');
    expect(final.attempts).toBe(1);
  });

  it('runs an encode beside a transcription, and one transcription at a time (WORKER_CONCURRENCY=3, TRANSCRIBE_CONCURRENCY=1)', async () => {
    // The embedded mode's in-process queue hands each job to the next free
    // lane, so three jobs submitted together run together, with no
    // partition placement deciding it.
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-e2e-lanes-'));
    const port = await freePort();
    const embedded = await startEmbedded(dataDir, port, { WORKER_CONCURRENCY: '3', TRANSCRIBE_CONCURRENCY: '1' });
    try {
      const client = new ApiClient(`http://127.0.0.1:${port}`);
      const clip = path.join(dir, 'lanes.mp4');
      await makeClip(clip, { seconds: 20, width: 640, height: 360 });
      const [speech, video] = [
        await client.upload('speech.wav', speechWav, 'audio/wav'),
        await client.upload('lanes.mp4', clip),
      ];
      const jobs = {
        first: await submitJob(client, { source: speech, method_name: 'transcribe', params: { model: 'tiny.en' } }),
        second: await submitJob(client, { source: speech, method_name: 'transcribe', params: { model: 'tiny.en' } }),
        encode: await submitJob(client, { source: video, method_name: 'compress', params: { preset: 'slow' } }),
      };
      for (const jobId of Object.values(jobs)) {
        expect((await waitForJob(client, jobId, undefined, 600_000)).final.status).toBe('completed');
      }

      const eventsNow = (): { message: string; jobId?: string; timestamp: string }[] =>
        embedded
          .output()
          .split('\n')
          .filter((line) => line.startsWith('{'))
          .map((line) => JSON.parse(line) as { message: string; jobId?: string; timestamp: string })
          .filter((event) => event.jobId !== undefined);
      // A worker logs "job completed" after it stores the completion, which the API shows at once:
      // under load the last job's line can reach the pipe after its status did.
      const events = await waitFor(
        'every job to have logged its completion',
        () => {
          const seen = eventsNow();
          const done = Object.values(jobs).every((jobId) =>
            seen.some((event) => event.jobId === jobId && event.message === 'job completed'),
          );
          return done ? seen : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      const at = (jobId: string, message: string): number => {
        const event = events.find((candidate) => candidate.jobId === jobId && candidate.message === message);
        if (!event) throw new Error(`no "${message}" for ${jobId}`);
        return Date.parse(event.timestamp);
      };
      const slots = [jobs.first, jobs.second]
        .map((jobId) => ({
          taken: at(jobId, 'transcription slot taken'),
          released: at(jobId, 'transcription slot released'),
        }))
        .sort((a, b) => a.taken - b.taken);
      // One transcription at a time: the second took the slot only once the first let go.
      expect(slots[1].taken).toBeGreaterThanOrEqual(slots[0].released);
      // Both transcriptions had been started together; the second waited for the slot.
      const started = [jobs.first, jobs.second].map((jobId) => at(jobId, 'job started'));
      expect(Math.max(...started)).toBeLessThan(slots[0].released);
      // And the encode ran beside the first transcription, not after it.
      expect(at(jobs.encode, 'job started')).toBeLessThan(slots[0].released);
      expect(at(jobs.encode, 'job completed')).toBeGreaterThan(slots[0].taken);
      figures.push({
        lanes: {
          slots_ms: slots.map((slot) => slot.released - slot.taken),
          second_waited_ms: slots[1].taken - Math.max(...started),
        },
      });
    } finally {
      await embedded.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

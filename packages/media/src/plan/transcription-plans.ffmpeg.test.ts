import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTestClip } from '../../../../test/support/media-clips';
import { runFfmpeg } from '../ffmpeg-runner';
import { probeMedia } from '../probe';
import { parseSrt } from '../transcription/subtitles';
import { planSubtitleMux } from './subtitle-mux';
import { planTranscriptionAudio } from './transcription-audio';

const run = promisify(execFile);

interface ProbedStream {
  codec_type: string;
  codec_name: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { default?: number };
  tags?: { language?: string };
}

async function streamsOf(file: string): Promise<ProbedStream[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
  return (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
}

const SRT = '1\n00:00:00,200 --> 00:00:01,000\nFirst words.\n\n2\n00:00:01,100 --> 00:00:02,400\nThen some more.\n';

// The plans run through the real FFmpeg, and the results are read back with ffprobe.
describe('transcription plans (real FFmpeg)', () => {
  let dir: string;
  let clip: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-transcription-plans-'));
    clip = await makeTestClip(dir, '-clip.mp4', { seconds: 3, width: 160, height: 120 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('extracts 16 kHz mono PCM WAV with the full duration', async () => {
    const outputPath = path.join(dir, 'audio.wav');
    const plan = planTranscriptionAudio(await probeMedia(clip), { inputPath: clip, outputPath });
    await runFfmpeg({ args: plan.args, durationSec: plan.expectedDurationSec });
    const [stream, ...others] = await streamsOf(outputPath);
    expect(others).toEqual([]);
    expect(stream).toMatchObject({ codec_type: 'audio', codec_name: 'pcm_s16le', sample_rate: '16000', channels: 1 });
    expect((await probeMedia(outputPath)).durationSec).toBeCloseTo(3, 1);
  });

  it('muxes the SRT as a default mov_text track tagged eng, with the text intact and the A/V copied', async () => {
    const subtitlesPath = path.join(dir, 'transcript.srt');
    const outputPath = path.join(dir, 'subtitled.mp4');
    await writeFile(subtitlesPath, SRT);
    const probe = await probeMedia(clip);
    const plan = planSubtitleMux(probe, { inputPath: clip, subtitlesPath, outputPath }, { language: 'en' });
    await runFfmpeg({ args: plan.args, durationSec: plan.expectedDurationSec });

    const streams = await streamsOf(outputPath);
    expect(streams.map((stream) => `${stream.codec_type}:${stream.codec_name}`)).toEqual([
      'video:h264',
      'audio:aac',
      'subtitle:mov_text',
    ]);
    expect(streams[2]).toMatchObject({ tags: { language: 'eng' }, disposition: { default: 1 } });

    const back = path.join(dir, 'back.srt');
    await run('ffmpeg', ['-v', 'error', '-y', '-i', outputPath, '-map', '0:s:0', back]);
    expect(parseSrt(await readFile(back, 'utf8'))).toEqual(parseSrt(SRT));
  });

  it('muxes an empty transcript into an empty subtitle track rather than failing', async () => {
    const subtitlesPath = path.join(dir, 'empty.srt');
    const outputPath = path.join(dir, 'silent.mp4');
    await writeFile(subtitlesPath, '');
    const plan = planSubtitleMux(await probeMedia(clip), { inputPath: clip, subtitlesPath, outputPath });
    await runFfmpeg({ args: plan.args, durationSec: plan.expectedDurationSec });
    const streams = await streamsOf(outputPath);
    expect(streams.map((stream) => stream.codec_type)).toEqual(['video', 'audio', 'subtitle']);
    expect(streams[2].tags?.language).toBe('und');
  });
});

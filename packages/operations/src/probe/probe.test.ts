import type { MediaProbe } from '@mediaflow/media';
import { findOperation } from '../registry';
import { probeDocument } from './index';

const source: MediaProbe = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 12.5,
  sizeBytes: 1_234_567,
  bitRate: 790_000,
  streamCount: 3,
  video: {
    index: 0,
    codec: 'h264',
    width: 1920,
    height: 1080,
    fps: 24000 / 1001,
    pixFmt: 'yuv420p',
    rotation: 90,
    colour: { range: 'tv', primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' },
  },
  audio: { index: 2, codec: 'aac', channels: 2, sampleRate: 48_000, language: 'eng', isDefault: true },
  audioStreams: [
    { index: 1, codec: 'aac', channels: 2, sampleRate: 48_000, language: 'fra', title: 'Commentary' },
    { index: 2, codec: 'aac', channels: 2, sampleRate: 48_000, language: 'eng', isDefault: true },
  ],
  subtitleStreams: [{ index: 3, codec: 'subrip', language: 'eng', isForced: true }],
};

describe('probe operation', () => {
  it('reports what players and the other operations see: displayed size, every track, the chosen one', () => {
    const document = probeDocument(source);
    expect(document).toMatchObject({
      duration_sec: 12.5,
      size_bytes: 1_234_567,
      bit_rate_bps: 790_000,
      video: {
        codec: 'h264',
        width: 1920,
        height: 1080,
        display_width: 1080,
        display_height: 1920,
        rotation_deg: 90,
        scan: 'progressive',
        colour: { range: 'tv', primaries: 'bt709', transfer: 'bt709', matrix: 'bt709' },
      },
      audio_streams: [
        { index: 1, language: 'fra', title: 'Commentary', default: false, chosen: false },
        { index: 2, language: 'eng', default: true, chosen: true },
      ],
      subtitle_streams: [{ index: 3, codec: 'subrip', forced: true, default: false }],
    });
    expect(JSON.stringify(document)).not.toMatch(/undefined/);
  });

  it('plans no FFmpeg at all: one JSON file, the primary output', () => {
    const operation = findOperation('probe');
    expect(operation).toBeDefined();
    const plan = operation!.plan(operation!.parse({ method_name: 'probe' }), source, {
      inputPath: '/tmp/in.mp4',
      workDir: '/tmp/work',
      sourceName: 'in.mp4',
      defaults: { whisperModel: 'base' },
    });
    expect(plan.steps.map((step) => step.kind)).toEqual(['write_text']);
    expect(plan.outputs).toEqual([
      { kind: 'json', path: 'probe.json', contentType: 'application/json; charset=utf-8', primary: true },
    ]);
    const step = plan.steps[0];
    expect(step.kind === 'write_text' && (JSON.parse(step.content) as { duration_sec: number }).duration_sec).toBe(
      12.5,
    );
  });

  it('describes an audio-only source with no video', () => {
    const { video, ...audioOnly } = source;
    expect(video).toBeDefined();
    expect(probeDocument(audioOnly)).toMatchObject({ video: null, audio_streams: [{}, {}] });
  });
});

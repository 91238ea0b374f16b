import type { MediaProbe } from '../probe-types';
import { dashencPlaylistName, planCmafPackage } from './cmaf-package';
import { storyboardGeometry } from './storyboard';

/** The code of the error a call throws (AppError codes), undefined when it does not throw. */
function thrownCode(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return (error as { code?: unknown }).code;
  }
  return undefined;
}

const probe: MediaProbe = {
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  durationSec: 10,
  sizeBytes: 1,
  streamCount: 2,
  video: { index: 0, codec: 'h264', width: 640, height: 360, fps: 24000 / 1001 },
  audio: { index: 1, codec: 'aac', channels: 6, sampleRate: 96000 },
};
const base = { inputPath: '/w/in.mp4', packageDir: '/w/stream', segmentSeconds: 4, audioBitrateKbps: 128, hls: true };

/** The values following each occurrence of a flag. */
function valuesOf(args: readonly string[], flag: string): string[] {
  return args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));
}

describe('planCmafPackage', () => {
  it('one process: split and scale per rung, poster and sprite, dash muxer with HLS playlists (full argv)', () => {
    const plan = planCmafPackage(probe, {
      ...base,
      posterPath: '/w/poster.jpg',
      storyboard: { spritePath: '/w/storyboard/sprite.jpg', geometry: storyboardGeometry(10, probe.video!) },
    });
    // prettier-ignore
    expect(plan.args).toEqual([
      '-hide_banner', '-y', '-nostdin',
      '-protocol_whitelist', 'file',
      '-format_whitelist', expect.any(String),
      '-i', 'file:/w/in.mp4',
      '-filter_complex',
      '[0:0]split=4[b0][b1][b2][b3];' +
        '[b0]scale=w=640:h=360[v0];' +
        '[b1]scale=w=426:h=240[v1];' +
        '[b2]trim=start=1:duration=4,fps=5,scale=w=640:h=360,setsar=1,format=yuvj420p,thumbnail=n=22[poster];' +
        '[b3]select=gte(t\\,selected_n*1),scale=w=160:h=90,setsar=1,tile=layout=10x1:nb_frames=10,format=yuvj420p[sprite]',
      '-map', '[v0]', '-map', '[v1]', '-map', '0:1',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '22', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
      '-g', '96', '-keyint_min', '96', '-sc_threshold', '0', '-forced-idr', '1',
      '-force_key_frames', 'expr:gte(t,n_forced*4)',
      '-level:v:0', '3.0', '-maxrate:v:0', '850k', '-bufsize:v:0', '1700k',
      '-level:v:1', '3.0', '-maxrate:v:1', '450k', '-bufsize:v:1', '900k',
      // An untagged SD source: tagged as players assume it (BT.601), see colour.ts.
      '-color_range', 'tv', '-color_primaries', 'smpte170m', '-color_trc', 'smpte170m', '-colorspace', 'smpte170m',
      '-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000',
      '-map_metadata', '-1', '-map_chapters', '-1',
      '-f', 'dash', '-seg_duration', '4', '-use_template', '1', '-use_timeline', '1',
      '-adaptation_sets', 'id=0,streams=v id=1,streams=a',
      '-init_seg_name', 'init-$RepresentationID$.m4s',
      '-media_seg_name', 'seg-$RepresentationID$-$Number%05d$.m4s',
      '-hls_playlist', '1', '-hls_master_name', 'master.m3u8',
      'file:/w/stream/manifest.mpd',
      '-map_metadata', '-1',
      '-map', '[poster]', '-frames:v', '1', '-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', '3', '-update', '1',
      '-f', 'image2', 'file:/w/poster.jpg',
      '-map_metadata', '-1',
      '-map', '[sprite]', '-frames:v', '1', '-fps_mode', 'passthrough', '-c:v', 'mjpeg', '-q:v', '3', '-update', '1',
      '-f', 'image2', 'file:/w/storyboard/sprite.jpg',
    ]);
    expect(plan.variants).toEqual([
      { playlist: 'media_0.m3u8', width: 640, height: 360, frameRate: 24000 / 1001, videoCodec: 'avc1.64001e' },
      { playlist: 'media_1.m3u8', width: 426, height: 240, frameRate: 24000 / 1001, videoCodec: 'avc1.64001e' },
    ]);
    expect(plan.audio).toEqual({ playlist: 'media_2.m3u8', codec: 'mp4a.40.2', language: 'und', channels: 2 });
    expect(plan).toMatchObject({ poster: true, storyboard: true, expectedDurationSec: 10 });
  });

  it('never names the source in what the package writes', () => {
    const plan = planCmafPackage(probe, { ...base, inputPath: '/w/holiday-secret.mp4' });
    const afterInput = plan.args.slice(plan.args.indexOf('-i') + 2).join(' ');
    expect(afterInput).not.toContain('holiday');
  });

  it('caps each rendition and forces aligned keyframes for every segment length', () => {
    const plan = planCmafPackage(
      { ...probe, video: { ...probe.video!, width: 1920, height: 1080, fps: 30 } },
      { ...base, segmentSeconds: 6 },
    );
    expect(valuesOf(plan.args, '-force_key_frames')).toEqual(['expr:gte(t,n_forced*6)']);
    expect(valuesOf(plan.args, '-g')).toEqual(['180']);
    expect(valuesOf(plan.args, '-seg_duration')).toEqual(['6']);
    expect(plan.rungs.map((r) => r.height)).toEqual([1080, 720, 480, 360, 240]);
    for (let i = 0; i < 5; i += 1) {
      expect(valuesOf(plan.args, `-maxrate:v:${i}`)).toEqual([`${plan.rungs[i].maxrateKbps}k`]);
      expect(valuesOf(plan.args, `-level:v:${i}`)).toEqual([plan.rungs[i].level]);
    }
  });

  it('forces 60 fps on a 120 fps source before the split', () => {
    const plan = planCmafPackage({ ...probe, video: { ...probe.video!, fps: 120 } }, base);
    expect(valuesOf(plan.args, '-filter_complex')[0]).toMatch(/^\[0:0\]fps=60,split=2/);
    expect(plan.variants[0].frameRate).toBe(60);
  });

  it('packages audio alone for an audio-only source: no filtergraph, no video options, no stills', () => {
    const plan = planCmafPackage({ ...probe, video: undefined }, { ...base, posterPath: '/w/poster.jpg' });
    expect(plan.args).not.toContain('-filter_complex');
    expect(plan.args).not.toContain('libx264');
    expect(plan.args).not.toContain('mjpeg');
    expect(valuesOf(plan.args, '-map')).toEqual(['0:1']);
    expect(valuesOf(plan.args, '-adaptation_sets')).toEqual(['id=0,streams=a']);
    expect(plan).toMatchObject({ rungs: [], variants: [], poster: false, storyboard: false });
    expect(plan.audio?.playlist).toBe('media_0.m3u8');
  });

  it('packages video alone for a silent source', () => {
    const plan = planCmafPackage({ ...probe, audio: undefined }, base);
    expect(plan.args).not.toContain('aac');
    expect(valuesOf(plan.args, '-adaptation_sets')).toEqual(['id=0,streams=v']);
    expect(plan.audio).toBeUndefined();
  });

  it('writes no HLS playlists for a DASH-only package', () => {
    const plan = planCmafPackage(probe, { ...base, hls: false });
    expect(plan.args).not.toContain('-hls_playlist');
  });

  it('refuses a source with neither video nor audio', () => {
    expect(thrownCode(() => planCmafPackage({ ...probe, video: undefined, audio: undefined }, base))).toBe(
      'NO_VIDEO_STREAM',
    );
  });

  it('names playlists as dashenc 5.1 does', () => {
    expect(dashencPlaylistName(3)).toBe('media_3.m3u8');
  });
});

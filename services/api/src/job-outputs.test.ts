import { AppError } from '@mediaflow/domain';
import type { Job } from '@mediaflow/domain';
import { assertServable, isManifest, parseFilePath, relativePathOf, resolveJobFile } from './job-outputs';
import { toJobView } from './job-view';

const jobId = '0b6f3c52-5d5e-4a8e-9d1b-1f6a2b3c4d5e';
const location = { bucket: 'mediaflow-output', prefix: 'outputs/' };
const folder = `outputs/${jobId}/`;

function job(overrides: Partial<Job> = {}): Job {
  return {
    job_id: jobId,
    status: 'completed',
    method_name: 'compress',
    output_format: 'mp4',
    params: {},
    source: 's3://mediaflow-input/uploads/clip.mp4',
    progress: 100,
    attempts: 1,
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:01:00.000Z',
    history: [],
    outputs: [
      {
        kind: 'hls',
        path: 'stream/master.m3u8',
        content_type: 'application/vnd.apple.mpegurl',
        object: `s3://mediaflow-output/${folder}stream/master.m3u8`,
        primary: true,
      },
      { kind: 'dash', path: 'stream/manifest.mpd', content_type: 'application/dash+xml' },
      {
        kind: 'package',
        path: 'stream/',
        content_type: 'inode/directory',
        object: `s3://mediaflow-output/${folder}stream/`,
        file_count: 9,
        size_bytes: 1000,
      },
      { kind: 'poster', path: 'poster.jpg', content_type: 'image/jpeg' },
      { kind: 'log', path: 'ffmpeg.log', content_type: 'text/plain; charset=utf-8' },
    ],
    ...overrides,
  };
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof AppError ? error.code : `not an AppError: ${String(error)}`;
  }
  return undefined;
}

describe('parseFilePath', () => {
  it.each([
    [['stream', 'master.m3u8'], 'stream/master.m3u8'],
    [['poster.jpg'], 'poster.jpg'],
    [['stream', 'chunk-stream0-00001.m4s'], 'stream/chunk-stream0-00001.m4s'],
    [['a..b'], 'a..b'],
    // Outputs are named after Unicode uploads: letters, marks and digits of any script.
    [['видео_compress.mp4'], 'видео_compress.mp4'],
    [['日本語の動画_compress.mp4'], '日本語の動画_compress.mp4'],
    [['वीडियो_resize.webm'], 'वीडियो_resize.webm'],
  ])('accepts %j', (segments, expected) => {
    expect(parseFilePath(segments)).toBe(expected);
  });

  it.each([
    ['no segments', []],
    ['not an array', 'stream/master.m3u8'],
    ['..', ['stream', '..', 'x']],
    ['.', ['.', 'x']],
    ['a hidden file', ['.env']],
    ['an empty segment', ['stream', '', 'x']],
    ['a trailing slash', ['stream', '']],
    ['a decoded %2F', ['stream/..', 'x']],
    ['a decoded %2e%2e%2f', ['../x']],
    ['a backslash', ['stream\\..\\x']],
    ['a NUL', ['x\u0000.m4s']],
    ['a newline', ['x\n.m4s']],
    ['DEL', ['x\u007f']],
    ['a double-encoded dot', ['%2e%2e']],
    ['a percent', ['x%41']],
    ['a space', ['a b']],
    ['non-ASCII punctuation (a division slash)', ['a\u2215b.m4s']],
    ['a bidi override', ['clip\u202e4pm.exe']],
    ['a leading combining mark', ['\u0301a.mp4']],
    ['too many segments', Array.from({ length: 17 }, () => 'a')],
    [
      'too long',
      ['a'.repeat(200), 'b'.repeat(200), 'c'.repeat(200), 'd'.repeat(200), 'e'.repeat(200), 'f'.repeat(200)],
    ],
  ])('refuses %s', (_name, segments) => {
    expect(codeOf(() => parseFilePath(segments))).toBe('INVALID_FILE_PATH');
  });
});

describe('resolveJobFile', () => {
  it('serves an entry file with the type the entry declares, from its object', () => {
    expect(resolveJobFile(job(), 'stream/master.m3u8', location)).toMatchObject({
      ref: { bucket: 'mediaflow-output', key: `${folder}stream/master.m3u8` },
      contentType: 'application/vnd.apple.mpegurl',
      output: { kind: 'hls' },
    });
  });

  it('derives an entry without `object` from the job folder', () => {
    expect(resolveJobFile(job(), 'poster.jpg', location)?.ref).toEqual({
      bucket: 'mediaflow-output',
      key: `${folder}poster.jpg`,
    });
  });

  it.each([
    ['stream/media_0.m3u8', 'application/vnd.apple.mpegurl'],
    ['stream/chunk-stream0-00001.m4s', 'video/iso.segment'],
    ['stream/init-stream1.m4s', 'video/iso.segment'],
    ['stream/sub/deeper.mp4', 'video/mp4'],
    ['stream/unknown.bin', 'application/octet-stream'],
  ])('serves %s under the package directory as %s', (relativePath, contentType) => {
    const file = resolveJobFile(job(), relativePath, location);
    expect(file?.output.kind).toBe('package');
    expect(file?.ref).toEqual({ bucket: 'mediaflow-output', key: `${folder}${relativePath}` });
    expect(file?.contentType).toBe(contentType);
  });

  it.each(['other.mp4', 'streams/x.m4s', 'stream', 'stream/', 'poster.jpg/x', 'ffmpeg.log.bak'])(
    'covers nothing else: %s',
    (relativePath) => {
      expect(resolveJobFile(job(), relativePath, location)).toBeUndefined();
    },
  );

  it('reads old records whose path is an s3:// URI, and their log_path', () => {
    const legacy = job({
      status: 'failed',
      outputs: [
        { kind: 'video', path: `s3://mediaflow-output/old-prefix/${jobId}/out.mp4`, content_type: 'video/mp4' },
      ],
      log_path: `s3://mediaflow-output/old-prefix/${jobId}/ffmpeg.log`,
    });
    expect(resolveJobFile(legacy, 'out.mp4', location)?.ref).toEqual({
      bucket: 'mediaflow-output',
      key: `old-prefix/${jobId}/out.mp4`,
    });
    const log = resolveJobFile(legacy, 'ffmpeg.log', location);
    expect(log?.ref.key).toBe(`old-prefix/${jobId}/ffmpeg.log`);
    expect(relativePathOf(legacy, { path: 's3://b/flat/x.mp4' })).toBe('x.mp4');
  });
});

describe('assertServable', () => {
  it('serves every output of a completed job, and only the log of a failed or cancelled one', () => {
    const [hls, , , , log] = job().outputs;
    expect(codeOf(() => assertServable(job(), hls))).toBeUndefined();
    for (const status of ['failed', 'cancelled'] as const) {
      expect(codeOf(() => assertServable(job({ status }), log))).toBeUndefined();
      expect(codeOf(() => assertServable(job({ status }), hls))).toBe('JOB_NOT_COMPLETED');
    }
    for (const status of ['queued', 'processing'] as const) {
      expect(codeOf(() => assertServable(job({ status }), log))).toBe('JOB_NOT_COMPLETED');
    }
  });
});

describe('isManifest', () => {
  it('knows playlists and MPDs by extension or type', () => {
    expect(isManifest({ relativePath: 'stream/media_1.m3u8', contentType: 'application/octet-stream' })).toBe(true);
    expect(isManifest({ relativePath: 'x', contentType: 'application/dash+xml' })).toBe(true);
    expect(isManifest({ relativePath: 'stream/chunk.m4s', contentType: 'video/iso.segment' })).toBe(false);
  });
});

describe('toJobView outputs', () => {
  it('shows relative paths and URLs, never `object`, `output_path` or `log_path`', () => {
    const view = toJobView(
      job({ output_path: `s3://mediaflow-output/${folder}stream/master.m3u8`, log_path: 's3://x/y.log' }),
    );
    expect(view).not.toHaveProperty('output_path');
    expect(view).not.toHaveProperty('log_path');
    expect(view.outputs[0]).toEqual({
      kind: 'hls',
      path: 'stream/master.m3u8',
      content_type: 'application/vnd.apple.mpegurl',
      primary: true,
      url: `/jobs/${jobId}/files/stream/master.m3u8`,
    });
    expect(view.outputs[2]).toMatchObject({ path: 'stream/', file_count: 9, url: `/jobs/${jobId}/files/stream/` });
  });

  it('turns an old record s3:// path into one relative to the job folder', () => {
    const view = toJobView(
      job({
        outputs: [
          { kind: 'video', path: `s3://mediaflow-output/outputs/${jobId}/clip.mp4`, content_type: 'video/mp4' },
        ],
      }),
    );
    expect(view.outputs).toEqual([
      { kind: 'video', path: 'clip.mp4', content_type: 'video/mp4', url: `/jobs/${jobId}/files/clip.mp4` },
    ]);
  });
});

import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isAppError } from '@mediaflow/domain';
import type { JobWarning } from '@mediaflow/domain';
import type { OutputExpectation } from '@mediaflow/media';
import { makeTestClip } from '../../../../test/support/media-clips';
import { makeEmptyAudioMkv } from '../../../../test/support/unfaithful-media';
import { verifyOutputs } from './verify-outputs';

const run = promisify(execFile);

/**
 * The check that stands between FFmpeg's exit code 0 and a `completed` job,
 * fed the outputs users actually got: each row makes its output with FFmpeg
 * (as a plan's step would have), states what the plan expected, and says
 * what the check must answer.
 */
let dir: string;
let emptyAudioMkv: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mediaflow-verify-'));
  emptyAudioMkv = await makeEmptyAudioMkv(dir, 'mute-track.mkv', 3);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const QUIET = ['-hide_banner', '-loglevel', 'error', '-y', '-nostdin'];

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', [...QUIET, ...args]);
}

interface Row {
  name: string;
  /** Writes the output to `file`, an absolute path in `dir`. */
  make: (file: string) => Promise<void>;
  file: string;
  expect: OutputExpectation;
  /** An error code, or the warnings the check returns. */
  outcome: { code: string; message: RegExp } | { warnings: JobWarning['code'][] };
}

const rows: Row[] = [
  {
    name: 'the 237-byte MP3 FFmpeg writes (exit 0) from an audio track without packets',
    file: 'extract_audio.mp3',
    make: async (file) => ffmpeg(['-i', emptyAudioMkv, '-map', '0:1', '-c:a', 'libmp3lame', '-q:a', '2', file]),
    expect: { streams: ['audio'], durationSec: 3, toleranceSec: 1.015 },
    outcome: { code: 'EMPTY_OUTPUT', message: /^extract_audio\.mp3 \(\d+ bytes\) holds no usable media: / },
  },
  {
    name: 'the 0 s M4A FFmpeg writes (exit 0) from the same track',
    file: 'extract_audio.m4a',
    make: async (file) => ffmpeg(['-i', emptyAudioMkv, '-map', '0:1', '-c:a', 'aac', '-movflags', '+faststart', file]),
    expect: { streams: ['audio'], durationSec: 3, toleranceSec: 1.015 },
    outcome: {
      code: 'EMPTY_OUTPUT',
      message: /^extract_audio\.m4a \(\d+ bytes\) holds no (usable media|audio or video data)/,
    },
  },
  {
    name: 'an MP4 that stops at 4 s where 10 s were expected',
    file: 'short.mp4',
    make: async (file) => {
      await makeTestClip(dir, file, { seconds: 4 });
    },
    expect: { streams: ['video', 'audio'], durationSec: 10, toleranceSec: 1.05 },
    outcome: { code: 'OUTPUT_INCOMPLETE', message: /^short\.mp4 lasts 4\.0 s; the source gave 10\.0 s \(±1\.1 s\)$/ },
  },
  {
    name: 'a video without the audio the source had',
    file: 'silent.mp4',
    make: async (file) => {
      await makeTestClip(dir, file, { seconds: 3, audio: false });
    },
    expect: { streams: ['video', 'audio'], durationSec: 3, toleranceSec: 1.015 },
    outcome: { code: 'OUTPUT_INCOMPLETE', message: /^silent\.mp4 has no audio stream with data/ },
  },
  {
    name: 'a file the steps never wrote',
    file: 'missing.mp4',
    make: async () => Promise.resolve(),
    expect: { streams: ['video'] },
    outcome: { code: 'EMPTY_OUTPUT', message: /^the operation did not write missing\.mp4$/ },
  },
  {
    name: 'a zero-byte file',
    file: 'zero.mp4',
    make: async (file) => writeFile(file, ''),
    expect: { streams: ['video'] },
    outcome: { code: 'EMPTY_OUTPUT', message: /^the operation wrote zero\.mp4 empty \(0 bytes\)$/ },
  },
  {
    name: 'a complete video, within the tolerance',
    file: 'complete.mp4',
    make: async (file) => {
      await makeTestClip(dir, file, { seconds: 3 });
    },
    expect: { streams: ['video', 'audio'], durationSec: 3.4, toleranceSec: 1.017 },
    outcome: { warnings: [] },
  },
  {
    name: 'a video longer than expected: complete, so a warning, not a failure',
    file: 'long.mp4',
    make: async (file) => {
      await makeTestClip(dir, file, { seconds: 6 });
    },
    expect: { streams: ['video'], durationSec: 3, toleranceSec: 1.015 },
    outcome: { warnings: ['OUTPUT_LONGER_THAN_EXPECTED'] },
  },
];

describe('verifyOutputs (real ffprobe)', () => {
  it.each(rows)(
    '$name',
    async (row) => {
      const local = row.file;
      await row.make(path.join(dir, local));
      const verifying = verifyOutputs({
        workDir: dir,
        manifest: [{ kind: 'video', path: local, contentType: 'video/mp4', primary: true, expect: row.expect }],
        ffprobePath: 'ffprobe',
        limits: { memoryMb: 512, cpuSeconds: 60 },
        signal: new AbortController().signal,
      });
      if ('code' in row.outcome) {
        const error: unknown = await verifying.then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(isAppError(error)).toBe(true);
        expect(error).toMatchObject({ code: row.outcome.code, retryable: false });
        expect((error as Error).message).toMatch(row.outcome.message);
      } else {
        const warnings = await verifying;
        expect(warnings.map((warning) => warning.code)).toEqual(row.outcome.warnings);
      }
    },
    30_000,
  );

  it('does not probe outputs that state no expectation: an empty SRT is a result', async () => {
    await writeFile(path.join(dir, 'transcript.srt'), '');
    expect((await stat(path.join(dir, 'transcript.srt'))).size).toBe(0);
    await expect(
      verifyOutputs({
        workDir: dir,
        manifest: [{ kind: 'srt', path: 'transcript.srt', contentType: 'application/x-subrip', primary: true }],
        ffprobePath: 'ffprobe',
        limits: {},
        signal: new AbortController().signal,
      }),
    ).resolves.toEqual([]);
  });
});

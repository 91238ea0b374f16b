import { createLogger } from '@mediaflow/domain';
import { expectedPartSize, partSizeFor } from './multipart-uploads';
import { openUploadId, sealUploadId, signPartToken, uploadKeys, verifyPartToken } from './upload-tokens';
import type { UploadState } from './upload-tokens';

const logger = createLogger({ level: 'error', service: 'upload-tokens-test' });
const keys = uploadKeys({ UPLOAD_SIGNING_SECRET: 'a'.repeat(32), PLAYBACK_SIGNING_SECRET: undefined }, logger);
const MiB = 1024 * 1024;

const state: UploadState = {
  bucket: 'mediaflow-input',
  key: 'uploads/0b6d2c31-0000-4000-8000-000000000000/clip.mp4',
  uploadId: 'opaque-s3-upload-id',
  owner: 'alice',
  size: 64 * MiB,
  contentType: 'video/mp4',
  partSize: 8 * MiB,
  createdAt: 1_700_000_000,
};

describe('upload ids', () => {
  it('round-trip, and hide what they carry', () => {
    const id = sealUploadId(keys, state);
    expect(openUploadId(keys, id)).toEqual(state);
    expect(Buffer.from(id, 'base64url').toString('latin1')).not.toContain('alice');
    expect(sealUploadId(keys, state)).not.toBe(id);
  });

  it('refuse any change, another secret, and junk', () => {
    const id = sealUploadId(keys, state);
    const bytes = Buffer.from(id, 'base64url');
    bytes[20] ^= 1;
    expect(openUploadId(keys, bytes.toString('base64url'))).toBeUndefined();
    const other = uploadKeys({ UPLOAD_SIGNING_SECRET: 'b'.repeat(32), PLAYBACK_SIGNING_SECRET: undefined }, logger);
    expect(openUploadId(other, id)).toBeUndefined();
    for (const junk of ['', 'tus', 'x'.repeat(5000), '../etc', `${id}=`])
      expect(openUploadId(keys, junk)).toBeUndefined();
  });

  it('derive the same keys from the same secret, whichever setting holds it', () => {
    const fromPlayback = uploadKeys(
      { UPLOAD_SIGNING_SECRET: undefined, PLAYBACK_SIGNING_SECRET: 'a'.repeat(32) },
      logger,
    );
    expect(openUploadId(fromPlayback, sealUploadId(keys, state))).toEqual(state);
  });
});

function codeOf(action: () => void): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('part tokens', () => {
  it('bind the upload, the part and the expiry', () => {
    const token = signPartToken(keys, 'id-1', 3, 2_000);
    expect(codeOf(() => verifyPartToken(keys, token, 'id-1', 3, 1_999))).toBeUndefined();
    expect(codeOf(() => verifyPartToken(keys, token, 'id-1', 3, 2_000))).toBe('UPLOAD_URL_EXPIRED');
    expect(codeOf(() => verifyPartToken(keys, token, 'id-1', 4, 1_000))).toBe('UPLOAD_URL_INVALID');
    expect(codeOf(() => verifyPartToken(keys, token, 'id-2', 3, 1_000))).toBe('UPLOAD_URL_INVALID');
    expect(codeOf(() => verifyPartToken(keys, undefined, 'id-1', 3, 1_000))).toBe('UPLOAD_URL_INVALID');
  });
});

describe('part sizes', () => {
  it('are at least 8 MiB, in whole MiB, and need at most 10,000 parts', () => {
    expect(partSizeFor(1)).toBe(8 * MiB);
    expect(partSizeFor(80_000 * MiB)).toBe(8 * MiB);
    expect(partSizeFor(80_001 * MiB)).toBe(9 * MiB);
    const huge = 5 * 1024 ** 4;
    expect(Math.ceil(huge / partSizeFor(huge))).toBeLessThanOrEqual(10_000);
    expect(expectedPartSize({ size: 20 * MiB, partSize: 8 * MiB }, 3)).toBe(4 * MiB);
    expect(expectedPartSize({ size: 16 * MiB, partSize: 8 * MiB }, 2)).toBe(8 * MiB);
  });
});

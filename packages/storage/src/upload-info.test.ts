import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalDiskObjectStore } from './local-object-store';
import { filenameMetadata, OWNER_METADATA_KEY, sourceFileName, uploadInfo } from './upload-info';

describe('an upload’s recorded file name', () => {
  let dir: string;
  let store: LocalDiskObjectStore;
  const bucket = 'mediaflow-input';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mediaflow-upload-info-'));
    store = new LocalDiskObjectStore(dir);
    await store.ensureBucket(bucket);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('survives the store as printable ASCII and names the outputs instead of the tus id', async () => {
    const ref = { bucket, key: 'uploads/tus/0123456789abcdef0123456789abcdef' };
    const metadata = { [OWNER_METADATA_KEY]: 'alice', ...filenameMetadata('résumé_日本語.mp4') };
    expect(Object.values(metadata).every((value) => /^[\x20-\x7e]*$/.test(value))).toBe(true);
    await store.put(ref, Buffer.from('x'), { contentType: 'video/mp4', metadata });

    const info = await uploadInfo(store, ref);
    expect(info).toMatchObject({ owner: 'alice', filename: 'résumé_日本語.mp4' });
    expect(sourceFileName(ref, info)).toBe('résumé_日本語.mp4');
  });

  it('falls back to the key’s last segment when no name was recorded, or the recorded one is not a name', async () => {
    const plain = { bucket, key: 'uploads/1f0c/holiday.mov' };
    await store.put(plain, Buffer.from('x'), { contentType: 'video/quicktime' });
    expect(sourceFileName(plain, await uploadInfo(store, plain))).toBe('holiday.mov');

    const forged = { bucket, key: 'uploads/tus/ffffffffffffffffffffffffffffffff' };
    await store.put(forged, Buffer.from('x'), {
      contentType: 'video/mp4',
      metadata: { filename: encodeURIComponent('../../etc/passwd') },
    });
    const info = await uploadInfo(store, forged);
    expect(info?.filename).toBeUndefined();
    expect(sourceFileName(forged, info)).toBe('ffffffffffffffffffffffffffffffff');

    const malformed = { bucket, key: 'uploads/tus/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee' };
    await store.put(malformed, Buffer.from('x'), { contentType: 'video/mp4', metadata: { filename: '%E0%A4%A' } });
    expect((await uploadInfo(store, malformed))?.filename).toBeUndefined();
  });
});

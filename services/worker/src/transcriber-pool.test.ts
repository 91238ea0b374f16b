import { Transcriber } from '@mediaflow/media';
import type { Transcript, TranscriptionRequest } from '@mediaflow/media';
import { TranscriberPool } from './transcriber-pool';

/** A stand-in engine whose requests finish when the test says so. */
class HeldTranscriber extends Transcriber {
  readonly pending: { request: TranscriptionRequest; finish: () => void }[] = [];
  closed = false;

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    return new Promise((resolve) => {
      this.pending.push({
        request,
        finish: () => resolve({ language: 'en', durationSec: 1, model: request.model, segments: [] }),
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

describe('TranscriberPool', () => {
  it('makes transcribers only as requests overlap, up to its size, and reuses idle ones', async () => {
    const made: HeldTranscriber[] = [];
    const pool = new TranscriberPool(2, () => {
      const transcriber = new HeldTranscriber();
      made.push(transcriber);
      return transcriber;
    });
    expect(pool.created).toBe(0);

    const first = pool.transcribe({ audioPath: '/a.wav', model: 'base' });
    await settle();
    made[0].pending[0].finish();
    await first;
    const second = pool.transcribe({ audioPath: '/b.wav', model: 'base' });
    await settle();
    expect(made).toHaveLength(1);

    const third = pool.transcribe({ audioPath: '/c.wav', model: 'base' });
    const fourth = pool.transcribe({ audioPath: '/d.wav', model: 'base' });
    await settle();
    expect(made).toHaveLength(2);
    expect(made.map((transcriber) => transcriber.pending.length)).toEqual([3, 1]);

    for (const transcriber of made) for (const { finish } of transcriber.pending) finish();
    await Promise.all([second, third, fourth]);

    await pool.close();
    expect(made.every((transcriber) => transcriber.closed)).toBe(true);
    await expect(pool.transcribe({ audioPath: '/e.wav', model: 'base' })).rejects.toMatchObject({
      code: 'OPERATION_NOT_AVAILABLE',
    });
  });

  it('refuses a size below one', () => {
    expect(() => new TranscriberPool(0, () => new HeldTranscriber())).toThrow(RangeError);
  });
});

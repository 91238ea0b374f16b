import { AppError } from '@mediaflow/domain';
import { Transcriber } from '@mediaflow/media';
import type { Transcript, TranscriptionRequest } from '@mediaflow/media';

interface Member {
  transcriber: Transcriber;
  busy: number;
}

/**
 * Up to `size` transcribers, made on demand. A faster-whisper helper works on
 * one request at a time, so running N at once takes N of them; each request
 * goes to an idle one, a new one while there are fewer than `size`, else the
 * least busy (where it waits its turn). Callers bound their own concurrency
 * (the worker's transcription slots); this only spreads the work.
 */
export class TranscriberPool extends Transcriber {
  private readonly members: Member[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly create: () => Transcriber,
  ) {
    super();
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be >= 1, got ${size}`);
  }

  /** How many transcribers have been made so far. */
  get created(): number {
    return this.members.length;
  }

  async transcribe(request: TranscriptionRequest): Promise<Transcript> {
    if (this.closed) throw new AppError('OPERATION_NOT_AVAILABLE', 'the transcriber has been closed');
    const member = this.pick();
    member.busy += 1;
    try {
      return await member.transcriber.transcribe(request);
    } finally {
      member.busy -= 1;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.members.map(async (member) => member.transcriber.close()));
  }

  private pick(): Member {
    const idle = this.members.find((member) => member.busy === 0);
    if (idle) return idle;
    if (this.members.length < this.size) {
      const member = { transcriber: this.create(), busy: 0 };
      this.members.push(member);
      return member;
    }
    return this.members.reduce((least, member) => (member.busy < least.busy ? member : least));
  }
}

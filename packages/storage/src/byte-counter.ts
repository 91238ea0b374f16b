import { Transform } from 'node:stream';
import type { TransformCallback } from 'node:stream';

/** Passes bytes through unchanged and counts them: the size of a body of unknown length. */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }
}

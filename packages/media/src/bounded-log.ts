/**
 * Keeps a process's stderr within a byte budget: the head (how FFmpeg read the
 * input and set up the encoders) and the tail (why it stopped) are what a
 * post-mortem needs; the middle of a long run is mostly repetition.
 */
export class BoundedLog {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private omittedBytes = 0;
  private readonly headLimit: number;
  private readonly tailLimit: number;

  constructor(limitBytes: number) {
    this.headLimit = Math.floor(limitBytes / 2);
    this.tailLimit = limitBytes - this.headLimit;
  }

  append(chunk: Buffer): void {
    let rest = chunk;
    if (this.headBytes < this.headLimit) {
      const taken = rest.subarray(0, this.headLimit - this.headBytes);
      this.head.push(taken);
      this.headBytes += taken.length;
      rest = rest.subarray(taken.length);
    }
    if (rest.length === 0) return;
    this.tail.push(rest);
    this.tailBytes += rest.length;
    this.trimTail();
  }

  toString(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (this.omittedBytes === 0) return head + tail;
    return `${head}\n[... ${this.omittedBytes} bytes of log omitted ...]\n${tail}`;
  }

  /** The end of the log, whatever was omitted before it. */
  tailText(): string {
    if (this.omittedBytes === 0) return Buffer.concat([...this.head, ...this.tail]).toString('utf8');
    return Buffer.concat(this.tail).toString('utf8');
  }

  private trimTail(): void {
    while (this.tailBytes > this.tailLimit) {
      const first = this.tail[0];
      const excess = this.tailBytes - this.tailLimit;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.omittedBytes += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.omittedBytes += excess;
      }
    }
  }
}

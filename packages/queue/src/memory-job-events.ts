import { JobChangeFeed, JobChangePublisher } from './job-events';
import type { FeedStart, JobChange, SequencedJobChange } from './job-events';

/**
 * The change feed inside one process (embedded mode, QUEUE_BACKEND=memory):
 * the API and the worker share it, so no broker is needed. Changes are
 * numbered as they are published and kept (the last `keep`) so a feed
 * started later can begin with a backlog, as a Kafka reader does. Nothing
 * survives a restart: a client resuming after one gets a fresh snapshot.
 */
export class InProcessJobChanges {
  readonly publisher: JobChangePublisher;
  private readonly recent: SequencedJobChange[] = [];
  private readonly feeds = new Set<InProcessJobChangeFeed>();
  private seq = 0;

  constructor(private readonly keep = 1_000) {
    this.publisher = new InProcessJobChangePublisher(this);
  }

  createFeed(): JobChangeFeed {
    return new InProcessJobChangeFeed(this);
  }

  /** The last seq handed out (0: none). */
  get last(): number {
    return this.seq;
  }

  append(change: JobChange): void {
    this.seq += 1;
    // A copy: the publisher's caller may go on mutating its object.
    const sequenced: SequencedJobChange = { ...structuredClone(change), seq: this.seq };
    this.recent.push(sequenced);
    if (this.recent.length > this.keep) this.recent.shift();
    // Later, not inside the transition that published it, as with a broker.
    queueMicrotask(() => {
      for (const feed of this.feeds) feed.deliver(sequenced);
    });
  }

  attach(feed: InProcessJobChangeFeed, backlog: number): SequencedJobChange[] {
    this.feeds.add(feed);
    return this.recent.slice(Math.max(0, this.recent.length - backlog));
  }

  detach(feed: InProcessJobChangeFeed): void {
    this.feeds.delete(feed);
  }
}

class InProcessJobChangePublisher extends JobChangePublisher {
  private closed = false;

  constructor(private readonly bus: InProcessJobChanges) {
    super();
  }

  async init(): Promise<void> {}

  publish(change: JobChange): void {
    if (!this.closed) this.bus.append(change);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.resolve();
  }
}

class InProcessJobChangeFeed extends JobChangeFeed {
  private options: FeedStart | undefined;
  private handed = 0;

  constructor(private readonly bus: InProcessJobChanges) {
    super();
  }

  async start(options: FeedStart): Promise<void> {
    this.options = options;
    const backlog = this.bus.attach(this, options.backlog);
    this.handed = backlog.length > 0 ? backlog[0].seq - 1 : this.bus.last;
    options.onStart?.(this.handed);
    for (const change of backlog) this.deliver(change);
    await Promise.resolve();
  }

  get position(): number {
    return this.handed;
  }

  deliver(change: SequencedJobChange): void {
    // A change already handed over (in the backlog and queued for delivery at once) is not handed over twice.
    if (!this.options || change.seq <= this.handed) return;
    this.handed = change.seq;
    this.options.onChange(change);
  }

  async stop(): Promise<void> {
    this.bus.detach(this);
    this.options = undefined;
    await Promise.resolve();
  }
}

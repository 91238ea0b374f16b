import DataLoader from 'dataloader';

/** Writes a batch; resolves to one result per item, in order, or rejects for the whole batch. */
export type BatchWrite<I, O> = (items: readonly I[]) => Promise<readonly O[]>;

export interface GroupCommitOptions {
  /**
   * Batches that may be in flight at once (≥ 1). While all are in flight,
   * new items wait and leave together in the next batch: that wait is what
   * makes batches grow with the load, and nothing ever waits on a timer.
   */
  maxInFlight: number;
  /** Most items in one batch; more wait for the next. Default 500. */
  maxBatch?: number;
}

/**
 * Group commit (as databases do for their logs): callers write one item
 * each, concurrent items share one write, and each caller is answered when
 * the write that carried its item is done, with its own result or the
 * batch's error.
 *
 * At low load an item leaves on the next tick on its own, so latency does not
 * grow; under load, items arriving while `maxInFlight` writes are out gather
 * into the next one. Built on DataLoader (cache off), whose batch scheduling
 * hook holds a batch open until a slot frees.
 */
export class GroupCommit<I, O> {
  private readonly loader: DataLoader<I, O, I>;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(write: BatchWrite<I, O>, options: GroupCommitOptions) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new RangeError('maxInFlight must be a positive integer');
    }
    const maxInFlight = options.maxInFlight;
    this.loader = new DataLoader<I, O, I>(
      async (items) => {
        try {
          const results = await write(items);
          if (results.length !== items.length) {
            throw new Error(`a batch write returned ${results.length} results for ${items.length} items`);
          }
          return results;
        } finally {
          this.release();
        }
      },
      {
        cache: false,
        // A full batch closes and the next item opens a new one, with a schedule call (and a slot) of its own.
        maxBatchSize: options.maxBatch ?? 500,
        batchScheduleFn: (dispatch) => {
          if (this.inFlight < maxInFlight) {
            this.inFlight += 1;
            // Let the items of this tick join before the batch leaves.
            process.nextTick(dispatch);
          } else {
            this.waiting.push(dispatch);
          }
        },
      },
    );
  }

  /** Writes one item with whichever batch leaves next; resolves to its result. */
  async write(item: I): Promise<O> {
    return this.loader.load(item);
  }

  /** Batches in flight now (for tests and metrics). */
  get batchesInFlight(): number {
    return this.inFlight;
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) {
      // The slot passes straight to the oldest waiting batch.
      next();
    } else {
      this.inFlight -= 1;
    }
  }
}

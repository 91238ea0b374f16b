import { AppError, isAppError } from '@mediaflow/domain';

interface Waiter {
  grant: () => void;
}

/**
 * At most `capacity` holders at a time; the rest wait in arrival order. Used
 * to keep heavy work (speech recognition) from piling onto the worker's
 * cores whatever else it is doing. A waiter whose signal aborts leaves the
 * line without taking a slot.
 */
export class Semaphore {
  private held = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be >= 1, got ${capacity}`);
  }

  get inUse(): number {
    return this.held;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with the function that gives the slot back; calling it twice gives back one slot. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw stoppedWhileWaiting(signal);
    if (this.held < this.capacity && this.waiters.length === 0) {
      this.held += 1;
      return this.releaser();
    }
    return new Promise<() => void>((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.held += 1;
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at !== -1) this.waiters.splice(at, 1);
        reject(stoppedWhileWaiting(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Runs `task` holding a slot, and gives the slot back however it ends. */
  async use<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await task();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
      const next = this.waiters.shift();
      next?.grant();
    };
  }
}

function stoppedWhileWaiting(signal: AbortSignal | undefined): AppError {
  const reason: unknown = signal?.reason;
  if (isAppError(reason)) return reason;
  return new AppError('JOB_ABORTED', 'stopped while waiting for a free slot', { cause: reason });
}

import { AppError } from '@mediaflow/domain';

/** Counts an owner's queued + processing jobs (JobLifecycle.countActive: an index read, O(active)). */
export type CountActive = (owner: string) => Promise<number>;

export interface ActiveJobQuotaOptions {
  /** Cap on one owner's queued + processing jobs. */
  limit: number;
  /** How long a count is trusted for owners well below the cap (ms). Default 1000. */
  freshForMs?: number;
  /** The clock (ms); tests pass their own. */
  now?: () => number;
}

interface OwnerCount {
  /** What the database counted. */
  counted: number;
  /** Submits this replica let through since, which the count cannot include yet. */
  admittedSince: number;
  countedAtMs: number;
}

/**
 * The per-key cap on work in flight (MAX_ACTIVE_JOBS_PER_KEY), without a
 * database count on every submit: an owner's count is reused for
 * `freshForMs`, plus what this replica admitted since, and refreshed in the
 * background once older (no submit waits for it); an owner whose
 * estimate reaches the cap is counted afresh before being refused, so a job
 * that just finished frees its place at once. Concurrent counts of one
 * owner share one query.
 *
 * Like any cap checked apart from the write, it is approximate across
 * replicas: each replica's estimate includes only its own recent admissions,
 * so during one `freshForMs` window R replicas can together admit up to R
 * times the room the last count left. The cap bounds abuse; it is not an
 * exact ledger.
 */
export class ActiveJobQuota {
  private readonly owners = new Map<string, OwnerCount>();
  private readonly counting = new Map<string, Promise<OwnerCount>>();
  private readonly freshForMs: number;
  private readonly now: () => number;

  constructor(
    private readonly count: CountActive,
    private readonly options: ActiveJobQuotaOptions,
  ) {
    this.freshForMs = options.freshForMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /**
   * Admits one more job for `owner`, or refuses.
   *
   * @throws AppError QUOTA_EXCEEDED (429) when the owner's active jobs reach the cap, with `details.limit`.
   * @throws AppError DATABASE_ERROR (503) when the count fails.
   */
  async admit(owner: string): Promise<void> {
    let state = this.owners.get(owner);
    if (!state) {
      state = await this.recount(owner);
    } else if (this.now() - state.countedAtMs > this.freshForMs) {
      // Stale: admit on the estimate and refresh it in the background, so
      // no submit waits for a count while the owner is well below the cap.
      this.recount(owner).catch(() => undefined);
    }
    if (state.counted + state.admittedSince >= this.options.limit && state.admittedSince > 0) {
      // Refuse only on a fresh count: the estimate may include jobs that finished since.
      state = await this.recount(owner);
    }
    const active = state.counted + state.admittedSince;
    if (active >= this.options.limit) {
      throw new AppError('QUOTA_EXCEEDED', `this key already has ${active} queued or processing jobs`, {
        details: { limit: this.options.limit },
      });
    }
    state.admittedSince += 1;
    this.forgetIdle();
  }

  /** A submit that was admitted but never stored gives its place back. */
  giveBack(owner: string): void {
    const state = this.owners.get(owner);
    if (state && state.admittedSince > 0) state.admittedSince -= 1;
  }

  private async recount(owner: string): Promise<OwnerCount> {
    const running = this.counting.get(owner);
    if (running) return running;
    const startedMs = this.now();
    const admittedBefore = this.owners.get(owner)?.admittedSince ?? 0;
    const counting = this.count(owner)
      .then((counted) => {
        // What this replica admitted while the count ran may be missing from it: keep those.
        const admittedSince = Math.max(0, (this.owners.get(owner)?.admittedSince ?? 0) - admittedBefore);
        const state: OwnerCount = { counted, admittedSince, countedAtMs: startedMs };
        this.owners.set(owner, state);
        return state;
      })
      .finally(() => this.counting.delete(owner));
    this.counting.set(owner, counting);
    return counting;
  }

  /** Keeps the map to the owners seen lately. */
  private forgetIdle(): void {
    if (this.owners.size < 10_000) return;
    const cutoff = this.now() - this.freshForMs;
    for (const [owner, state] of this.owners) if (state.countedAtMs < cutoff) this.owners.delete(owner);
  }
}

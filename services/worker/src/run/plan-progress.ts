import type { ProgressSnapshot } from '../progress-reporter';

/** One step's own progress report: percent of that step (0–100), and FFmpeg-style speed/ETA when known. */
export interface StepProgress {
  percent: number;
  /** Media seconds per wall-clock second (FFmpeg's "speed=2.3x"). */
  speed?: number;
  /** Seconds this step still needs. */
  etaSeconds?: number;
}

/**
 * The job's progress over several steps: each step's percent weighted by
 * its share of the plan's total weight. Speed is the running step's. The ETA
 * is the running step's remaining time plus the later steps' expected time,
 * which is estimated from the running step's pace per unit of weight. So a
 * one-step plan reports exactly its step's figures.
 */
export class PlanProgress {
  private readonly offsets: number[];
  private readonly total: number;
  private readonly stepStartedAt: number[] = [];

  constructor(
    private readonly weights: readonly number[],
    private readonly now: () => number = Date.now,
  ) {
    this.total = weights.reduce((sum, weight) => sum + weight, 0) || 1;
    let offset = 0;
    this.offsets = weights.map((weight) => {
      const start = offset;
      offset += weight;
      return start;
    });
  }

  /** Marks the step as begun (for pacing) and returns the job's progress at its start. */
  begin(index: number): ProgressSnapshot {
    this.stepStartedAt[index] = this.now();
    return { percent: (this.offsets[index] / this.total) * 100 };
  }

  /** The job's snapshot for a progress report of step `index`. */
  report(index: number, step: StepProgress): ProgressSnapshot {
    const weight = this.weights[index];
    const fraction = Math.min(100, Math.max(0, Number.isFinite(step.percent) ? step.percent : 0)) / 100;
    const snapshot: ProgressSnapshot = { percent: ((this.offsets[index] + weight * fraction) / this.total) * 100 };
    if (step.speed !== undefined) snapshot.speed = step.speed;
    if (step.etaSeconds !== undefined) {
      const laterWeight = this.total - this.offsets[index] - weight;
      let later = 0;
      if (laterWeight > 0) {
        // This step's expected whole duration, by what it took so far plus what it says is left.
        const elapsedSec = (this.now() - (this.stepStartedAt[index] ?? this.now())) / 1000;
        const stepTotalSec = elapsedSec + step.etaSeconds;
        later = weight > 0 ? (stepTotalSec / weight) * laterWeight : 0;
      }
      snapshot.etaSeconds = step.etaSeconds + later;
    }
    return snapshot;
  }
}

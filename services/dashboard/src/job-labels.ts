/** How a job is named on the pages: its operation or chain of operations, its source or sources, its steps' states. */
import { baseName, humanize } from './format';
import type { JobView } from './types';

/** A multi-step job's chain: two steps or more (a chain of one reads like any other job). */
export function isMultiStep(job: Pick<JobView, 'steps'>): boolean {
  return (job.steps?.length ?? 0) > 1;
}

/**
 * `Compress`, or for a multi-step job its chain in order: `Concat → grayscale`,
 * named after its preset when it had one: `Meeting recording: concat → transcribe`.
 */
export function operationsLabel(job: Pick<JobView, 'method_name' | 'steps' | 'preset'>): string {
  const names = job.steps && job.steps.length > 0 ? job.steps.map((step) => step.method_name) : [job.method_name];
  const chain = names.join(' → ');
  return job.preset ? `${humanize(job.preset)}: ${chain}` : humanize(chain);
}

/** Every input in order: `sources` for a job submitted with several, else its one `source`. */
export function sourcesOf(job: Pick<JobView, 'source' | 'sources'>): string[] {
  return job.sources && job.sources.length > 0 ? job.sources : [job.source];
}

/** `clip.mp4`, or for several sources `part-1.webm and 3 more`. */
export function sourcesLabel(job: Pick<JobView, 'source' | 'sources'>): string {
  const all = sourcesOf(job);
  const first = baseName(all[0] ?? '');
  return all.length > 1 ? `${first} and ${all.length - 1} more` : first;
}

export type StepState = 'done' | 'running' | 'waiting' | 'failed' | 'cancelled' | 'not run';

/**
 * Each step's state, from the job's status and its finished steps: the first
 * unfinished step is the one running (or that failed, or was cancelled); the
 * ones after it wait, or, once the job failed, did not run.
 */
export function stepStates(job: Pick<JobView, 'status' | 'steps' | 'completed_steps'>): StepState[] {
  const steps = job.steps ?? [];
  const done = new Set(job.completed_steps ?? []);
  const current = steps.findIndex((_step, index) => !done.has(index));
  return steps.map((_step, index): StepState => {
    if (job.status === 'completed' || done.has(index)) return 'done';
    switch (job.status) {
      case 'processing':
        return index === current ? 'running' : 'waiting';
      case 'failed':
        return index === current ? 'failed' : 'not run';
      case 'cancelled':
        return 'cancelled';
      default:
        return 'waiting';
    }
  });
}

/** The badge's colour class for a step's state (its text says the same). */
export function stepBadgeClass(state: StepState): string {
  switch (state) {
    case 'done':
      return 'badge-completed';
    case 'running':
      return 'badge-processing';
    case 'failed':
    case 'cancelled':
      return 'badge-failed';
    default:
      return 'badge-waiting';
  }
}

import { api } from './api';
import type { JobView } from './types';

/**
 * Server-Sent Events from GET /events (all of the viewer's jobs) or
 * GET /jobs/{id}/events (one job). EventSource sends no Authorization header,
 * so each connection gets a short-lived token from POST /events/token first.
 * The browser's own reconnect would reuse a stale token, so on an error the
 * stream is closed and opened again here with a fresh token and the last
 * event id (`last_event_id`), after a growing delay.
 */

/** The `deleted` event's data: the job's id only, its fields are gone. */
export interface DeletedJob {
  job_id: string;
  deleted_at: string;
}

export interface StreamHandlers {
  /** Per-job stream: the job; /events: the viewer's active jobs. */
  snapshot?: (jobs: JobView[]) => void;
  update: (job: JobView) => void;
  /** Per-job stream only: the job reached a terminal status and the stream ended. */
  end?: (job: JobView) => void;
  /** A job was deleted (elsewhere too); on a per-job stream this is its last event. */
  deleted?: (job: DeletedJob) => void;
  /** Whether the stream is connected, for a "live" indicator. */
  connected?: (live: boolean) => void;
}

const MAX_DELAY_MS = 30_000;

/** Opens a stream; call the returned function to close it for good. */
export function subscribe(path: '/events' | `/jobs/${string}/events`, handlers: StreamHandlers): () => void {
  let source: EventSource | undefined;
  let lastEventId: string | undefined;
  let closed = false;
  let ended = false;
  let delay = 1000;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const parse = (event: MessageEvent<unknown>): unknown => {
    if (event.lastEventId) lastEventId = event.lastEventId;
    return typeof event.data === 'string' ? (JSON.parse(event.data) as unknown) : undefined;
  };

  const schedule = (): void => {
    if (closed || ended) return;
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  };

  async function connect(): Promise<void> {
    if (closed) return;
    let token: string;
    try {
      token = (await api<{ token: string }>('/events/token', { method: 'POST' })).token;
    } catch {
      handlers.connected?.(false);
      schedule();
      return;
    }
    if (closed) return;
    const query = new URLSearchParams({ token });
    if (lastEventId !== undefined) query.set('last_event_id', lastEventId);
    const stream = new EventSource(`${path}?${query.toString()}`);
    source = stream;
    stream.onopen = () => {
      delay = 1000;
      handlers.connected?.(true);
    };
    stream.addEventListener('snapshot', (event) => {
      const data = parse(event);
      if (data && typeof data === 'object' && 'jobs' in data) handlers.snapshot?.((data as { jobs: JobView[] }).jobs);
      else handlers.snapshot?.([data as JobView]);
    });
    stream.addEventListener('update', (event) => handlers.update(parse(event) as JobView));
    stream.addEventListener('end', (event) => {
      ended = true;
      const job = parse(event) as JobView;
      handlers.update(job);
      handlers.end?.(job);
      stream.close();
    });
    stream.addEventListener('deleted', (event) => {
      const deleted = parse(event) as DeletedJob;
      if (path !== '/events') {
        ended = true;
        stream.close();
      }
      handlers.deleted?.(deleted);
    });
    stream.onerror = () => {
      stream.close();
      if (source === stream) source = undefined;
      handlers.connected?.(false);
      schedule();
    };
  }

  void connect();
  return () => {
    closed = true;
    if (timer !== undefined) clearTimeout(timer);
    source?.close();
  };
}

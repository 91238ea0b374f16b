import { AppError } from '@mediaflow/domain';

/**
 * Event ids of the SSE streams. A change's id is its place in the job change
 * feed (`seq`, the same on every API replica: see @mediaflow/queue
 * job-events.ts), so `Last-Event-ID` means the same wherever the client
 * reconnects. An event the stream makes itself (the snapshot, an `end` the
 * stream found in the database rather than in the feed) is numbered after
 * the feed position it reflects: `<seq>` for a snapshot, `<seq>.<n>` for the
 * n-th such event after it. Ids of one stream only ever increase:
 * `41` < `41.1` < `41.2` < `42`. Clients treat them as opaque strings.
 */
export interface EventId {
  /** Feed position: the stream has sent (or found old) every change up to this seq. */
  seq: number;
  /** 0 for a change or a snapshot; 1, 2, ... for events the stream made after `seq`. */
  n: number;
}

const ID_PATTERN = /^(0|[1-9][0-9]{0,14})(?:\.([1-9][0-9]{0,8}))?$/;

export function formatEventId(id: EventId): string {
  return id.n === 0 ? String(id.seq) : `${id.seq}.${id.n}`;
}

/**
 * @param text A `Last-Event-ID` header or `last_event_id` query value.
 * @throws AppError VALIDATION_FAILED (400) for anything this API never sent as an id.
 */
export function parseEventId(text: string): EventId {
  const match = ID_PATTERN.exec(text.trim());
  if (!match) {
    throw new AppError('VALIDATION_FAILED', 'Last-Event-ID (or last_event_id) is not an event id this API sent', {
      details: { fields: [{ path: 'last_event_id', message: 'expected <number> or <number>.<number>' }] },
    });
  }
  return { seq: Number(match[1]), n: match[2] === undefined ? 0 : Number(match[2]) };
}

/** Negative, zero or positive as `a` comes before, with or after `b`. */
export function compareEventIds(a: EventId, b: EventId): number {
  return a.seq === b.seq ? a.n - b.n : a.seq - b.seq;
}

/** The id of an event a stream makes itself, after the last one it sent, at feed position `position`. */
export function nextOwnEventId(last: EventId | undefined, position: number): EventId {
  if (last === undefined || position > last.seq) return { seq: position, n: 1 };
  return { seq: last.seq, n: last.n + 1 };
}

import path from 'node:path';

/**
 * kafkajs 2.2.4's request queue (src/network/requestQueue/index.js,
 * scheduleCheckPendingRequests) computes its next check as
 * `throttledUntil - Date.now()`, and `throttledUntil` starts at -1, so with no
 * broker throttling it calls setTimeout with about -1.8e12 ms after each
 * response. Node always clamped that to 1 ms; Node 24 also emits a
 * TimeoutNegativeWarning ("Timeout duration was set to 1"). The timer then
 * runs a check of an empty queue 1 ms later, exactly as on earlier Node
 * versions: the warning is noise, not a fault.
 *
 * Only that warning, raised from that file, is dropped; a negative timeout
 * elsewhere (our code included) still warns. Node warns once per process,
 * though, so once kafkajs's has been dropped a later one of ours is silent
 * too: Node's own rule, not this filter's.
 */
const KAFKAJS_REQUEST_QUEUE = ['kafkajs', 'src', 'network', 'requestQueue'].join(path.sep);

let installed = false;

function warningType(warning: string | Error, options: unknown): string | undefined {
  if (warning instanceof Error) return warning.name;
  if (typeof options === 'string') return options;
  if (typeof options === 'object' && options !== null && 'type' in options && typeof options.type === 'string') {
    return options.type;
  }
  return undefined;
}

/** True for the one warning dropped: a TimeoutNegativeWarning raised while kafkajs's request queue called setTimeout. */
export function isKafkajsNegativeTimeoutWarning(type: string | undefined, stack: string): boolean {
  return type === 'TimeoutNegativeWarning' && stack.includes(KAFKAJS_REQUEST_QUEUE);
}

export function ignoreKafkajsNegativeTimeoutWarning(): void {
  if (installed) return;
  installed = true;
  const emitWarning = process.emitWarning.bind(process);
  const filtered = (warning: string | Error, ...rest: unknown[]): void => {
    // Node emits this warning synchronously inside setTimeout, so the caller is on the stack.
    if (isKafkajsNegativeTimeoutWarning(warningType(warning, rest[0]), new Error().stack ?? '')) return;
    Reflect.apply(emitWarning, process, [warning, ...rest]);
  };
  process.emitWarning = filtered;
}

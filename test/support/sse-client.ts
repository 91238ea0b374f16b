import http from 'node:http';

/** One Server-Sent Event as the client received it. */
export interface SseEvent {
  /** The `id:` field; undefined when the event had none. */
  id?: string;
  /** The `event:` field; `message` when absent (as EventSource does). */
  event: string;
  data: string;
  /** When it arrived (Date.now()). */
  at: number;
}

/**
 * Parses a text/event-stream body per the WHATWG HTML "event stream
 * interpretation": lines split on CRLF, LF or CR; `field: value` (one space
 * after the colon dropped); a blank line dispatches; `:` lines are comments.
 */
export class SseParser {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  retryMs: number | undefined;
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  private hasFields = false;

  constructor(private readonly onEvent: (event: SseEvent) => void = () => undefined) {}

  push(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\n|\r/.exec(this.buffer);
      // A lone CR at the end may be the first half of a CRLF: wait for more.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) return;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.hasFields && this.data.length > 0) {
        const event: SseEvent = {
          ...(this.id === undefined ? {} : { id: this.id }),
          event: this.event || 'message',
          data: this.data.join('\n'),
          at: Date.now(),
        };
        this.events.push(event);
        this.onEvent(event);
      }
      this.event = '';
      this.data = [];
      this.hasFields = false;
      this.id = undefined;
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line.slice(1).trimStart());
      return;
    }
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.hasFields = true;
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
  }
}

/** An open event stream: the response's status and headers, and its events as they come. */
export class SseConnection {
  readonly parser: SseParser;
  status = 0;
  headers: http.IncomingHttpHeaders = {};
  /** The body when the answer was not a stream (an error). */
  body = '';
  /** Resolves when the server ends the response (or the connection drops). */
  readonly closed: Promise<void>;
  private readonly request: http.ClientRequest;
  private readonly waiters = new Set<() => void>();
  private finished = false;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.parser = new SseParser(() => this.wake());
    let done!: () => void;
    this.closed = new Promise<void>((resolve) => (done = resolve));
    const finish = (): void => {
      this.finished = true;
      done();
      this.wake();
    };
    this.request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      this.status = response.statusCode ?? 0;
      this.headers = response.headers;
      response.setEncoding('utf8');
      const streaming = (response.headers['content-type'] ?? '').startsWith('text/event-stream');
      response.on('data', (chunk: string) => {
        if (streaming) this.parser.push(chunk);
        else this.body += chunk;
      });
      response.on('end', finish);
      response.on('close', finish);
      response.on('error', finish);
      this.wake();
    });
    this.request.on('error', finish);
  }

  get events(): SseEvent[] {
    return this.parser.events;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** Resolves once the response headers are in. */
  async opened(timeoutMs = 15_000): Promise<void> {
    await this.until(() => this.status !== 0 || this.finished, timeoutMs, 'the response headers');
  }

  /** The first event (from index `from` on) that `match` accepts, waiting up to `timeoutMs` for it. */
  async waitForEvent(match: (event: SseEvent) => boolean, timeoutMs = 60_000, from = 0): Promise<SseEvent> {
    let found: SseEvent | undefined;
    await this.until(
      () => {
        found = this.events.slice(from).find(match);
        return found !== undefined || this.finished;
      },
      timeoutMs,
      'an event',
    );
    if (!found) throw new Error(`the stream ended without the event; got: ${this.describe()}`);
    return found;
  }

  /** Closes the connection from the client's side (a disconnect). */
  close(): void {
    this.request.destroy();
  }

  describe(): string {
    return this.events.map((event) => `${event.id ?? '-'} ${event.event} ${event.data.slice(0, 120)}`).join('\n');
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got: ${this.describe()}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}

/** Event ids of mediaflow's streams: `<seq>` or `<seq>.<n>`, ordered by seq then n. */
export function compareSseIds(a: string, b: string): number {
  const [aSeq, aN = '0'] = a.split('.');
  const [bSeq, bN = '0'] = b.split('.');
  return Number(aSeq) - Number(bSeq) || Number(aN) - Number(bN);
}

/**
 * Splits a child's stdout into JSON values, one per line. A line that is not
 * JSON is handed back as text rather than thrown: a helper that prints a stray
 * warning must not bring the reader down.
 */
export type JsonLine = { kind: 'json'; value: unknown } | { kind: 'text'; text: string };

export class JsonLineDecoder {
  private buffer = '';
  private discarding = false;

  constructor(private readonly maxLineChars = 64 * 1024 * 1024) {}

  push(chunk: string): JsonLine[] {
    const lines: JsonLine[] = [];
    let rest = this.buffer + chunk;
    let newline = rest.indexOf('\n');
    while (newline !== -1) {
      const line = rest.slice(0, newline);
      rest = rest.slice(newline + 1);
      if (this.discarding) this.discarding = false;
      else this.decode(line, lines);
      newline = rest.indexOf('\n');
    }
    if (rest.length > this.maxLineChars) {
      // Keeps memory bounded; the rest of that line is dropped when it ends.
      lines.push({
        kind: 'text',
        text: `${rest.slice(0, 200)}… [line longer than ${this.maxLineChars} characters dropped]`,
      });
      rest = '';
      this.discarding = true;
    }
    this.buffer = rest;
    return lines;
  }

  /** Whatever followed the last newline, once the stream has ended. */
  flush(): JsonLine[] {
    const lines: JsonLine[] = [];
    if (!this.discarding) this.decode(this.buffer, lines);
    this.buffer = '';
    this.discarding = false;
    return lines;
  }

  private decode(rawLine: string, into: JsonLine[]): void {
    const line = rawLine.trim();
    if (line === '') return;
    try {
      into.push({ kind: 'json', value: JSON.parse(line) as unknown });
    } catch {
      into.push({ kind: 'text', text: line });
    }
  }
}

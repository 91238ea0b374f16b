import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { BoundedLog } from '../bounded-log';
import { JsonLineDecoder } from './json-lines';
import { parseHelperEvent } from './whisper-protocol';
import type { HelperEvent, HelperRequest } from './whisper-protocol';

export interface HelperExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: NodeJS.ErrnoException;
  stderrTail: string;
}

export interface WhisperHelperOptions {
  pythonPath: string;
  scriptPath: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  onEvent: (event: HelperEvent) => void;
  /** Output lines that are not protocol events, and stderr lines. */
  onOutput: (stream: 'stdout' | 'stderr', line: string) => void;
}

/** How long the helper gets after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 2000;

/**
 * One transcribe.py process: writes request lines, reads event lines, keeps
 * the end of stderr for post-mortems. `exited` resolves exactly once, whether
 * the process ended, was killed, or never started.
 */
export class WhisperHelperProcess {
  readonly exited: Promise<HelperExit>;
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly stderr = new BoundedLog(64 * 1024);
  private gone = false;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(options: WhisperHelperOptions) {
    this.child = spawn(options.pythonPath, [options.scriptPath, ...options.args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
    });

    const decoder = new JsonLineDecoder();
    const deliver = (lines: ReturnType<JsonLineDecoder['push']>): void => {
      for (const line of lines) {
        const event = line.kind === 'json' ? parseHelperEvent(line.value) : undefined;
        if (event) options.onEvent(event);
        else options.onOutput('stdout', line.kind === 'json' ? JSON.stringify(line.value) : line.text);
      }
    };
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => deliver(decoder.push(chunk)));

    let stderrPartial = '';
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr.append(chunk);
      const lines = (stderrPartial + chunk.toString('utf8')).split('\n');
      stderrPartial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') options.onOutput('stderr', line);
    });
    // A helper that died mid-write must not turn into an unhandled EPIPE.
    this.child.stdin.on('error', () => undefined);

    this.exited = new Promise<HelperExit>((resolve) => {
      const finish = (exit: Omit<HelperExit, 'stderrTail'>): void => {
        if (this.gone) return;
        this.gone = true;
        clearTimeout(this.killTimer);
        deliver(decoder.flush());
        resolve({ ...exit, stderrTail: this.stderr.tailText() });
      };
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        // Only a failed spawn ends things here; kill() errors on a live child do not.
        if (this.child.pid === undefined) finish({ code: null, signal: null, spawnError: error });
      });
      this.child.on('close', (code, signal) => finish({ code, signal }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.gone;
  }

  send(request: HelperRequest): void {
    if (this.gone || !this.child.stdin.writable) return;
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
  }

  /** Lets the helper finish what it was given and exit on its own. */
  endInput(): void {
    if (!this.child.stdin.writableEnded) this.child.stdin.end();
  }

  /** SIGTERM, then SIGKILL if it is still there after the grace period. */
  kill(): void {
    if (this.gone || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    clearTimeout(this.killTimer);
    this.killTimer = setTimeout(() => {
      if (!this.gone) this.child.kill('SIGKILL');
    }, KILL_GRACE_MS);
  }
}

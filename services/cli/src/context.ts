import type { MediaflowClient } from './api-client';
import type { GlobalOptions } from './program';
import type { ProgressReporter } from './progress';

/** What every command runs with; tests can supply their own writers. */
export interface CommandContext {
  client: MediaflowClient;
  global: GlobalOptions;
  reporter: ProgressReporter;
  /** Aborted on Ctrl-C. */
  signal: AbortSignal;
  /** Results: one JSON document with --json, text for people otherwise. */
  stdout: (text: string) => void;
  /** Messages for people (never machine output). */
  stderr: (text: string) => void;
}

/** Prints a command's result: `json` as one document with --json, else `text` (when there is any). */
export function printResult(context: CommandContext, json: unknown, text?: string): void {
  if (context.global.json) context.stdout(`${JSON.stringify(json, null, 2)}\n`);
  else if (text !== undefined && text !== '') context.stdout(`${text}\n`);
}

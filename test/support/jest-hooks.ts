import type { RunningSystem } from './system';

declare global {
  // Set by test/support/failure-aware-environment.js.
  var __mediaflowTestFailed: boolean | undefined;
}

/** Prints the processes' logs after a failed test, so a red CI run explains itself. */
export function dumpLogsOnFailure(system: () => RunningSystem | undefined): void {
  afterEach(() => {
    const state = expect.getState();
    const failed = globalThis.__mediaflowTestFailed === true || state.assertionCalls !== state.numPassingAsserts;
    if (failed) process.stderr.write(system()?.logs() ?? '');
  });
}

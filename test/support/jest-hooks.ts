import type { RunningSystem } from './system';
/** Prints the processes' logs after a failed test, so a red CI run explains itself. */
export function dumpLogsOnFailure(system: () => RunningSystem | undefined): void {
  // Jest tells afterEach nothing about the test's outcome; an unbalanced
  // assertion count is the failure it can see. (A thrown timeout is not.)
  afterEach(() => {
    const state = expect.getState();
    if (state.assertionCalls !== state.numPassingAsserts) process.stderr.write(system()?.logs() ?? '');
  });
}

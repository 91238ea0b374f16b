import { errorMessage, flushLogger } from '@mediaflow/domain';
import type { Logger } from '@mediaflow/domain';

type Step = { name: string; run: () => Promise<void> };

/**
 * Ordered teardown. Steps run in the order they were added (stop accepting
 * work first, close clients last); a failing step is logged and the rest
 * still run, and the logs are always flushed before the process exits.
 */
export class ShutdownCoordinator {
  private readonly steps: Step[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  /** Runs the steps once; later calls get the same promise. */
  async shutdown(reason: string): Promise<void> {
    this.running ??= this.runSteps(reason);
    return this.running;
  }

  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      void this.shutdown(signal).then(
        () => exit(0),
        () => exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private async runSteps(reason: string): Promise<void> {
    this.logger.info('shutting down', { reason });
    const deadline = setTimeout(() => {
      this.logger.error('shutdown timed out; exiting', { timeoutMs: this.timeoutMs });
      process.exit(1);
    }, this.timeoutMs);
    deadline.unref();
    const failures: string[] = [];
    for (const step of this.steps) {
      try {
        await step.run();
      } catch (error) {
        failures.push(step.name);
        this.logger.error('shutdown step failed', { step: step.name, error: errorMessage(error) });
      }
    }
    clearTimeout(deadline);
    this.logger.info('shutdown complete', { failures });
    await flushLogger(this.logger);
  }
}

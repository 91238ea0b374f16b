import winston from 'winston';
import { ProgressReporter } from './progress-reporter';
import type { ProgressSink, ProgressSnapshot } from './progress-reporter';

const silentLogger = winston.createLogger({ silent: true });

class RecordingSink implements ProgressSink {
  writes: ProgressSnapshot[] = [];
  heartbeats = 0;
  owned = true;
  async write(snapshot: ProgressSnapshot): Promise<boolean> {
    this.writes.push(snapshot);
    return Promise.resolve(this.owned);
  }
  async heartbeat(): Promise<void> {
    this.heartbeats += 1;
    return Promise.resolve();
  }
}

describe('ProgressReporter', () => {
  it('writes at most once per interval, with a heartbeat each time', async () => {
    const sink = new RecordingSink();
    let clock = 10_000;
    const reporter = new ProgressReporter(
      sink,
      1000,
      () => undefined,
      silentLogger,
      () => clock,
    );
    for (let i = 1; i <= 30; i += 1) {
      clock += 100; // 30 updates over 3 seconds
      reporter.report({ percent: i });
      await reporter.stop();
    }
    expect(sink.writes.length).toBe(3);
    expect(sink.heartbeats).toBe(3);
  });

  it('never reports a lower percent than before and never 100 before completion', async () => {
    const sink = new RecordingSink();
    let clock = 0;
    const reporter = new ProgressReporter(
      sink,
      1,
      () => undefined,
      silentLogger,
      () => clock,
    );
    for (const percent of [10, 5, 50, 120]) {
      clock += 10;
      reporter.report({ percent });
      await reporter.stop();
    }
    expect(sink.writes.map((w) => w.percent)).toEqual([10, 10, 50, 99.9]);
  });

  it('signals when the job is no longer owned', async () => {
    const sink = new RecordingSink();
    sink.owned = false;
    const lost = jest.fn();
    const reporter = new ProgressReporter(sink, 1, lost, silentLogger, () => 5);
    reporter.report({ percent: 1 });
    await reporter.stop();
    expect(lost).toHaveBeenCalledTimes(1);
  });

  it('keeps renewing the lease while no progress arrives', async () => {
    jest.useFakeTimers();
    try {
      const sink = new RecordingSink();
      const reporter = new ProgressReporter(sink, 1000, () => undefined, silentLogger);
      reporter.start();
      for (let second = 0; second < 5; second += 1) await jest.advanceTimersByTimeAsync(1000);
      await reporter.stop();
      expect(sink.writes.length).toBeGreaterThanOrEqual(4);
      expect(sink.writes.every((write) => write.percent === 0)).toBe(true);
    } finally {
      jest.useRealTimers();
    }
  });

  it('runs an exclusive write after the progress write in flight, and starts none meanwhile', async () => {
    const events: string[] = [];
    let release: () => void = () => undefined;
    const sink: ProgressSink = {
      write: async (snapshot) => {
        events.push(`progress ${snapshot.percent} started`);
        await new Promise<void>((resolve) => {
          release = resolve;
        });
        events.push(`progress ${snapshot.percent} done`);
        return true;
      },
      heartbeat: async () => Promise.resolve(),
    };
    let clock = 0;
    const reporter = new ProgressReporter(
      sink,
      10,
      () => undefined,
      silentLogger,
      () => clock,
    );
    clock = 100;
    reporter.report({ percent: 10 });
    const checkpoint = reporter.exclusive(async () => {
      events.push('checkpoint');
      // Progress arriving during the checkpoint is held back, not written beside it.
      clock = 200;
      reporter.report({ percent: 20 });
      return Promise.resolve('kept');
    });
    await Promise.resolve();
    expect(events).toEqual(['progress 10 started']);
    release();
    await expect(checkpoint).resolves.toBe('kept');
    expect(events).toEqual(['progress 10 started', 'progress 10 done', 'checkpoint']);
    // Afterwards the timer's writes resume with the latest progress.
    clock = 300;
    reporter.report({ percent: 30 });
    release();
    await reporter.stop();
    expect(events.slice(3)).toEqual(['progress 30 started', 'progress 30 done']);
  });

  it('survives a failing write', async () => {
    const sink = new RecordingSink();
    sink.write = async () => Promise.reject(new Error('db down'));
    const reporter = new ProgressReporter(
      sink,
      1,
      () => undefined,
      silentLogger,
      () => 5,
    );
    reporter.report({ percent: 1 });
    await expect(reporter.stop()).resolves.toBeUndefined();
  });
});

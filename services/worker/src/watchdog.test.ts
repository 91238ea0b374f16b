import { Watchdog } from './watchdog';

describe('Watchdog', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires "stalled" after a silence and not while touched', () => {
    const onFire = jest.fn();
    const dog = new Watchdog({ stallMs: 2000, limitMs: 60_000, onFire }, () => Date.now());
    for (let i = 0; i < 10; i += 1) {
      jest.advanceTimersByTime(1000);
      dog.touch();
    }
    expect(onFire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(2500);
    expect(onFire).toHaveBeenCalledWith('stalled');
    expect(onFire).toHaveBeenCalledTimes(1);
  });

  it('fires "timed-out" at the overall limit even with progress', () => {
    const onFire = jest.fn();
    const dog = new Watchdog({ stallMs: 2000, limitMs: 5000, onFire }, () => Date.now());
    for (let i = 0; i < 8; i += 1) {
      jest.advanceTimersByTime(1000);
      dog.touch();
    }
    expect(onFire).toHaveBeenCalledWith('timed-out');
    expect(onFire).toHaveBeenCalledTimes(1);
  });

  it('stays quiet once stopped', () => {
    const onFire = jest.fn();
    const dog = new Watchdog({ stallMs: 100, limitMs: 1000, onFire }, () => Date.now());
    dog.stop();
    jest.advanceTimersByTime(5000);
    expect(onFire).not.toHaveBeenCalled();
  });
});

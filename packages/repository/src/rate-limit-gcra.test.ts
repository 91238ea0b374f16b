import { gcraGrantRange, gcraTake } from './rate-limit-gcra';
import { takeFrom } from './token-bucket';

const t0 = Date.parse('2025-01-01T00:00:00.000Z');
const limits = { capacity: 5, refillPerSecond: 1 }; // T = 1000 ms

/** Runs takes one after another from a new bucket; each step: [offset ms, cost, unit?]. */
function run(steps: Array<[number, number, number?]>, bucket = limits) {
  let tat: number | undefined;
  return steps.map(([offset, cost, unit]) => {
    const outcome = gcraTake(tat, t0 + offset, bucket, cost, unit ?? cost);
    tat = outcome.tat;
    return [outcome.granted, outcome.remaining, outcome.retryAfterMs];
  });
}

describe('gcraTake', () => {
  it.each([
    [
      'a burst of capacity, then a refusal',
      [
        [0, 1],
        [0, 1],
        [0, 1],
        [0, 1],
        [0, 1],
        [0, 1],
      ],
      [
        [1, 4, 0],
        [1, 3, 0],
        [1, 2, 0],
        [1, 1, 0],
        [1, 0, 0],
        [0, 0, 1000],
      ],
    ],
    [
      'refill at the rate: one token a second',
      [
        [0, 5],
        [999, 1],
        [1000, 1],
        [2500, 1],
        [2500, 1],
      ],
      [
        [5, 0, 0],
        [0, 0, 1],
        [1, 0, 0],
        [1, 0, 0],
        [0, 0, 500],
      ],
    ],
    [
      'never beyond capacity after a long idle time',
      [
        [0, 5],
        [3_600_000, 5],
        [3_600_000, 1],
      ],
      [
        [5, 0, 0],
        [5, 0, 0],
        [0, 0, 1000],
      ],
    ],
    [
      'a refused take takes nothing',
      [
        [0, 5],
        [400, 1],
        [600, 1],
        [1000, 1],
      ],
      [
        [5, 0, 0],
        [0, 0, 600],
        [0, 0, 400],
        [1, 0, 0],
      ],
    ],
    [
      'costs of several tokens',
      [
        [0, 3],
        [0, 3],
        [0, 2],
      ],
      [
        [3, 2, 0],
        [0, 2, 1000],
        [2, 0, 0],
      ],
    ],
    [
      'partial grants in whole units',
      [
        [0, 3],
        [0, 4, 1],
        [0, 4, 1],
        [1500, 4, 2],
      ],
      [
        [3, 2, 0],
        [2, 0, 1000],
        [0, 0, 1000],
        [0, 1, 500],
      ],
    ],
  ] as Array<[string, Array<[number, number, number?]>, number[][]]>)('%s', (_label, steps, expected) => {
    expect(run(steps)).toEqual(expected);
  });

  it('sees a clock that went backwards as an emptier bucket, never a fuller one', () => {
    const ahead = gcraTake(undefined, t0 + 10_000, limits, 4);
    expect(ahead.tat).toBe(t0 + 14_000);
    // 10 s behind: the bucket looks empty for 10 s more, and refuses.
    expect(gcraTake(ahead.tat, t0, limits, 1)).toMatchObject({ granted: 0, remaining: 0, retryAfterMs: 10_000 });
    expect(gcraTake(ahead.tat, t0 + 10_000, limits, 1)).toMatchObject({ granted: 1, remaining: 0 });
  });

  it('does not lose a token to floating-point arithmetic', () => {
    const bucket = { capacity: 1, refillPerSecond: 0.1 };
    const first = gcraTake(undefined, t0, bucket, 0.3);
    expect(first.granted).toBe(0.3);
    const second = gcraTake(first.tat, t0, bucket, 0.3);
    const third = gcraTake(second.tat, t0, bucket, 0.3);
    expect(third.granted).toBe(0.3);
    expect(gcraTake(third.tat, t0 + 2000, bucket, 0.3).granted).toBe(0.3);
  });

  it('decides exactly as the token bucket does', () => {
    const bucket = { capacity: 7, refillPerSecond: 2.5 };
    let tat: number | undefined;
    let state: { tokens: number; updatedMs: number } | undefined;
    let now = t0;
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 500; step += 1) {
      now += Math.floor(random() * 800);
      const cost = 1 + Math.floor(random() * 3);
      const gcra = gcraTake(tat, now, bucket, cost);
      const reference = takeFrom(state, { key: 'k', ...bucket, cost, now: new Date(now) }, cost);
      expect([gcra.granted > 0, gcra.remaining]).toEqual([reference.decision.allowed, reference.decision.remaining]);
      if (!reference.decision.allowed)
        expect(Math.abs(gcra.retryAfterMs - reference.decision.retryAfterMs)).toBeLessThanOrEqual(1);
      tat = gcra.tat;
      state = reference.next ?? state;
    }
  });
});

describe('gcraGrantRange', () => {
  it('bounds the tat for which a take grants what it granted', () => {
    const now = t0;
    for (let tat = now; tat <= now + 6000; tat += 250) {
      const outcome = gcraTake(tat, now, limits, 4, 1);
      if (outcome.granted === 0) continue; // a refusal writes nothing, so has no range
      const range = gcraGrantRange(now, limits, 4, 1, outcome.granted);
      expect(tat).toBeLessThanOrEqual(range.high);
      if (range.low !== undefined) expect(tat).toBeGreaterThan(range.low);
    }
    expect(gcraGrantRange(now, limits, 4, 1, 4).low).toBeUndefined();
  });
});

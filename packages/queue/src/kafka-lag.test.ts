import { lagOf } from './kafka-lag';

describe('lagOf', () => {
  it('is the high watermark minus the committed offset, from the log start when nothing was committed', () => {
    const ends = [
      { partition: 2, high: '10', low: '0' },
      { partition: 0, high: '7', low: '0' },
      { partition: 1, high: '50', low: '40' },
    ];
    const committed = [
      { partition: 0, offset: '7' },
      { partition: 1, offset: '-1' },
      { partition: 2, offset: '4' },
    ];
    expect(lagOf('jobs', ends, committed)).toEqual([
      { topic: 'jobs', partition: 0, lag: 0 },
      { topic: 'jobs', partition: 1, lag: 10 },
      { topic: 'jobs', partition: 2, lag: 6 },
    ]);
    // A partition the group never heard of, and a commit past a truncated log, never go negative.
    expect(lagOf('jobs', [{ partition: 0, high: '5', low: '5' }], [{ partition: 0, offset: '9' }])).toEqual([
      { topic: 'jobs', partition: 0, lag: 0 },
    ]);
  });
});

import { PlanProgress } from './plan-progress';

describe('PlanProgress', () => {
  it('reports a one-step plan exactly as its step', () => {
    const progress = new PlanProgress([1]);
    progress.begin(0);
    expect(progress.report(0, { percent: 40, speed: 2.5, etaSeconds: 12 })).toEqual({
      percent: 40,
      speed: 2.5,
      etaSeconds: 12,
    });
  });

  it('weights each step by its share of the plan', () => {
    const progress = new PlanProgress([15, 75, 10]);
    expect(progress.begin(0)).toEqual({ percent: 0 });
    expect(progress.report(0, { percent: 100 }).percent).toBeCloseTo(15);
    expect(progress.begin(1)).toEqual({ percent: 15 });
    expect(progress.report(1, { percent: 50 }).percent).toBeCloseTo(52.5);
    expect(progress.begin(2).percent).toBeCloseTo(90);
    expect(progress.report(2, { percent: 100 }).percent).toBeCloseTo(100);
  });

  it('clamps nonsense percentages into the step', () => {
    const progress = new PlanProgress([1, 1]);
    expect(progress.report(0, { percent: 250 }).percent).toBe(50);
    expect(progress.report(0, { percent: -3 }).percent).toBe(0);
    expect(progress.report(1, { percent: Number.NaN }).percent).toBe(50);
  });

  it('adds the later steps to the ETA at the running step’s pace', () => {
    let now = 0;
    const progress = new PlanProgress([2, 1], () => now);
    progress.begin(0);
    now = 10_000;
    // 10 s spent, 10 s left: this step takes 20 s for weight 2, so the next (weight 1) about 10 s.
    expect(progress.report(0, { percent: 50, etaSeconds: 10 }).etaSeconds).toBeCloseTo(20);
  });
});

import { AppError } from '@mediaflow/domain';
import { ActiveJobQuota } from './active-job-quota';

function counter(initial: number) {
  const state = { active: initial, counts: 0, clock: 0 };
  const count = async (): Promise<number> => {
    state.counts += 1;
    return Promise.resolve(state.active);
  };
  return { state, count, now: () => state.clock };
}

describe('ActiveJobQuota', () => {
  it('counts once per window while well below the cap', async () => {
    const { state, count, now } = counter(0);
    const quota = new ActiveJobQuota(count, { limit: 100, freshForMs: 1000, now });
    for (let index = 0; index < 50; index += 1) await quota.admit('alice');
    expect(state.counts).toBe(1);
    state.clock = 1001;
    // A stale count still admits at once, and is refreshed behind the scenes.
    await quota.admit('alice');
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.counts).toBe(2);
    await quota.admit('alice');
    expect(state.counts).toBe(2);
  });

  it("includes this replica's own admissions and refuses at the cap after a fresh count", async () => {
    const { state, count, now } = counter(0);
    const quota = new ActiveJobQuota(count, { limit: 3, now });
    await quota.admit('alice');
    state.active = 1;
    await quota.admit('alice');
    state.active = 2;
    await quota.admit('alice');
    state.active = 3;
    const refusal = await quota.admit('alice').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'QUOTA_EXCEEDED', details: { limit: 3 } });
  });

  it('lets a job in as soon as another finished, without waiting for the window', async () => {
    const { state, count, now } = counter(2);
    const quota = new ActiveJobQuota(count, { limit: 3, now });
    await quota.admit('alice');
    // The estimate is at the cap, but one job finished meanwhile: the fresh count says 2.
    state.active = 2;
    await expect(quota.admit('alice')).resolves.toBeUndefined();
  });

  it('keeps owners apart, and a given-back place is free again', async () => {
    const { count, now } = counter(0);
    const quota = new ActiveJobQuota(count, { limit: 1, now });
    await quota.admit('alice');
    await quota.admit('bob');
    quota.giveBack('alice');
    await expect(quota.admit('alice')).resolves.toBeUndefined();
  });

  it('shares one count among concurrent admissions of an owner', async () => {
    const { state, count, now } = counter(0);
    const quota = new ActiveJobQuota(count, { limit: 100, now });
    await Promise.all(Array.from({ length: 20 }, async () => quota.admit('alice')));
    expect(state.counts).toBe(1);
  });

  it('passes a failing count on', async () => {
    const quota = new ActiveJobQuota(async () => Promise.reject(new AppError('DATABASE_ERROR', 'down')), { limit: 1 });
    await expect(quota.admit('alice')).rejects.toMatchObject({ code: 'DATABASE_ERROR' });
  });
});

import { GroupCommit } from './group-commit';

/** A write we control: records each batch and resolves it when told to. */
function controlledWrite() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const write = async (items: readonly number[]): Promise<number[]> => {
    batches.push([...items]);
    await new Promise<void>((resolve) => releases.push(resolve));
    return items.map((item) => item * 10);
  };
  const releaseNext = async (): Promise<void> => {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, write, releaseNext };
}

const settle = async (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('sends a lone item at once, in a batch of its own', async () => {
    const { batches, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 1 });
    const result = commit.write(1);
    await settle();
    expect(batches).toEqual([[1]]);
    await releaseNext();
    await expect(result).resolves.toBe(10);
  });

  it('gathers the items that arrive while the writes are in flight into the next batch', async () => {
    const { batches, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 1 });
    const first = commit.write(1);
    await settle();
    const waiting = [2, 3, 4, 5].map(async (item) => commit.write(item));
    await settle();
    // Still one batch out: the others wait for its slot.
    expect(batches).toEqual([[1]]);
    expect(commit.batchesInFlight).toBe(1);
    await releaseNext();
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    await releaseNext();
    await expect(first).resolves.toBe(10);
    await expect(Promise.all(waiting)).resolves.toEqual([20, 30, 40, 50]);
    expect(commit.batchesInFlight).toBe(0);
  });

  it('keeps up to maxInFlight batches out and caps a batch at maxBatch items', async () => {
    const { batches, write, releaseNext } = controlledWrite();
    const commit = new GroupCommit(write, { maxInFlight: 2, maxBatch: 3 });
    const all = [1, 2, 3, 4, 5, 6, 7].map(async (item) => commit.write(item));
    await settle();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await releaseNext();
    expect(batches.at(-1)).toEqual([7]);
    await releaseNext();
    await releaseNext();
    await expect(Promise.all(all)).resolves.toEqual([10, 20, 30, 40, 50, 60, 70]);
  });

  it("fails every item of a failed batch with the batch's error, and the next batch still goes", async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(
      async (items) => {
        calls += 1;
        await Promise.resolve();
        if (calls === 1) throw new Error('database down');
        return items.map((item) => item);
      },
      { maxInFlight: 1 },
    );
    const failed = [1, 2].map(async (item) => commit.write(item));
    await expect(Promise.all(failed)).rejects.toThrow('database down');
    await expect(Promise.allSettled(failed)).resolves.toEqual([
      expect.objectContaining({ status: 'rejected' }),
      expect.objectContaining({ status: 'rejected' }),
    ]);
    await expect(commit.write(3)).resolves.toBe(3);
  });

  it('refuses a write that returns the wrong number of results', async () => {
    const commit = new GroupCommit<number, number>(async () => Promise.resolve([1, 2, 3]), { maxInFlight: 1 });
    await expect(commit.write(1)).rejects.toThrow('returned 3 results for 1 items');
  });

  it('refuses a nonsensical maxInFlight', () => {
    expect(
      () => new GroupCommit(async (items: readonly number[]) => Promise.resolve(items), { maxInFlight: 0 }),
    ).toThrow(RangeError);
  });
});

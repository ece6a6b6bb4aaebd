/**
 * Group commit: items submitted while a group is being committed wait and go together in the next
 * group (at most `maxGroupSize` each), so a burst costs a few transactions instead of one each. An
 * item submitted while nothing is in flight starts its group at once: idle, there is no wait.
 * Groups commit one after another, in the order their items were submitted; each item's promise
 * settles after its own group committed (or failed), with that item's own outcome.
 */
export class GroupCommit<Item, Result> {
  private waiting: { item: Item; resolve: (result: Result) => void; reject: (error: unknown) => void }[] = [];
  private flushing = false;

  constructor(
    /** Commits a group; for each item in order, what became of it. Throwing fails the whole group. */
    private readonly commitGroup: (
      items: readonly Item[],
    ) => Promise<readonly PromiseSettledResult<Result>[]>,
    private readonly maxGroupSize: number,
  ) {
    if (!Number.isInteger(maxGroupSize) || maxGroupSize < 1) {
      throw new RangeError(`a group holds at least one item, not ${maxGroupSize}`);
    }
  }

  submit(item: Item): Promise<Result> {
    const settled = new Promise<Result>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
    if (!this.flushing) void this.flush();
    return settled;
  }

  /** Items waiting for a group (not counting the group in flight). */
  get backlog(): number {
    return this.waiting.length;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting.splice(0, this.maxGroupSize);
        let outcomes: readonly PromiseSettledResult<Result>[];
        try {
          outcomes = await this.commitGroup(group.map(({ item }) => item));
        } catch (error) {
          for (const { reject } of group) reject(error);
          continue;
        }
        group.forEach(({ resolve, reject }, index) => {
          const outcome = outcomes[index];
          if (outcome?.status === "fulfilled") resolve(outcome.value);
          else reject(outcome ? outcome.reason : new Error("the group commit gave this item no outcome"));
        });
      }
    } finally {
      this.flushing = false;
    }
  }
}

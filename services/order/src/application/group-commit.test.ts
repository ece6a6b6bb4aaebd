import { describe, expect, it } from "vitest";
import { InvalidOrder } from "../domain/index.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { GroupCommit } from "./group-commit.js";
import { IdempotencyKeyReused, OrderApplication, type PlaceOrderRequest } from "./orders.js";

/** A commit whose groups the test finishes one at a time. */
function gatedCommit() {
  const groups: string[][] = [];
  const gates: (() => void)[] = [];
  const commit = async (items: readonly string[]): Promise<PromiseSettledResult<string>[]> => {
    groups.push([...items]);
    await new Promise<void>((resolve) => gates.push(resolve));
    return items.map((item) =>
      item.startsWith("bad")
        ? { status: "rejected", reason: new Error(`refused ${item}`) }
        : { status: "fulfilled", value: item.toUpperCase() },
    );
  };
  const finishGroup = async () => {
    gates.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { commit, groups, finishGroup };
}

describe("GroupCommit", () => {
  it("commits an item submitted to an idle batcher at once, without waiting for company", () => {
    const { commit, groups } = gatedCommit();
    const batcher = new GroupCommit(commit, 10);

    void batcher.submit("a");

    expect(groups).toEqual([["a"]]);
  });

  it("commits what arrived during a commit together in the next group, in the order submitted", async () => {
    const { commit, groups, finishGroup } = gatedCommit();
    const batcher = new GroupCommit(commit, 10);
    const results = ["a", "b", "c", "d"].map((item) => batcher.submit(item));

    expect(groups).toEqual([["a"]]);
    await finishGroup();
    expect(groups).toEqual([["a"], ["b", "c", "d"]]);
    await finishGroup();
    expect(await Promise.all(results)).toEqual(["A", "B", "C", "D"]);
  });

  it("answers an item only once its own group committed", async () => {
    const { commit, finishGroup } = gatedCommit();
    const batcher = new GroupCommit(commit, 10);
    const answered: string[] = [];
    for (const item of ["a", "b"]) void batcher.submit(item).then((result) => answered.push(result));

    await new Promise((resolve) => setImmediate(resolve));
    expect(answered).toEqual([]);
    await finishGroup();
    expect(answered).toEqual(["A"]);
    await finishGroup();
    expect(answered).toEqual(["A", "B"]);
  });

  it("holds at most the configured number of items in a group", async () => {
    const { commit, groups, finishGroup } = gatedCommit();
    const batcher = new GroupCommit(commit, 2);
    const results = ["a", "b", "c", "d", "e", "f"].map((item) => batcher.submit(item));
    expect(batcher.backlog).toBe(5);

    for (let i = 0; i < 4; i++) await finishGroup();

    expect(groups).toEqual([["a"], ["b", "c"], ["d", "e"], ["f"]]);
    expect(await Promise.all(results)).toEqual(["A", "B", "C", "D", "E", "F"]);
  });

  it("refuses only the item its outcome refuses", async () => {
    const { commit, finishGroup } = gatedCommit();
    const batcher = new GroupCommit(commit, 10);
    const first = batcher.submit("a");
    const results = Promise.allSettled(["b", "bad-c", "d"].map((item) => batcher.submit(item)));
    await finishGroup();
    await finishGroup();

    await first;
    expect(await results).toEqual([
      { status: "fulfilled", value: "B" },
      { status: "rejected", reason: new Error("refused bad-c") },
      { status: "fulfilled", value: "D" },
    ]);
  });

  it("fails every item of a group whose commit threw, and goes on with the next group", async () => {
    let calls = 0;
    const batcher = new GroupCommit(async (items: readonly string[]) => {
      calls++;
      if (calls === 1) throw new Error("database down");
      return items.map((item) => ({ status: "fulfilled" as const, value: item }));
    }, 10);

    const failed = batcher.submit("a");
    const later = batcher.submit("b");

    await expect(failed).rejects.toThrow("database down");
    expect(await later).toBe("b");
  });

  it("refuses a group size below one", () => {
    expect(() => new GroupCommit(async () => [], 0)).toThrow(RangeError);
  });
});

describe("OrderApplication.placeOrder, grouped", () => {
  const NOW = new Date("2030-01-01T10:00:00.000Z");

  function application(placementGroupSize = 100) {
    const store = new InMemoryOrderStore();
    let next = 0;
    const orders = new OrderApplication({
      store,
      decisionTimeoutMs: 30_000,
      route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
      clock: () => NOW,
      newOrderId: () => `00000000-0000-4000-8000-${String(++next).padStart(12, "0")}`,
      placementGroupSize,
    });
    return { orders, store };
  }

  const request = (customerId: string, changes: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest => ({
    customerId,
    fulfilment: "PARTIAL",
    lines: [{ sku: "SKU-A", quantity: 1 }],
    traceparent: null,
    ...changes,
  });

  it("places the requests that came during a placement in one transaction, each answered with its own order", async () => {
    const { orders, store } = application();
    const customers = ["c1", "c2", "c3", "c4", "c5"];

    const placed = await Promise.all(customers.map((customerId) => orders.placeOrder(request(customerId))));

    expect(placed.map(({ order }) => order.customerId)).toEqual(customers);
    expect(store.commits).toBe(2);
    for (const { order } of placed) expect(await store.findOrder(order.orderId)).toEqual(order);
  });

  it("keeps each request's refusal to itself", async () => {
    const { orders, store } = application();

    const outcomes = await Promise.allSettled([
      orders.placeOrder(request("c1")),
      orders.placeOrder(request("c2")),
      orders.placeOrder(request(" ")),
      orders.placeOrder(request("c3", { idempotencyKey: "k" })),
      orders.placeOrder(request("c3", { idempotencyKey: "k", fulfilment: "ALL_OR_NOTHING" })),
      orders.placeOrder(request("c4")),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(outcomes[2]).toMatchObject({ reason: expect.any(InvalidOrder) });
    expect(outcomes[4]).toMatchObject({ reason: expect.any(IdempotencyKeyReused) });
    expect(store.commits).toBe(2);
  });

  it("commits groups no larger than configured", async () => {
    const { orders, store } = application(2);

    await Promise.all(
      ["c1", "c2", "c3", "c4", "c5"].map((customerId) => orders.placeOrder(request(customerId))),
    );

    expect(store.commits).toBe(3);
  });
});

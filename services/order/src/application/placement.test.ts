import type { IntegrationEvent } from "@stocksaga/contracts";
import { describe, expect, it } from "vitest";
import { InvalidOrder } from "../domain/index.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import {
  IdempotencyKeyReused,
  OrderApplication,
  type OrderChange,
  type PlaceOrderRequest,
} from "./orders.js";
import type { PlacementRequest } from "./placement.js";

const NOW = new Date("2030-01-01T10:00:00.000Z");

function application(store = new InMemoryOrderStore()) {
  let next = 0;
  const committed: (readonly OrderChange[])[] = [];
  const orders = new OrderApplication({
    store,
    decisionTimeoutMs: 30_000,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
    clock: () => NOW,
    newOrderId: () => `00000000-0000-4000-8000-${String(++next).padStart(12, "0")}`,
    onCommitted: (changes) => committed.push(changes),
  });
  return { orders, store, committed };
}

let requestNo = 0;

/** A request as the group commit gets it: with the id its order will have. */
function request(changes: Partial<PlaceOrderRequest> = {}): PlacementRequest {
  return {
    orderId: `00000000-0000-4000-9000-${String(++requestNo).padStart(12, "0")}`,
    customerId: "alice",
    fulfilment: "PARTIAL",
    lines: [{ sku: "SKU-A", quantity: 2 }],
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ...changes,
  };
}

function requested(store: InMemoryOrderStore): string[] {
  return store.outbox.map((entry) => {
    const event = entry.payload as IntegrationEvent;
    return `${event.type} ${"orderId" in event ? event.orderId : ""}`;
  });
}

describe("placing a group of orders", () => {
  it("places every request in one transaction, each answered with its own order", async () => {
    const { orders, store, committed } = application();

    const outcomes = await orders.placeOrders([request(), request({ customerId: "bob" })]);

    expect(
      outcomes.map((o) => o.status === "fulfilled" && [o.value.order.customerId, o.value.replayed]),
    ).toEqual([
      ["alice", false],
      ["bob", false],
    ]);
    expect(store.commits).toBe(1);
    expect(committed).toHaveLength(1);
    expect(committed[0]?.map((change) => change.after.customerId)).toEqual(["alice", "bob"]);
    expect(requested(store)).toHaveLength(2);
    const [first] = outcomes;
    if (first?.status !== "fulfilled") throw new Error("expected a placement");
    expect(await store.findOrder(first.value.order.orderId)).toEqual(first.value.order);
    expect((await store.timeline(first.value.order.orderId)).map((entry) => entry.type)).toEqual([
      "OrderRequested",
    ]);
  });

  it("refuses an invalid request alone; the others are placed", async () => {
    const { orders, store } = application();

    const outcomes = await orders.placeOrders([request({ customerId: " " }), request()]);

    expect(outcomes[0]).toMatchObject({ status: "rejected", reason: expect.any(InvalidOrder) });
    expect(outcomes[1]).toMatchObject({ status: "fulfilled" });
    expect(requested(store)).toHaveLength(1);
  });

  it("gives two requests with one key and one body in a group the same order, placed once", async () => {
    const { orders, store } = application();

    const [a, b] = await orders.placeOrders([
      request({ idempotencyKey: "k-1" }),
      request({ idempotencyKey: "k-1" }),
    ]);

    if (a?.status !== "fulfilled" || b?.status !== "fulfilled") throw new Error("expected two placements");
    expect(b.value.order).toEqual(a.value.order);
    expect([a.value.replayed, b.value.replayed]).toEqual([false, true]);
    expect(requested(store)).toEqual([`OrderRequested ${a.value.order.orderId}`]);
  });

  it("refuses a second body under a key used earlier in the same group, and places the first", async () => {
    const { orders, store } = application();

    const [a, b] = await orders.placeOrders([
      request({ idempotencyKey: "k-1" }),
      request({ idempotencyKey: "k-1", lines: [{ sku: "SKU-A", quantity: 3 }] }),
    ]);

    expect(a).toMatchObject({ status: "fulfilled", value: { replayed: false } });
    expect(b).toMatchObject({ status: "rejected", reason: expect.any(IdempotencyKeyReused) });
    expect(requested(store)).toHaveLength(1);
  });

  it("answers a key used by an earlier transaction with that order as it stands, or 409 for another body", async () => {
    const { orders, store } = application();
    const [first] = await orders.placeOrders([request({ idempotencyKey: "k-1" })]);
    if (first?.status !== "fulfilled") throw new Error("expected a placement");

    const [same, other] = await orders.placeOrders([
      request({ idempotencyKey: "k-1" }),
      request({ idempotencyKey: "k-1", fulfilment: "ALL_OR_NOTHING" }),
    ]);

    expect(same).toMatchObject({ status: "fulfilled", value: { order: first.value.order, replayed: true } });
    expect(other).toMatchObject({ status: "rejected", reason: expect.any(IdempotencyKeyReused) });
    expect(requested(store)).toHaveLength(1);
  });

  it("keeps keys apart per customer", async () => {
    const { orders, store } = application();

    const outcomes = await orders.placeOrders([
      request({ idempotencyKey: "k-1" }),
      request({ idempotencyKey: "k-1", customerId: "bob" }),
    ]);

    expect(outcomes.map((o) => o.status === "fulfilled" && o.value.replayed)).toEqual([false, false]);
    expect(requested(store)).toHaveLength(2);
  });

  it("tries each request alone when the group's transaction fails, so one failure fails no other request", async () => {
    const store = new InMemoryOrderStore();
    const { orders } = application(store);
    store.failWrite = (order) => order.customerId === "bob";

    const outcomes = await orders.placeOrders([request(), request({ customerId: "bob" }), request()]);

    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(requested(store)).toHaveLength(2);
  });

  it("places no order twice when the group committed but the reply to its COMMIT was lost", async () => {
    const store = new InMemoryOrderStore();
    const { orders } = application(store);
    store.loseNextCommitReply = true;

    const group = [request(), request({ customerId: "bob" })];
    const outcomes = await orders.placeOrders(group);

    // Tried again alone, each request finds its order id taken: no second order, no second event.
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(requested(store)).toEqual(group.map((r) => `OrderRequested ${r.orderId}`));
    expect((await store.listOrders({ limit: 10 })).orders).toHaveLength(2);
  });
});

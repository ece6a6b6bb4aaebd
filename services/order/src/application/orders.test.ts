import { randomUUID } from "node:crypto";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import type { OutboxEntry } from "@stocksaga/messaging";
import { describe, expect, it } from "vitest";
import {
  decide,
  evolve,
  InconsistentStockMessage,
  initialState,
  type Order,
  type OrderCommand,
  OrderNotFound,
} from "../domain/index.js";
import { placeOrder } from "../domain/testing.js";
import { InMemoryOrderStore } from "../persistence/in-memory-order-store.js";
import { OrderApplication, type OrderChange, type Reaction } from "./orders.js";

const PLACED_AT = new Date("2030-01-01T10:00:00.000Z");
const SWEEP_AT = new Date("2030-01-01T10:01:00.000Z");

const FIRST = "11111111-1111-4111-8111-111111111111";
const FAILING = "22222222-2222-4222-8222-222222222222";
const HELD = "33333333-3333-4333-8333-333333333333";
const LAST = "44444444-4444-4444-8444-444444444444";

function pending(orderId: string, changes: Parameters<typeof placeOrder>[0] = {}): Order {
  const command = placeOrder({ orderId, now: PLACED_AT, lines: [{ sku: "SKU-A", quantity: 2 }], ...changes });
  return decide(command, initialState()).reduce(evolve, initialState()) as Order;
}

function application(store: InMemoryOrderStore, clock: () => Date = () => SWEEP_AT) {
  const committed: (readonly OrderChange[])[] = [];
  const orders = new OrderApplication({
    store,
    decisionTimeoutMs: 30_000,
    route: (event) => ({ topic: "order-events", key: "orderId" in event ? event.orderId : "" }),
    clock,
    onCommitted: (changes) => committed.push(changes),
  });
  return { orders, committed };
}

function published(outbox: readonly OutboxEntry[]): [string, string | undefined][] {
  return outbox.map((entry) => {
    const event = entry.payload as IntegrationEvent;
    return [event.type, "orderId" in event ? event.orderId : undefined];
  });
}

describe("OrderApplication.rejectOverdue", () => {
  it("rejects every overdue order in one transaction, each in a trace of its own", async () => {
    const store = new InMemoryOrderStore();
    for (const id of [FIRST, LAST]) store.seed(pending(id));
    const { orders, committed } = application(store);

    const sweep = await orders.rejectOverdue(200);

    expect(sweep.failures).toEqual([]);
    expect(sweep.rejected.map((rejection) => rejection.orderId).sort()).toEqual([FIRST, LAST]);
    expect(new Set(sweep.rejected.map((rejection) => rejection.traceparent)).size).toBe(2);
    expect(store.commits).toBe(1);
    expect(committed).toHaveLength(1);
    for (const id of [FIRST, LAST]) {
      expect(await store.findOrder(id)).toMatchObject({ status: "REJECTED", reason: "TIMEOUT" });
      expect(store.versionOf(id)).toBe(1);
    }
  });

  it("rejects every overdue order it can, and reports the one that failed instead of stopping there", async () => {
    const store = new InMemoryOrderStore();
    for (const id of [FIRST, FAILING, LAST]) store.seed(pending(id));
    store.failWrite = (order) => order.orderId === FAILING;
    const { orders } = application(store);

    const sweep = await orders.rejectOverdue(200);

    expect(sweep.rejected.map((rejection) => rejection.orderId).sort()).toEqual([FIRST, LAST]);
    expect(sweep.failures).toEqual([{ orderId: FAILING, error: expect.any(Error) }]);
    expect(published(store.outbox).sort()).toEqual([
      ["OrderRejected", FIRST],
      ["OrderRejected", LAST],
    ]);
    expect(await store.findOrder(FAILING)).toMatchObject({ status: "PENDING" });
  });

  it("skips an order another transaction holds, without waiting for it or deciding it", async () => {
    const store = new InMemoryOrderStore();
    for (const id of [FIRST, HELD, LAST]) store.seed(pending(id));
    store.held.add(HELD);
    const { orders } = application(store);

    const sweep = await orders.rejectOverdue(200);

    expect(sweep).toMatchObject({ failures: [] });
    expect(sweep.rejected.map((rejection) => rejection.orderId)).not.toContain(HELD);
    expect(published(store.outbox).map(([, orderId]) => orderId)).not.toContain(HELD);
    expect(await store.findOrder(HELD)).toMatchObject({ status: "PENDING" });
  });

  it("leaves alone an order whose deadline has not passed, and takes at most `limit`, oldest deadline first", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST, { now: new Date(PLACED_AT.getTime() + 2_000) }));
    store.seed(pending(LAST, { now: PLACED_AT }));
    store.seed(pending(HELD, { now: SWEEP_AT }));
    const { orders } = application(store);

    expect((await orders.rejectOverdue(1)).rejected.map((rejection) => rejection.orderId)).toEqual([LAST]);
    expect((await orders.rejectOverdue(10)).rejected.map((rejection) => rejection.orderId)).toEqual([FIRST]);
    expect(await store.findOrder(HELD)).toMatchObject({ status: "PENDING" });
  });
});

function reaction(orderId: string, event: IntegrationEvent, command: OrderCommand | undefined): Reaction {
  return {
    orderId,
    command,
    received: { event, consumer: "order-service", topic: "reservation-events", partition: 0, offset: "1" },
  };
}

function reserved(orderId: string, sku = "SKU-A", quantity = 2): Reaction {
  const event = {
    ...SAMPLE_EVENTS.StockReserved,
    metadata: { ...SAMPLE_EVENTS.StockReserved.metadata, eventId: randomUUID() },
    orderId,
    lineCount: 1,
    sku,
    requestedQuantity: quantity,
    reservedQuantity: quantity,
  };
  return reaction(orderId, event, {
    type: "RecordStockReserved",
    orderId,
    lineCount: 1,
    sku,
    requestedQuantity: quantity,
    reservedQuantity: quantity,
    reservationId: randomUUID(),
    now: SWEEP_AT,
  });
}

describe("OrderApplication.reactAll", () => {
  it("decides every reaction on the state the earlier ones left, and saves each order once", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    store.seed(pending(LAST));
    const { orders, committed } = application(store);

    const outcomes = await orders.reactAll([reserved(FIRST), reserved(LAST)]);

    expect(outcomes).toEqual([undefined, undefined]);
    expect(store.commits).toBe(1);
    expect(await store.findOrder(FIRST)).toMatchObject({ status: "CONFIRMED" });
    expect(store.versionOf(FIRST)).toBe(1);
    expect(published(store.outbox)).toEqual([
      ["OrderConfirmed", FIRST],
      ["OrderConfirmed", LAST],
    ]);
    expect(committed.flat().map((change) => change.after.orderId)).toEqual([FIRST, LAST]);
    expect((await store.timeline(FIRST)).map((entry) => [entry.type, entry.direction])).toEqual([
      ["StockReserved", "RECEIVED"],
      ["OrderConfirmed", "EMITTED"],
    ]);
  });

  it("decides an order on one StockRequestAnswered, and keeps it in the history", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders } = application(store);
    const answer = {
      ...SAMPLE_EVENTS.StockRequestAnswered,
      orderId: FIRST,
      lines: [
        {
          sku: "SKU-A",
          requestedQuantity: 2,
          reservedQuantity: 1,
          reservationId: randomUUID(),
          expiresAt: null,
          reason: null,
          availableQuantity: 1,
        },
      ],
    };
    const [line] = answer.lines;
    if (!line) throw new Error("no line");

    await orders.reactAll([
      reaction(FIRST, answer, {
        type: "RecordStockRequestAnswered",
        orderId: FIRST,
        lines: [{ ...line, reason: null }],
        now: SWEEP_AT,
      }),
    ]);

    expect(await store.findOrder(FIRST)).toMatchObject({
      status: "ADJUSTED",
      lines: [{ sku: "SKU-A", status: "PARTIAL", confirmedQuantity: 1, reservationId: line.reservationId }],
    });
    expect((await store.timeline(FIRST)).map((entry) => [entry.type, entry.direction])).toEqual([
      ["StockRequestAnswered", "RECEIVED"],
      ["OrderAdjusted", "EMITTED"],
    ]);
  });

  it("applies an event id once, in one run or across runs", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders } = application(store);
    const answer = reserved(FIRST);

    await orders.reactAll([answer, answer]);
    await orders.reactAll([answer]);

    expect(store.versionOf(FIRST)).toBe(1);
    expect(published(store.outbox)).toEqual([["OrderConfirmed", FIRST]]);
  });

  it("refuses an event for no order or one that contradicts its order, applies the others, and refuses it again when redelivered", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders } = application(store);
    const unknown = reserved(HELD);
    const contradicting = reserved(FIRST, "SKU-NOT-ORDERED");

    const outcomes = await orders.reactAll([unknown, contradicting, reserved(FIRST)]);

    expect(outcomes[0]).toBeInstanceOf(OrderNotFound);
    expect(outcomes[1]).toBeInstanceOf(InconsistentStockMessage);
    expect(outcomes[2]).toBeUndefined();
    expect(await store.findOrder(FIRST)).toMatchObject({ status: "CONFIRMED" });
    const again = await orders.reactAll([unknown, contradicting]);
    expect(again[0]).toBeInstanceOf(OrderNotFound);
    expect(again[1]).toBeInstanceOf(InconsistentStockMessage);
  });

  it("records an event that needs no decision in the history, and changes nothing", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders, committed } = application(store);
    const released = { ...SAMPLE_EVENTS.StockReleased, orderId: FIRST };

    await orders.reactAll([reaction(FIRST, released, undefined)]);

    expect(store.versionOf(FIRST)).toBe(0);
    expect(committed).toEqual([]);
    expect((await store.timeline(FIRST)).map((entry) => entry.type)).toEqual(["StockReleased"]);
  });

  it("rolls the whole run back when saving fails", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    store.seed(pending(FAILING));
    store.failWrite = (order) => order.orderId === FAILING;
    const { orders, committed } = application(store);
    const first = reserved(FIRST);

    await expect(orders.reactAll([first, reserved(FAILING)])).rejects.toThrow(/connection reset/);

    expect(store.versionOf(FIRST)).toBe(0);
    expect(store.outbox).toEqual([]);
    expect(committed).toEqual([]);
    store.failWrite = () => false;
    await orders.reactAll([first]);
    expect(await store.findOrder(FIRST)).toMatchObject({ status: "CONFIRMED" });
  });
});

describe("OrderApplication.cancelOrder", () => {
  it("cancels for its customer, publishes OrderCancelled and names who cancelled", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders } = application(store);

    const { order, changed } = await orders.cancelOrder({
      orderId: FIRST,
      requestedBy: "customer-1",
      isAdmin: false,
      reason: "changed my mind",
      traceparent: null,
    });

    expect(changed).toBe(true);
    expect(order).toMatchObject({ status: "CANCELLED", cancellation: { cancelledBy: "customer-1" } });
    expect(await store.findOrder(FIRST)).toEqual(order);
    expect(published(store.outbox)).toEqual([["OrderCancelled", FIRST]]);
  });

  it("lets an admin cancel anyone's order, and no other customer", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders } = application(store);
    const cancel = (requestedBy: string, isAdmin: boolean) =>
      orders.cancelOrder({ orderId: FIRST, requestedBy, isAdmin, reason: "fraud", traceparent: null });

    await expect(cancel("mallory", false)).rejects.toBeInstanceOf(OrderNotFound);
    const { order } = await cancel("admin-1", true);
    expect(order.cancellation).toEqual({ reason: "fraud", cancelledBy: "admin-1" });
  });

  it("changes nothing when cancelled twice", async () => {
    const store = new InMemoryOrderStore();
    store.seed(pending(FIRST));
    const { orders, committed } = application(store);
    const cancel = () =>
      orders.cancelOrder({
        orderId: FIRST,
        requestedBy: "customer-1",
        isAdmin: false,
        reason: "changed my mind",
        traceparent: null,
      });

    await cancel();
    expect((await cancel()).changed).toBe(false);
    expect(store.versionOf(FIRST)).toBe(1);
    expect(committed).toHaveLength(1);
  });
});

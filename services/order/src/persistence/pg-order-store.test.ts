import { randomUUID } from "node:crypto";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { outboxEntry } from "@stocksaga/messaging";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, evolve, initialState, type Order, type OrderEvent } from "../domain/index.js";
import { placeOrder } from "../domain/testing.js";
import type { OrderTransaction } from "./order-store.js";
import { PgOrderStore } from "./pg-order-store.js";
import { freshOrderDatabase } from "./testing/fresh-database.js";

const PLACED_AT = new Date("2030-01-01T10:00:00.000Z");

let database: Awaited<ReturnType<typeof freshOrderDatabase>>;
let store: PgOrderStore;

beforeAll(async () => {
  database = await freshOrderDatabase();
  store = new PgOrderStore(database.pool);
});
afterAll(async () => {
  await database?.close();
});

function pending(changes: Parameters<typeof placeOrder>[0] = {}): Order {
  const command = placeOrder({ orderId: randomUUID(), now: PLACED_AT, ...changes });
  return decide(command, initialState()).reduce(evolve, initialState()) as Order;
}

function after(order: Order, events: readonly OrderEvent[]): Order {
  return events.reduce(evolve, order) as Order;
}

async function insert(...orders: Order[]): Promise<void> {
  await store.transaction((tx) =>
    tx.insertOrders(orders.map((order) => ({ order, idempotency: undefined }))),
  );
}

/** A transaction held open until `release` is called, to see what other transactions do meanwhile. */
function heldTransaction(work: (tx: OrderTransaction) => Promise<unknown>) {
  let release: () => void = () => undefined;
  let ready: () => void = () => undefined;
  const holding = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const done = store.transaction(async (tx) => {
    await work(tx);
    ready();
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  return { holding, done, release: () => release() };
}

/** Counts the statements the store sends, begin and commit included. */
function countingStore(pool: pg.Pool): { store: PgOrderStore; statements: () => number } {
  let statements = 0;
  const counting = new Proxy(pool, {
    get(target, property, receiver) {
      if (property !== "connect") return Reflect.get(target, property, receiver);
      return async () => {
        const client = await target.connect();
        return new Proxy(client, {
          get(inner, name, innerReceiver) {
            const value = Reflect.get(inner, name, innerReceiver);
            if (name !== "query" || typeof value !== "function") return value;
            return (...args: unknown[]) => {
              statements++;
              return value.apply(inner, args);
            };
          },
        });
      };
    },
  });
  return { store: new PgOrderStore(counting), statements: () => statements };
}

describe("PgOrderStore", () => {
  it("locks and loads orders as inserted, leaving out ids with no order", async () => {
    const a = pending();
    const b = pending({
      lines: [
        { sku: "SKU-C", quantity: 1 },
        { sku: "SKU-B", quantity: 3 },
        { sku: "SKU-A", quantity: 2 },
      ],
    });
    await insert(a, b);

    const loaded = await store.transaction((tx) => tx.lockOrders([b.orderId, randomUUID(), a.orderId]));

    expect([...loaded.keys()].sort()).toEqual([a.orderId, b.orderId].sort());
    expect(loaded.get(a.orderId)).toEqual({ order: a, version: 0 });
    expect(loaded.get(b.orderId)?.order.lines.map((line) => line.sku)).toEqual(["SKU-C", "SKU-B", "SKU-A"]);
  });

  it("saves changes conditionally on their version, in one statement for any number of orders", async () => {
    const orders = Array.from({ length: 20 }, () => pending());
    await insert(...orders);
    const counting = countingStore(database.pool);
    const cancel = (order: Order) =>
      after(
        order,
        decide(
          {
            type: "CancelOrder",
            orderId: order.orderId,
            cancelledBy: "customer-1",
            reason: "r",
            now: PLACED_AT,
          },
          order,
        ),
      );

    const before = counting.statements();
    await counting.store.transaction((tx) =>
      tx.updateOrders(orders.map((order) => ({ before: order, after: cancel(order), version: 0 }))),
    );
    expect(counting.statements() - before).toBe(3);

    const [first] = orders;
    if (!first) throw new Error("no order");
    await expect(
      store.transaction((tx) => tx.updateOrders([{ before: first, after: cancel(first), version: 0 }])),
    ).rejects.toThrow(/changed under a held lock/);
    expect(await store.findOrder(first.orderId)).toMatchObject({ status: "CANCELLED" });
    const reloaded = await store.transaction((tx) => tx.lockOrders([first.orderId]));
    expect(reloaded.get(first.orderId)?.version).toBe(1);
  });

  it("writes only the lines whose answer changed, and every line of an adjustment", async () => {
    const order = pending();
    await insert(order);
    const answered = after(order, [
      {
        type: "LineReserved",
        orderId: order.orderId,
        sku: "SKU-A",
        reservedQuantity: 2,
        reservationId: randomUUID(),
        at: PLACED_AT,
      },
    ]);
    await store.transaction((tx) => tx.updateOrders([{ before: order, after: answered, version: 0 }]));
    const decided = after(answered, [
      {
        type: "LineReserved",
        orderId: order.orderId,
        sku: "SKU-B",
        reservedQuantity: 3,
        reservationId: randomUUID(),
        at: PLACED_AT,
      },
      {
        type: "OrderAdjusted",
        orderId: order.orderId,
        lines: [
          { sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 },
          { sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 },
        ],
        at: PLACED_AT,
      },
    ]);
    await store.transaction((tx) => tx.updateOrders([{ before: answered, after: decided, version: 1 }]));

    expect(await store.findOrder(order.orderId)).toEqual(decided);
  });

  it("leaves out an order whose Idempotency-Key its customer used before, and finds that order", async () => {
    const first = pending({ customerId: "idem-customer" });
    const second = pending({ customerId: "idem-customer" });
    const otherCustomer = pending({ customerId: "someone-else" });
    const key = `key-${randomUUID()}`;
    await store.transaction((tx) =>
      tx.insertOrders([{ order: first, idempotency: { key, requestHash: "h1" } }]),
    );

    const { inserted, found } = await store.transaction(async (tx) => {
      const inserted = await tx.insertOrders([
        { order: second, idempotency: { key, requestHash: "h2" } },
        { order: otherCustomer, idempotency: { key, requestHash: "h3" } },
      ]);
      const found = await tx.findIdempotentPlacements([{ customerId: "idem-customer", key }]);
      return { inserted, found };
    });

    expect(inserted).toEqual(new Set([otherCustomer.orderId]));
    expect(found).toEqual([{ customerId: "idem-customer", key, requestHash: "h1", order: first }]);
    expect(await store.findOrder(second.orderId)).toBeUndefined();
  });

  it("makes a second transaction inserting the same key wait for the first, then leaves its order out", async () => {
    const key = `key-${randomUUID()}`;
    const first = pending({ customerId: "racer" });
    const second = pending({ customerId: "racer" });
    const held = heldTransaction((tx) =>
      tx.insertOrders([{ order: first, idempotency: { key, requestHash: "h" } }]),
    );
    await held.holding;

    let settled = false;
    const racing = store
      .transaction((tx) => tx.insertOrders([{ order: second, idempotency: { key, requestHash: "h" } }]))
      .finally(() => {
        settled = true;
      });
    // Progress to wait on: the second insert is queued on the first one's row lock.
    const waitingOnLocks = async () =>
      (
        await database.pool.query<{ n: number }>(
          "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
        )
      ).rows[0]?.n;
    await expect.poll(waitingOnLocks, { timeout: 5_000 }).toBe(1);
    expect(settled).toBe(false);
    held.release();
    await held.done;

    expect(await racing).toEqual(new Set());
  });

  it("lets the sweeper skip an order another transaction holds instead of waiting for it", async () => {
    const overdue = [pending({ customerId: "sweep" }), pending({ customerId: "sweep" })];
    await insert(...overdue);
    const [held, free] = overdue;
    if (!held || !free) throw new Error("no orders");
    const holder = heldTransaction((tx) => tx.lockOrders([held.orderId]));
    await holder.holding;

    const swept = await store.transaction((tx) =>
      tx.lockOverdueOrders(new Date(PLACED_AT.getTime() + 60_000), 10, [held.orderId, free.orderId]),
    );

    holder.release();
    await holder.done;
    expect(swept.map(({ order }) => order.orderId)).toEqual([free.orderId]);
    expect(swept[0]).toEqual({ order: free, version: 0 });
  });

  it("finds overdue orders oldest deadline first, up to the limit, and none before their deadline", async () => {
    const late = pending({ now: new Date(PLACED_AT.getTime() - 2_000) });
    const later = pending({ now: new Date(PLACED_AT.getTime() - 1_000) });
    const onTime = pending({ now: new Date(PLACED_AT.getTime() + 60_000) });
    await insert(later, onTime, late);
    const among = [late.orderId, later.orderId, onTime.orderId];
    const now = new Date(PLACED_AT.getTime() + 45_000);

    const all = await store.transaction((tx) => tx.lockOverdueOrders(now, 10, among));
    const one = await store.transaction((tx) => tx.lockOverdueOrders(now, 1, among));

    expect(all.map(({ order }) => order.orderId)).toEqual([late.orderId, later.orderId]);
    expect(one.map(({ order }) => order.orderId)).toEqual([late.orderId]);
  });

  it("records outgoing events in order and each history line once", async () => {
    const order = pending();
    await insert(order);
    const received: IntegrationEvent = {
      ...SAMPLE_EVENTS.StockReleased,
      metadata: { ...SAMPLE_EVENTS.StockReleased.metadata, eventId: randomUUID() },
      orderId: order.orderId,
    };
    const emitted: IntegrationEvent = {
      ...SAMPLE_EVENTS.OrderCancelled,
      metadata: { ...SAMPLE_EVENTS.OrderCancelled.metadata, eventId: randomUUID() },
      orderId: order.orderId,
    };
    const route = { topic: "order-events", key: order.orderId };
    const record = (tx: OrderTransaction) =>
      tx.recordEvents(
        [outboxEntry(emitted, route)],
        [
          { orderId: order.orderId, event: received, direction: "RECEIVED" },
          { orderId: order.orderId, event: emitted, direction: "EMITTED" },
        ],
      );

    await store.transaction(record);
    await store.transaction((tx) =>
      tx.recordEvents([], [{ orderId: order.orderId, event: received, direction: "RECEIVED" }]),
    );

    const timeline = await store.timeline(order.orderId);
    expect(timeline.map((entry) => [entry.type, entry.direction, entry.eventId])).toEqual([
      ["StockReleased", "RECEIVED", received.metadata.eventId],
      ["OrderCancelled", "EMITTED", emitted.metadata.eventId],
    ]);
    expect(timeline[1]?.event).toEqual(emitted);
    expect(timeline[0]?.occurredAt).toEqual(new Date(received.metadata.occurredAt));
    const { rows } = await database.pool.query<{ event_type: string }>(
      "select event_type from outbox where event_id = $1::uuid",
      [emitted.metadata.eventId],
    );
    expect(rows).toEqual([{ event_type: "OrderCancelled" }]);
  });

  it("applies an inbox entry once per consumer, and takes a mark back", async () => {
    const eventId = randomUUID();
    const entry = { eventId, topic: "reservation-events", partition: 0, offset: "1" };

    expect(await store.transaction((tx) => tx.claimInbox("a", [entry, entry]))).toEqual([true, false]);
    expect(await store.transaction((tx) => tx.claimInbox("b", [entry]))).toEqual([true]);
    await store.transaction((tx) => tx.unclaimInbox("a", [eventId]));
    expect(await store.transaction((tx) => tx.claimInbox("a", [entry]))).toEqual([true]);
  });

  it("lists a customer's orders newest first, a page at a time, with a status filter", async () => {
    const customerId = `lister-${randomUUID()}`;
    const orders = [0, 1, 2, 3, 4].map((i) =>
      pending({ customerId, now: new Date(PLACED_AT.getTime() + i) }),
    );
    await insert(...orders);
    const newestFirst = [...orders].reverse().map((order) => order.orderId);

    const first = await store.listOrders({ customerId, limit: 2 });
    const second = await store.listOrders({
      customerId,
      limit: 2,
      ...(first.next ? { after: first.next } : {}),
    });
    const last = await store.listOrders({
      customerId,
      limit: 2,
      ...(second.next ? { after: second.next } : {}),
    });

    expect([...first.orders, ...second.orders, ...last.orders].map((order) => order.orderId)).toEqual(
      newestFirst,
    );
    expect(last.next).toBeNull();
    expect(first.orders[0]).toEqual(orders[4]);
    expect((await store.listOrders({ customerId, status: "CANCELLED", limit: 10 })).orders).toEqual([]);
    expect((await store.listOrders({ customerId, status: "PENDING", limit: 10 })).orders).toHaveLength(5);
  });

  it("answers readiness", async () => {
    expect(await store.ping()).toBe(true);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evolve, initialState, type Order, type OrderEvent } from "../domain/index.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  lineRejected,
  lineReserved,
  orderAdjusted,
  orderCancelled,
  orderPlaced,
  orderRejected,
} from "../domain/testing.js";
import { PgOrderStore } from "./pg-order-store.js";
import { freshOrderDatabase } from "./testing/fresh-database.js";

let database: Awaited<ReturnType<typeof freshOrderDatabase>>;
let store: PgOrderStore;

beforeAll(async () => {
  database = await freshOrderDatabase();
  store = new PgOrderStore(database.pool);
});
afterAll(async () => {
  await database?.close();
});

const RESERVATIONS = new Map<string, string>();

/** The history for an order of its own, with reservation ids the database can hold (UUIDs). */
function ofNewOrder(history: readonly OrderEvent[]): OrderEvent[] {
  const orderId = randomUUID();
  return history.map((event) => {
    const renamed = { ...event, orderId };
    if (renamed.type !== "LineReserved") return renamed;
    const reservationId = RESERVATIONS.get(renamed.reservationId) ?? randomUUID();
    RESERVATIONS.set(renamed.reservationId, reservationId);
    return { ...renamed, reservationId };
  });
}

const ADMIN_CANCELLATION: OrderCancelled = {
  ...orderCancelled(at(5)),
  cancelledBy: "stock-admin",
  reason: "suspected fraud",
};
type OrderCancelled = ReturnType<typeof orderCancelled>;

/** Every final status, and the ways to reach them that leave different traces on the order. */
const HISTORIES: Record<string, readonly OrderEvent[]> = {
  "pending, one line answered": [orderPlaced(), lineReserved("SKU-A", 2)],
  confirmed: CONFIRMED_HISTORY,
  adjusted: ADJUSTED_HISTORY,
  "adjusted again after the commit": [
    ...ADJUSTED_HISTORY,
    orderAdjusted([{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 }], at(3)),
  ],
  "rejected for no stock, with a detail and the lines' reasons": [
    orderPlaced(),
    lineRejected("SKU-A", 1),
    lineRejected("SKU-B", 0, at(1), "UNKNOWN_PRODUCT"),
    orderRejected("NO_STOCK", "No stock for any line: SKU-A, SKU-B"),
  ],
  "rejected all or nothing": [
    orderPlaced(undefined, "ALL_OR_NOTHING"),
    lineReserved("SKU-A", 2),
    lineReserved("SKU-B", 3),
    orderRejected("SHORTFALL_NOT_ALLOWED", "All or nothing, short on SKU-B"),
  ],
  "rejected on timeout": [
    orderPlaced(),
    orderRejected("TIMEOUT", "No decision by 2030-01-01T10:00:30.000Z: 2 of 2 lines unanswered", at(31_000)),
  ],
  "rejected when a reservation expired": [
    orderPlaced(),
    lineReserved("SKU-A", 2),
    orderRejected("RESERVATION_EXPIRED", "Reservation expired before the order was decided", at(4)),
  ],
  "rejected when nothing was honoured": [
    ...CONFIRMED_HISTORY,
    orderRejected("NOT_HONOURED", "The inventory committed none of the confirmed units", at(3)),
  ],
  "cancelled by its customer": [...CONFIRMED_HISTORY, orderCancelled(at(5))],
  "cancelled by an admin": [...CONFIRMED_HISTORY, ADMIN_CANCELLATION],
  "cancelled while pending": [orderPlaced(), orderCancelled(at(5))],
};

describe("an order saved and loaded again is the order evolve produced", () => {
  it.each(Object.entries(HISTORIES))("%s", async (_name, history) => {
    const [placedEvent, ...rest] = ofNewOrder(history);
    if (!placedEvent) throw new Error("empty history");
    let order = evolve(initialState(), placedEvent) as Order;
    await store.transaction((tx) => tx.insertOrders([{ order, idempotency: undefined }]));

    // One transaction per event, as the service saves each decision; every state in between too.
    for (const [version, event] of rest.entries()) {
      const next = evolve(order, event) as Order;
      await store.transaction((tx) => tx.updateOrders([{ before: order, after: next, version }]));
      order = next;
      expect(await store.findOrder(order.orderId)).toEqual(order);
    }

    expect(await store.findOrder(order.orderId)).toEqual(order);
    const locked = await store.transaction((tx) => tx.lockOrders([order.orderId]));
    expect(locked.get(order.orderId)).toEqual({ order, version: rest.length });
    const listed = await store.listOrders({ customerId: order.customerId, status: order.status, limit: 100 });
    expect(listed.orders.find((candidate) => candidate.orderId === order.orderId)).toEqual(order);
  });

  it("keeps an order inserted already decided as it is (every column written at insert too)", async () => {
    const [placedEvent, ...rest] = ofNewOrder([...CONFIRMED_HISTORY, ADMIN_CANCELLATION]);
    if (!placedEvent) throw new Error("empty history");
    const order = rest.reduce(evolve, evolve(initialState(), placedEvent)) as Order;

    await store.transaction((tx) => tx.insertOrders([{ order, idempotency: undefined }]));

    expect(await store.findOrder(order.orderId)).toEqual(order);
    expect(order.cancellation).toEqual({ reason: "suspected fraud", cancelledBy: "stock-admin" });
  });
});

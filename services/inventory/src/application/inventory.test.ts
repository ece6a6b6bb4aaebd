import { beforeEach, describe, expect, it, vi } from "vitest";
import {
  InconsistentOrderMessage,
  InvalidStockAdjustment,
  type InventoryEvent,
  MAX_ON_HAND,
  ProductAlreadyExists,
  ProductNotFound,
  StockInvariantViolated,
  UnknownOrderRequest,
} from "../domain/index.js";
import { InMemoryInventoryStore } from "../persistence/in-memory-inventory-store.js";
import { InventoryApplication } from "./inventory.js";
import {
  orderCancelled,
  orderConfirmed,
  orderRejected,
  orderRequested,
  published,
  reacting,
  route,
  TTL_MS,
} from "./testing.js";

const START = new Date("2030-01-01T10:00:00.000Z");

let now: Date;
let store: InMemoryInventoryStore;
let committed: InventoryEvent[][];
let inventory: InventoryApplication;
let reactions: ReturnType<typeof reacting>;

function later(ms: number): Date {
  return new Date(START.getTime() + ms);
}

beforeEach(async () => {
  now = START;
  store = new InMemoryInventoryStore();
  committed = [];
  inventory = new InventoryApplication({
    store,
    route,
    clock: () => now,
    onCommitted: (events) => committed.push([...events]),
  });
  reactions = reacting(() => now);
  for (const [sku, onHand] of [
    ["SKU-A", 10],
    ["SKU-B", 1],
  ] as const) {
    await inventory.createProduct({ sku, name: `Product ${sku}`, onHand, traceparent: null });
  }
  committed = [];
});

async function stockOf(sku: string) {
  const product = await store.findProduct(sku);
  return product && { onHand: product.onHand, reserved: product.reserved };
}

function typesPublished(from = 0): string[] {
  return published(store.outbox.slice(from)).map((event) => event.type);
}

describe("reactAll: order events in one transaction", () => {
  it("reserves what is available, answers every line, and records the reservations", async () => {
    const requested = orderRequested([
      ["SKU-A", 3],
      ["SKU-B", 2],
      ["SKU-Z", 1],
    ]);
    expect(await inventory.reactAll(reactions(requested))).toEqual([undefined]);

    expect(published(store.outbox)).toEqual([
      expect.objectContaining({
        type: "StockRequestAnswered",
        orderId: requested.orderId,
        lines: [
          expect.objectContaining({ sku: "SKU-A", requestedQuantity: 3, reservedQuantity: 3, reason: null }),
          expect.objectContaining({ sku: "SKU-B", requestedQuantity: 2, reservedQuantity: 1, reason: null }),
          expect.objectContaining({ sku: "SKU-Z", reservedQuantity: 0, reason: "UNKNOWN_PRODUCT" }),
        ],
      }),
      expect.objectContaining({ type: "ProductOutOfStock", sku: "SKU-B" }),
    ]);
    expect(store.outbox[0]).toMatchObject({ topic: "reservation-events", messageKey: requested.orderId });
    expect(published(store.outbox)[0]?.metadata.causationId).toBe(requested.metadata.eventId);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 3 });
    expect(await stockOf("SKU-B")).toEqual({ onHand: 1, reserved: 1 });
    expect(await store.reservationsOfOrder(requested.orderId)).toEqual([
      expect.objectContaining({ sku: "SKU-A", quantity: 3, status: "ACTIVE", expiresAt: later(TTL_MS) }),
      expect.objectContaining({ sku: "SKU-B", quantity: 1, status: "ACTIVE", expiresAt: later(TTL_MS) }),
    ]);
    expect(committed).toHaveLength(1);
  });

  it("answers line by line when told to, for order services that do not read the one answer yet", async () => {
    const perLine = new InventoryApplication({ store, route, clock: () => now, answers: "per-line" });
    await perLine.reactAll(
      reactions(
        orderRequested([
          ["SKU-A", 3],
          ["SKU-Z", 1],
        ]),
      ),
    );
    expect(published(store.outbox)).toEqual([
      expect.objectContaining({ type: "StockReserved", sku: "SKU-A", lineCount: 2, reservedQuantity: 3 }),
      expect.objectContaining({
        type: "StockRejected",
        sku: "SKU-Z",
        lineCount: 2,
        reason: "UNKNOWN_PRODUCT",
      }),
    ]);
  });

  it("decides a batch in order, each event on the state the earlier ones left", async () => {
    const first = orderRequested([["SKU-A", 6]], { fulfilment: "ALL_OR_NOTHING" });
    const second = orderRequested([["SKU-A", 6]], { fulfilment: "ALL_OR_NOTHING" });
    await inventory.reactAll(reactions(first, second));
    expect(published(store.outbox)).toEqual([
      expect.objectContaining({
        orderId: first.orderId,
        lines: [expect.objectContaining({ reservedQuantity: 6, availableQuantity: 10 })],
      }),
      expect.objectContaining({
        orderId: second.orderId,
        lines: [
          expect.objectContaining({
            reservedQuantity: 0,
            reason: "INSUFFICIENT_STOCK",
            availableQuantity: 4,
          }),
        ],
      }),
    ]);
    expect(store.commits).toBe(3);
  });

  it("applies each event once: a redelivery, alone or in the same batch, changes and publishes nothing", async () => {
    const requested = orderRequested([["SKU-A", 2]]);
    const [reaction] = reactions(requested);
    if (!reaction) throw new Error("no reaction");
    expect(await inventory.reactAll([reaction, reaction])).toEqual([undefined, undefined]);
    const after = store.outbox.length;
    expect(await inventory.reactAll([reaction])).toEqual([undefined]);
    expect(store.outbox).toHaveLength(after);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 2 });
  });

  it("reports a refused event, applies the others, and refuses the event again when it comes back", async () => {
    const stranger = orderConfirmed("9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d", [["SKU-A", 1]]);
    const requested = orderRequested([["SKU-A", 2]]);
    const outcomes = await inventory.reactAll(reactions(stranger, requested));
    expect(outcomes[0]).toBeInstanceOf(UnknownOrderRequest);
    expect(outcomes[1]).toBeUndefined();
    expect(typesPublished()).toEqual(["StockRequestAnswered"]);

    const again = await inventory.reactAll(reactions(stranger));
    expect(again[0]).toBeInstanceOf(UnknownOrderRequest);
  });

  it("refuses an inconsistent message with nothing of it applied", async () => {
    const twice = orderRequested([
      ["SKU-A", 1],
      ["SKU-A", 2],
    ]);
    const [outcome] = await inventory.reactAll(reactions(twice));
    expect(outcome).toBeInstanceOf(InconsistentOrderMessage);
    expect(store.outbox).toHaveLength(0);
    expect(await store.reservationsOfOrder(twice.orderId)).toEqual([]);
    expect(committed).toEqual([]);
  });

  it("rolls the whole batch back on any other failure, inbox marks included, and tells no one", async () => {
    const requested = orderRequested([["SKU-A", 1]]);
    const corrupt = orderRequested([["SKU-C", 1]]);
    store.putProduct({ sku: "SKU-C", name: "C", onHand: 1, reserved: 2, updatedAt: START });
    const batch = reactions(requested, corrupt);
    await expect(inventory.reactAll(batch)).rejects.toBeInstanceOf(StockInvariantViolated);
    expect(store.outbox).toHaveLength(0);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
    expect(committed).toEqual([]);

    store.putProduct({ sku: "SKU-C", name: "C", onHand: 1, reserved: 0, updatedAt: START });
    expect(await inventory.reactAll(batch)).toEqual([undefined, undefined]);
    expect(typesPublished()).toEqual(["StockRequestAnswered", "StockRequestAnswered", "ProductOutOfStock"]);
  });

  it("commits what the order confirmed, then a cancellation puts it back on hand", async () => {
    const requested = orderRequested([
      ["SKU-A", 3],
      ["SKU-B", 1],
    ]);
    await inventory.reactAll(reactions(requested));
    now = later(1_000);
    await inventory.reactAll(reactions(orderConfirmed(requested.orderId, [["SKU-A", 2]])));
    expect(await stockOf("SKU-A")).toEqual({ onHand: 8, reserved: 0 });
    expect(await stockOf("SKU-B")).toEqual({ onHand: 1, reserved: 0 });
    expect(
      (await store.reservationsOfOrder(requested.orderId)).map((r) => [r.sku, r.status, r.quantity]),
    ).toEqual([
      ["SKU-A", "COMMITTED", 2],
      ["SKU-B", "RELEASED", 1],
    ]);

    const from = store.outbox.length;
    await inventory.reactAll(reactions(orderCancelled(requested.orderId)));
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
    expect(published(store.outbox.slice(from))).toEqual([
      expect.objectContaining({
        type: "StockReleased",
        reason: "ORDER_CANCELLED",
        lines: [expect.objectContaining({ sku: "SKU-A", quantity: 2, wasCommitted: true })],
      }),
    ]);
  });

  it("remembers a release that came first, so the late request reserves nothing", async () => {
    const requested = orderRequested([["SKU-A", 3]]);
    await inventory.reactAll(reactions(orderRejected(requested.orderId)));
    await inventory.reactAll(reactions(requested));
    expect(store.outbox).toHaveLength(0);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
  });

  it("an order requested and released in one batch is written once, already released", async () => {
    const requested = orderRequested([["SKU-A", 3]]);
    await inventory.reactAll(reactions(requested, orderRejected(requested.orderId)));
    expect(typesPublished()).toEqual(["StockRequestAnswered", "StockReleased"]);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
    expect((await store.reservationsOfOrder(requested.orderId)).map((r) => r.status)).toEqual(["RELEASED"]);
  });
});

describe("products", () => {
  it("creates a product once; a second one with its SKU is refused", async () => {
    expect(await store.findProduct("SKU-A")).toMatchObject({
      name: "Product SKU-A",
      onHand: 10,
      reserved: 0,
    });
    await expect(
      inventory.createProduct({ sku: "SKU-A", name: "again", onHand: 1, traceparent: null }),
    ).rejects.toBeInstanceOf(ProductAlreadyExists);
    expect(store.outbox).toHaveLength(0);
  });

  it("adjusts stock, keeps the audit row, and publishes the adjustment in the request's trace", async () => {
    now = later(5);
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const product = await inventory.adjustStock({
      sku: "SKU-B",
      delta: -1,
      reason: "damaged",
      actor: "admin-1",
      traceparent,
    });
    expect(product).toMatchObject({ sku: "SKU-B", onHand: 0, reserved: 0, updatedAt: later(5) });
    expect(store.adjustments).toEqual([
      { sku: "SKU-B", delta: -1, reason: "damaged", actor: "admin-1", createdAt: later(5) },
    ]);
    expect(published(store.outbox)).toEqual([
      expect.objectContaining({ type: "StockAdjusted", sku: "SKU-B", onHand: 0, available: 0 }),
      expect.objectContaining({ type: "ProductOutOfStock", sku: "SKU-B" }),
    ]);
    expect(published(store.outbox)[0]?.metadata.traceparent).toBe(traceparent);
  });

  it("refuses an adjustment of an unknown product or past the column's range", async () => {
    await expect(
      inventory.adjustStock({ sku: "SKU-Z", delta: 1, reason: "found", actor: "admin-1", traceparent: null }),
    ).rejects.toBeInstanceOf(ProductNotFound);
    await expect(
      inventory.adjustStock({
        sku: "SKU-A",
        delta: MAX_ON_HAND,
        reason: "found",
        actor: "admin-1",
        traceparent: null,
      }),
    ).rejects.toBeInstanceOf(InvalidStockAdjustment);
    expect(store.adjustments).toEqual([]);
  });
});

describe("expireOverdue", () => {
  async function reserved(sku: string, quantity: number): Promise<string> {
    const requested = orderRequested([[sku, quantity]]);
    await inventory.reactAll(reactions(requested));
    return requested.orderId;
  }

  it("expires nothing before its time", async () => {
    await reserved("SKU-A", 2);
    now = later(TTL_MS);
    expect(await inventory.expireOverdue(10)).toEqual({ expired: [], failures: [] });
  });

  it("expires every overdue reservation in one transaction", async () => {
    const first = await reserved("SKU-A", 2);
    const second = await reserved("SKU-A", 3);
    const commits = store.commits;
    const from = store.outbox.length;
    now = later(TTL_MS + 1);
    const sweep = await inventory.expireOverdue(10);
    expect(sweep.failures).toEqual([]);
    expect(sweep.expired.map((e) => e.orderId)).toEqual([first, second]);
    expect(store.commits).toBe(commits + 1);
    expect(typesPublished(from)).toEqual(["ReservationExpired", "ReservationExpired"]);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
    expect(committed.at(-1)?.map((event) => event.type)).toEqual([
      "ReservationExpired",
      "ReservationExpired",
    ]);
    expect(await inventory.expireOverdue(10)).toEqual({ expired: [], failures: [] });
  });

  it("when the batch fails, expires the others one by one and reports the one that failed", async () => {
    const healthy = await reserved("SKU-A", 2);
    store.putProduct({ sku: "SKU-C", name: "C", onHand: 5, reserved: 0, updatedAt: START });
    const broken = await reserved("SKU-C", 2);
    store.putProduct({ sku: "SKU-C", name: "C", onHand: 1, reserved: 2, updatedAt: START });
    now = later(TTL_MS + 1);
    const sweep = await inventory.expireOverdue(10);
    expect(sweep.expired.map((e) => e.orderId)).toEqual([healthy]);
    expect(sweep.failures).toEqual([
      expect.objectContaining({ orderId: broken, error: expect.any(StockInvariantViolated) }),
    ]);
    expect(await stockOf("SKU-A")).toEqual({ onHand: 10, reserved: 0 });
  });

  it("leaves a reservation settled since it was found alone", async () => {
    const orderId = await reserved("SKU-A", 2);
    now = later(1);
    await inventory.reactAll(reactions(orderConfirmed(orderId, [["SKU-A", 2]])));
    const overdue = vi.spyOn(store, "overdueReservations");
    overdue.mockResolvedValueOnce(
      (await store.reservationsOfOrder(orderId)).map((r) => ({ reservationId: r.id, orderId })),
    );
    now = later(TTL_MS + 1);
    expect(await inventory.expireOverdue(10)).toEqual({ expired: [], failures: [] });
    expect(await stockOf("SKU-A")).toEqual({ onHand: 8, reserved: 0 });
  });
});

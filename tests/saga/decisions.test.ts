import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

/** The saga's decisions, end to end: both services as processes, real Kafka, registry and PostgreSQL. */
describe("an order's saga decides from the inventory's answers", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let alice: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("stock-admin", { admin: true });
    alice = system.client(`alice-${randomUUID()}`);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("confirms an order whose every line is in stock, and commits the stock", async () => {
    const [a, b] = [uniqueSku(), uniqueSku()];
    await admin.createProduct(a, 10);
    await admin.createProduct(b, 5);

    const placed = await alice.placeOrder([
      { sku: a, quantity: 3 },
      { sku: b, quantity: 5 },
    ]);
    expect(placed.status).toBe(202);
    expect(placed.headers.get("location")).toBe(`/orders/${placed.body.orderId}`);
    expect(placed.body.status).toBe("PENDING");

    const order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("CONFIRMED");
    expect(order.items.map((i) => [i.sku, i.confirmedQuantity, i.status])).toEqual([
      [a, 3, "RESERVED"],
      [b, 5, "RESERVED"],
    ]);

    const reservations = await admin.settledReservations(order.orderId);
    expect(reservations.map((r) => r.status)).toEqual(["COMMITTED", "COMMITTED"]);
    expect(await admin.product(a)).toMatchObject({ onHand: 7, reserved: 0, available: 7 });
    expect(await admin.product(b)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });

    const timeline = await eventually("StockCommitted in the timeline", async () => {
      const events = await alice.timeline(order.orderId);
      return events.some((e) => e.type === "StockCommitted") ? events : undefined;
    });
    expect(timeline.map((e) => `${e.direction} ${e.type}`)).toEqual([
      "EMITTED OrderRequested",
      "RECEIVED StockRequestAnswered",
      "EMITTED OrderConfirmed",
      "RECEIVED StockCommitted",
    ]);
  });

  it("adjusts a PARTIAL order to the units available, and commits only those", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 4);
    const placed = await alice.placeOrder([{ sku, quantity: 6 }]);

    const order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("ADJUSTED");
    expect(order.items[0]).toMatchObject({
      sku,
      requestedQuantity: 6,
      confirmedQuantity: 4,
      status: "PARTIAL",
    });

    await admin.settledReservations(order.orderId);
    expect(await admin.product(sku)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it("adjusts an order with an unknown SKU to the lines that exist", async () => {
    const known = uniqueSku();
    const unknown = uniqueSku("NOPE");
    await admin.createProduct(known, 8);
    const placed = await alice.placeOrder([
      { sku: known, quantity: 2 },
      { sku: unknown, quantity: 1 },
    ]);

    const order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("ADJUSTED");
    expect(order.items).toEqual([
      expect.objectContaining({ sku: known, confirmedQuantity: 2, status: "RESERVED" }),
      expect.objectContaining({
        sku: unknown,
        confirmedQuantity: 0,
        status: "REJECTED",
        reason: "UNKNOWN_PRODUCT",
      }),
    ]);
    await admin.settledReservations(order.orderId);
    expect(await admin.product(known)).toMatchObject({ onHand: 6, reserved: 0 });
  });

  it("rejects an ALL_OR_NOTHING order with a shortfall, and releases the other lines' stock", async () => {
    const plenty = uniqueSku();
    const scarce = uniqueSku();
    await admin.createProduct(plenty, 10);
    await admin.createProduct(scarce, 1);
    const placed = await alice.placeOrder(
      [
        { sku: plenty, quantity: 4 },
        { sku: scarce, quantity: 2 },
      ],
      { fulfilment: "ALL_OR_NOTHING" },
    );

    const order = await alice.orderReaching(placed.body.orderId);
    expect(order.status).toBe("REJECTED");
    expect(order.reason).toBe("SHORTFALL_NOT_ALLOWED");

    const reservations = await admin.settledReservations(order.orderId);
    expect(reservations).toEqual([expect.objectContaining({ sku: plenty, quantity: 4, status: "RELEASED" })]);
    expect(await admin.product(plenty)).toMatchObject({ onHand: 10, reserved: 0, available: 10 });
    expect(await admin.product(scarce)).toMatchObject({ onHand: 1, reserved: 0 });
  });

  it("rejects an order when nothing is available", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 0);
    const placed = await alice.placeOrder([{ sku, quantity: 1 }]);

    const order = await alice.orderReaching(placed.body.orderId);
    expect(order).toMatchObject({ status: "REJECTED", reason: "NO_STOCK" });
    expect(order.items[0]).toMatchObject({ status: "REJECTED", reason: "INSUFFICIENT_STOCK" });
    expect(await admin.reservations(order.orderId)).toEqual([]);
  });

  it("returns the same order for a resubmission with the same Idempotency-Key, and 409 for another body", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    const key = randomUUID();
    const first = await alice.placeOrder([{ sku, quantity: 1 }], { idempotencyKey: key });
    const again = await alice.placeOrder([{ sku, quantity: 1 }], { idempotencyKey: key });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.orderId).toBe(first.body.orderId);

    const other = await alice.placeOrder([{ sku, quantity: 2 }], { idempotencyKey: key });
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toBe("application/problem+json");

    await alice.orderReaching(first.body.orderId);
    await admin.settledReservations(first.body.orderId);
    expect(await admin.product(sku)).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it("keeps customers apart: another customer's order is not found, and lists hold only your own", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    const bob = system.client(`bob-${randomUUID()}`);
    const placed = await alice.placeOrder([{ sku, quantity: 1 }]);

    expect((await bob.order(placed.body.orderId)).status).toBe(404);
    expect((await bob.cancel(placed.body.orderId)).status).toBe(404);
    expect((await bob.request("order", "GET", `/orders/${placed.body.orderId}/timeline`)).status).toBe(404);
    const bobsList = await bob.request<{ items: unknown[] }>("order", "GET", "/orders");
    expect(bobsList.body.items).toEqual([]);

    const alicesList = await alice.request<{ items: { orderId: string }[] }>(
      "order",
      "GET",
      "/orders?limit=100",
    );
    expect(alicesList.body.items.map((o) => o.orderId)).toContain(placed.body.orderId);
    const asAdmin = await admin.order(placed.body.orderId);
    expect(asAdmin.status).toBe(200);
  });

  it("sells exactly the stock there is: 100 concurrent single-unit orders for 10 units", async () => {
    const sku = uniqueSku("HOT");
    await admin.createProduct(sku, 10);
    const buyers = Array.from({ length: 100 }, (_, i) => system.client(`buyer-${i}-${randomUUID()}`));
    const placed = await Promise.all(buyers.map((buyer) => buyer.placeOrder([{ sku, quantity: 1 }])));
    expect(placed.every((p) => p.status === 202)).toBe(true);

    const finals = await Promise.all(
      placed.map((p, i) => (buyers[i] as ApiClient).orderReaching(p.body.orderId, undefined, 60_000)),
    );
    const confirmed = finals.filter((o) => o.status === "CONFIRMED");
    const rejected = finals.filter((o) => o.status === "REJECTED");
    expect(confirmed).toHaveLength(10);
    expect(rejected).toHaveLength(90);
    expect(rejected.every((o) => o.reason === "NO_STOCK")).toBe(true);

    await Promise.all(confirmed.map((o) => admin.settledReservations(o.orderId)));
    expect(await admin.product(sku)).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

describe("time limits", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let dave: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start({
      order: { ORDER_DECISION_TIMEOUT_MS: "3000" },
      inventory: { RESERVATION_TTL_MS: "2000" },
    });
    admin = system.client("stock-admin", { admin: true });
    dave = system.client(`dave-${randomUUID()}`);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("rejects with TIMEOUT when the inventory does not answer, and releases once it does", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    await system.stopService("inventory");

    const placed = await dave.placeOrder([{ sku, quantity: 2 }]);
    const order = await dave.orderReaching(placed.body.orderId, ["REJECTED"], 20_000);
    expect(order.reason).toBe("TIMEOUT");

    await system.startService("inventory");
    const reservations = await eventually("the late reservation to be released", async () => {
      const found = await admin.reservations(placed.body.orderId);
      return found.length === 1 && found[0]?.status !== "ACTIVE" ? found : undefined;
    });
    expect(reservations[0]?.status).toBe("RELEASED");
    expect(await admin.product(sku)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect((await dave.order(placed.body.orderId)).body.status).toBe("REJECTED");
  });

  it("expires a reservation nobody decided on, and never commits the stock it no longer holds", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    const erin = system.client(`erin-${randomUUID()}`);
    // A long decision timeout for this order, so only the reservation's expiry is in play.
    await system.stopService("order");
    await system.startService("order", { ORDER_DECISION_TIMEOUT_MS: "120000" });
    await system.stopService("inventory");
    const placed = (await erin.placeOrder([{ sku, quantity: 1 }])).body.orderId;
    // The order service goes away; the inventory reserves, and the reservation runs out meanwhile.
    await system.stopService("order");
    await system.startService("inventory");

    const expired = await eventually("the reservation to expire", async () => {
      const found = await admin.reservations(placed);
      return found[0]?.status === "EXPIRED" ? found : undefined;
    });
    expect(expired[0]).toMatchObject({ sku, quantity: 1 });
    expect(await admin.product(sku)).toMatchObject({ onHand: 5, reserved: 0 });

    // Back, the order service reads the stock answer first and confirms; the inventory can commit
    // nothing it no longer holds, says so, and the order ends where the stock is.
    await system.startService("order", { ORDER_DECISION_TIMEOUT_MS: "120000" });
    const order = await erin.orderReaching(placed, ["REJECTED"], 20_000);
    expect(order.reason).toBe("NOT_HONOURED");
    const timeline = await eventually("the release to be acknowledged", async () => {
      const events = await erin.timeline(placed);
      return events.some((e) => e.type === "StockReleased") ? events : undefined;
    });
    expect(timeline.map((e) => `${e.direction} ${e.type}`)).toEqual([
      "EMITTED OrderRequested",
      "RECEIVED StockRequestAnswered",
      "EMITTED OrderConfirmed",
      "RECEIVED ReservationExpired",
      "RECEIVED StockCommitted",
      "EMITTED OrderRejected",
      "RECEIVED StockReleased",
    ]);
    expect(await admin.product(sku)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
  });
});

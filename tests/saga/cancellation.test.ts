import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiClient, eventually, uniqueSku } from "../support/api.js";
import { TestSystem } from "../support/system.js";

describe("cancellation by the customer", () => {
  let system: TestSystem;
  let admin: ApiClient;
  let carol: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("stock-admin", { admin: true });
    carol = system.client(`carol-${randomUUID()}`);
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("cancels a pending order and releases what the inventory reserved for it", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    // Without the inventory the order stays PENDING as long as we need.
    await system.stopService("inventory");
    const placed = await carol.placeOrder([{ sku, quantity: 2 }]);
    const cancelled = await carol.cancel(placed.body.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe("CANCELLED");

    await system.startService("inventory");
    // The inventory sees OrderRequested (reserves), then OrderCancelled (releases), in that order.
    const reservations = await eventually("the reservation to be released", async () => {
      const found = await admin.reservations(placed.body.orderId);
      return found.length === 1 && found[0]?.status === "RELEASED" ? found : undefined;
    });
    expect(reservations[0]).toMatchObject({ sku, quantity: 2 });
    expect(await admin.product(sku)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect((await carol.order(placed.body.orderId)).body.status).toBe("CANCELLED");
  });

  it("cancels a confirmed order and returns the committed units to stock", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 5);
    const placed = await carol.placeOrder([{ sku, quantity: 3 }]);
    await carol.orderReaching(placed.body.orderId, ["CONFIRMED"]);
    await eventually("the stock to be committed", async () =>
      (await admin.product(sku)).onHand === 2 ? true : undefined,
    );

    const cancelled = await carol.cancel(placed.body.orderId);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body.status).toBe("CANCELLED");

    await eventually("the units to come back", async () =>
      (await admin.product(sku)).onHand === 5 ? true : undefined,
    );
    expect(await admin.product(sku)).toMatchObject({ onHand: 5, reserved: 0, available: 5 });
    expect((await admin.reservations(placed.body.orderId))[0]?.status).toBe("RELEASED");

    const again = await carol.cancel(placed.body.orderId);
    expect(again.status).toBe(200);
    expect(again.body.status).toBe("CANCELLED");
  });

  it("refuses to cancel a rejected order", async () => {
    const sku = uniqueSku();
    await admin.createProduct(sku, 0);
    const placed = await carol.placeOrder([{ sku, quantity: 1 }]);
    await carol.orderReaching(placed.body.orderId, ["REJECTED"]);
    const refused = await carol.cancel(placed.body.orderId);
    expect(refused.status).toBe(409);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
  });
});

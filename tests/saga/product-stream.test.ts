import { randomUUID } from "node:crypto";
import { issueToken } from "@stocksaga/platform";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiClient, type ProductView, uniqueSku } from "../support/api.js";
import { sseReader } from "../support/sse.js";
import { TestSystem } from "../support/system.js";

describe("the live catalogue (GET /products/stream)", () => {
  let system: TestSystem;
  let admin: ApiClient;

  beforeAll(async () => {
    system = await TestSystem.start();
    admin = system.client("catalogue-admin", { admin: true });
  });
  afterAll(async () => {
    await system?.stop();
  });

  it("sends every product first, then each committed change: an adjustment, a reservation", async () => {
    const sku = uniqueSku("LIVE");
    await admin.createProduct(sku, 5);
    const customer = `hana-${randomUUID()}`;
    const token = await issueToken(inject("jwtSecret"), { sub: customer });
    const response = await fetch(`${system.url("inventory")}/products/stream`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const stream = sseReader(response);
    try {
      const first = await stream.next();
      expect(first?.event).toBe("snapshot");
      const snapshot = JSON.parse(first?.data ?? "{}") as { items: ProductView[] };
      expect(snapshot.items.find((p) => p.sku === sku)).toMatchObject({ onHand: 5, available: 5 });

      const adjusted = await admin.request("inventory", "POST", `/products/${sku}/adjustments`, {
        delta: 3,
        reason: "restock",
      });
      expect(adjusted.status).toBe(200);
      const afterAdjustment = JSON.parse(
        (await stream.until((e) => e.event === "product" && JSON.parse(e.data).sku === sku)).data,
      ) as ProductView;
      expect(afterAdjustment).toMatchObject({ sku, onHand: 8, reserved: 0, available: 8 });

      // A reservation made by the saga (the order service's event, consumed here) shows up too.
      const placed = await system.client(customer).placeOrder([{ sku, quantity: 2 }]);
      expect(placed.status).toBe(202);
      const moved = await stream.until((e) => {
        if (e.event !== "product") return false;
        const view = JSON.parse(e.data) as ProductView;
        return view.sku === sku && view.available === 6;
      });
      expect(JSON.parse(moved.data)).toMatchObject({ sku, available: 6 });
    } finally {
      await stream.close();
    }
  });

  it("refuses a request without a valid token", async () => {
    const response = await fetch(`${system.url("inventory")}/products/stream`);
    expect(response.status).toBe(401);
    await response.body?.cancel();
  });
});

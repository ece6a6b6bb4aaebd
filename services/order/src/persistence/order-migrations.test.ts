import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgOrderStore } from "./pg-order-store.js";
import { type FreshOrderDatabase, freshOrderDatabase } from "./testing/fresh-database.js";

let database: FreshOrderDatabase;

beforeAll(async () => {
  database = await freshOrderDatabase({ upTo: "20261125035725_init" });
});
afterAll(async () => {
  await database?.close();
});

/** An order decided before the order table kept rejection details and cancellers. */
async function legacyOrder(
  status: "REJECTED" | "CANCELLED",
  reason: string,
  history?: object,
): Promise<string> {
  const orderId = randomUUID();
  await database.pool.query(
    `insert into orders (id, customer_id, status, fulfilment, reason, decision_deadline)
     values ($1::uuid, 'legacy-customer', $2::order_status, 'PARTIAL', $3, now())`,
    [orderId, status, reason],
  );
  if (history) {
    await database.pool.query(
      `insert into order_timeline (order_id, event_id, event_type, direction, occurred_at, payload)
       values ($1::uuid, $2::uuid, $3, 'EMITTED', now(), $4::jsonb)`,
      [
        orderId,
        randomUUID(),
        status === "REJECTED" ? "OrderRejected" : "OrderCancelled",
        JSON.stringify(history),
      ],
    );
  }
  return orderId;
}

describe("the migration that keeps rejection details and cancellers", () => {
  it("fills them in for orders decided before it, from each order's own history", async () => {
    const rejected = await legacyOrder("REJECTED", "NO_STOCK", {
      reason: "NO_STOCK",
      detail: "No stock for any line: A",
    });
    const byAdmin = await legacyOrder("CANCELLED", "fraud", { reason: "fraud", cancelledBy: "stock-admin" });
    const noHistory = await legacyOrder("CANCELLED", "changed my mind");

    await database.migrate();

    const store = new PgOrderStore(database.pool);
    expect(await store.findOrder(rejected)).toMatchObject({ rejectionDetail: "No stock for any line: A" });
    expect((await store.findOrder(byAdmin))?.cancellation).toEqual({
      reason: "fraud",
      cancelledBy: "stock-admin",
    });
    expect((await store.findOrder(noHistory))?.cancellation).toEqual({
      reason: "changed my mind",
      cancelledBy: "legacy-customer",
    });
  });
});

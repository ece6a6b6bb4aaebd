import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Retention } from "@stocksaga/messaging";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inventoryRetentionRules } from "./retention.js";
import { type ThrowawayDatabase, throwawayInventoryDatabase } from "./throwaway-database.js";

const silent = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));
const NOW = Date.parse("2026-12-05T12:00:00Z");
const HOUR = 60 * 60_000;

let database: ThrowawayDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  database = await throwawayInventoryDatabase();
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  await pool.query(
    "insert into products (sku, name, on_hand, reserved, updated_at) values ('A', 'a', 100, 10, now()), ('B', 'b', 100, 0, now())",
  );
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** An order request with one reservation per given status, all of the same age. */
async function request(status: string, agoMs: number, reservations: string[]): Promise<string> {
  const orderId = randomUUID();
  const at = new Date(NOW - agoMs);
  await pool.query(
    `insert into order_requests (order_id, customer_id, fulfilment, line_count, status, created_at, updated_at)
     values ($1, 'c', 'PARTIAL', $2, $3::order_request_status, $4, $4)`,
    [orderId, reservations.length, status, at],
  );
  for (const [index, reservation] of reservations.entries()) {
    await pool.query(
      `insert into reservations (id, order_id, sku, requested_quantity, quantity, status, expires_at, created_at, updated_at)
       values ($1, $2, $3, 1, 1, $4::reservation_status, $5, $5, $5)`,
      [randomUUID(), orderId, index === 0 ? "A" : "B", reservation, at],
    );
  }
  return orderId;
}

describe("the inventory's retention, on the real schema", () => {
  it("deletes settled order requests past the window with their reservations, never one still holding stock", async () => {
    const committed = await request("COMMITTED", 10 * HOUR, ["COMMITTED", "RELEASED"]);
    const tombstone = await request("RELEASED", 10 * HOUR, []);
    const expired = await request("RESERVED", 10 * HOUR, ["EXPIRED"]);
    const holding = await request("RESERVED", 10 * HOUR, ["ACTIVE", "EXPIRED"]);
    const recent = await request("COMMITTED", 1 * HOUR, ["COMMITTED"]);

    const retention = new Retention({
      db: pool,
      rules: inventoryRetentionRules({ inboxMs: 2 * HOUR, orderRequestsMs: 2 * HOUR }),
      logger: silent,
      batchSize: 2,
      intervalMs: 1_000,
      vacuumAfterRows: 0,
      now: () => NOW,
    });
    expect(await retention.runOnce()).toEqual({ inbox: 0, order_requests: 3, reservations: 3 });

    const { rows } = await pool.query<{ id: string }>("select order_id::text as id from order_requests");
    expect(rows.map((r) => r.id).sort()).toEqual([holding, recent].sort());
    const held = await pool.query<{ id: string }>("select distinct order_id::text as id from reservations");
    expect(held.rows.map((r) => r.id).sort()).toEqual([holding, recent].sort());
    for (const gone of [committed, tombstone, expired]) expect(rows.map((r) => r.id)).not.toContain(gone);
  });
});

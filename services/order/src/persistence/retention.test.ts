import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Retention } from "@stocksaga/messaging";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orderRetentionRules } from "./retention.js";
import { type FreshOrderDatabase, freshOrderDatabase } from "./testing/fresh-database.js";

const silent = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));
const NOW = Date.parse("2026-12-05T12:00:00Z");
const HOUR = 60 * 60_000;

let database: FreshOrderDatabase;
beforeAll(async () => {
  database = await freshOrderDatabase();
});
afterAll(async () => {
  await database?.close();
});

async function order(status: string, createdAgoMs: number, updatedAgoMs: number): Promise<string> {
  const id = randomUUID();
  const created = new Date(NOW - createdAgoMs);
  const updated = new Date(NOW - updatedAgoMs);
  await database.pool.query(
    `insert into orders (id, customer_id, status, fulfilment, decision_deadline, created_at, updated_at)
     values ($1, 'c', $2::order_status, 'PARTIAL', $3, $3, $4)`,
    [id, status, created, updated],
  );
  await database.pool.query(
    `insert into order_lines (order_id, line_no, sku, requested_quantity) values ($1, 0, 'A', 1), ($1, 1, 'B', 2)`,
    [id],
  );
  await database.pool.query(
    `insert into order_timeline (order_id, event_id, event_type, direction, occurred_at, payload)
     values ($1, gen_random_uuid(), 'OrderRequested', 'EMITTED', $2, '{}'),
            ($1, gen_random_uuid(), 'StockRequestAnswered', 'RECEIVED', $2, '{}')`,
    [id, created],
  );
  return id;
}

async function inbox(processedAgoMs: number): Promise<string> {
  const id = randomUUID();
  await database.pool.query(
    `insert into inbox (consumer, event_id, topic, partition, "offset", processed_at) values ('c', $1, 't', 0, 0, $2)`,
    [id, new Date(NOW - processedAgoMs)],
  );
  return id;
}

describe("the order service's retention, on the real schema", () => {
  it("deletes decided orders unchanged past the window whole, and inbox entries past theirs, nothing else", async () => {
    const old = await order("CONFIRMED", 10 * HOUR, 9 * HOUR);
    const oldRejected = await order("REJECTED", 10 * HOUR, 10 * HOUR);
    const pending = await order("PENDING", 10 * HOUR, 10 * HOUR);
    const changedLately = await order("CANCELLED", 10 * HOUR, 1 * HOUR);
    const recent = await order("CONFIRMED", 1 * HOUR, 1 * HOUR);
    const staleEntries = await Promise.all([inbox(5 * HOUR), inbox(4 * HOUR), inbox(3 * HOUR)]);
    const freshEntry = await inbox(1 * HOUR);

    const retention = new Retention({
      db: database.pool,
      rules: orderRetentionRules({ inboxMs: 2 * HOUR, ordersMs: 2 * HOUR }),
      logger: silent,
      batchSize: 2,
      intervalMs: 1_000,
      vacuumAfterRows: 0,
      now: () => NOW,
    });
    expect(await retention.runOnce()).toEqual({ inbox: 3, orders: 2, order_lines: 4, order_timeline: 4 });

    const ids = async (sql: string) =>
      (await database.pool.query<{ id: string }>(sql)).rows.map((r) => r.id).sort();
    expect(await ids("select id::text as id from orders")).toEqual([pending, changedLately, recent].sort());
    expect(await ids("select distinct order_id::text as id from order_lines")).toEqual(
      [pending, changedLately, recent].sort(),
    );
    expect(await ids("select distinct order_id::text as id from order_timeline")).toEqual(
      [pending, changedLately, recent].sort(),
    );
    expect(await ids("select event_id::text as id from inbox")).toEqual([freshEntry]);
    const left = await ids("select id::text as id from orders union all select event_id::text from inbox");
    for (const gone of [old, oldRejected, ...staleEntries]) expect(left).not.toContain(gone);
    expect(await retention.runOnce()).toEqual({ inbox: 0, orders: 0, order_lines: 0, order_timeline: 0 });
  });
});

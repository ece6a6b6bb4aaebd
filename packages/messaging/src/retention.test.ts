import { Writable } from "node:stream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { inboxRetention, Retention, type RetentionRule } from "./retention.js";
import type { Queryable } from "./sql.js";

const silent = pino({ level: "silent" }, new Writable({ write: (_c, _e, cb) => cb() }));

/** A table of `rows` rows older than any cutoff; each statement deletes up to its limit of them. */
function shrinkingTable(rows: number) {
  const calls: { text: string; values: unknown[] }[] = [];
  let left = rows;
  const db = {
    query: async (text: string, values: unknown[] = []) => {
      calls.push({ text, values });
      const deleted = Math.min(left, Number(values[1]));
      left -= deleted;
      return { rows: [{ things: deleted, thing_parts: deleted * 3 }] };
    },
  } as unknown as Queryable;
  return { db, calls, left: () => left };
}

const rule: RetentionRule = { name: "things", windowMs: 60_000, deleteBatch: "delete things" };

describe("Retention", () => {
  it("deletes in statements of at most the batch size until a statement comes back short", async () => {
    const { db, calls, left } = shrinkingTable(250);
    const retention = new Retention({
      db,
      rules: [rule],
      logger: silent,
      batchSize: 100,
      intervalMs: 1_000,
      vacuumAfterRows: 0,
      now: () => Date.parse("2026-12-05T12:00:00Z"),
    });
    expect(await retention.runOnce()).toEqual({ things: 250, thing_parts: 750 });
    expect(left()).toBe(0);
    expect(calls.map((c) => c.values)).toEqual(
      Array.from({ length: 3 }, () => [new Date("2026-12-05T11:59:00Z"), 100]),
    );
  });

  it("stops a run after its most statements per rule, leaving the rest to the next run", async () => {
    const { db, calls, left } = shrinkingTable(1_000);
    const retention = new Retention({
      db,
      rules: [rule],
      logger: silent,
      batchSize: 100,
      intervalMs: 1_000,
      maxBatchesPerRun: 4,
      vacuumAfterRows: 0,
    });
    await retention.runOnce();
    expect(calls).toHaveLength(4);
    expect(left()).toBe(600);
  });

  it("counts the rows deleted per table and the runs", async () => {
    const metrics = new Registry();
    const retention = new Retention({
      db: shrinkingTable(30).db,
      rules: [rule],
      logger: silent,
      batchSize: 100,
      intervalMs: 1_000,
      vacuumAfterRows: 0,
      metrics,
    });
    await retention.runOnce();
    const text = await metrics.metrics();
    expect(text).toContain('stocksaga_retention_deleted_rows_total{table="things"} 30');
    expect(text).toContain('stocksaga_retention_deleted_rows_total{table="thing_parts"} 90');
    expect(text).toContain("stocksaga_retention_runs_total 1");
  });

  it("trims the inbox oldest first, in one bounded statement that skips locked rows", () => {
    const { deleteBatch, windowMs } = inboxRetention(5_000);
    expect(windowMs).toBe(5_000);
    expect(deleteBatch).toMatch(/processed_at < \$1/);
    expect(deleteBatch).toMatch(/limit \$2 for update skip locked/);
    expect(deleteBatch).toMatch(/count\(\*\)::int as inbox/);
  });
});

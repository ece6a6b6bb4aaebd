import { DEAD_ROWS, NOTIFY_CHANGES } from "@stocksaga/messaging";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDER_STATEMENTS } from "./order-statements.js";
import { type FreshOrderDatabase, freshOrderDatabase } from "./testing/fresh-database.js";

let database: FreshOrderDatabase;
let client: pg.PoolClient;

beforeAll(async () => {
  database = await freshOrderDatabase();
  client = await database.pool.connect();
});
afterAll(async () => {
  client?.release();
  await database?.close();
});

const STATEMENTS: [string, string][] = [
  ...Object.entries(ORDER_STATEMENTS),
  ["notifyOrderChanges", NOTIFY_CHANGES],
  ["deadRowsOfWatchedTables", DEAD_ROWS],
];

/**
 * PostgreSQL parses and plans a prepared statement against the schema without running it: an
 * unknown table, column, type or cast, or a parameter whose type it cannot tell, fails here.
 * The text prepared is one of the store's constant statements, never a value from outside.
 */
async function prepare(sql: string): Promise<void> {
  const statement = ["prepare order_statement_check as", sql].join(" ");
  await client.query(statement);
  await client.query("deallocate order_statement_check");
}

describe("the order store's SQL, against the schema the migrations create", () => {
  it.each(STATEMENTS)("%s prepares", async (_name, sql) => {
    await expect(prepare(sql)).resolves.toBeUndefined();
  });

  it("would fail for a column the schema no longer has", async () => {
    await client.query("begin");
    try {
      await client.query("alter table orders rename column cancelled_by to cancelled_by_whom");
      await expect(prepare(ORDER_STATEMENTS.lockOrders)).rejects.toMatchObject({ code: "42703" });
    } finally {
      await client.query("rollback");
    }
    await expect(prepare(ORDER_STATEMENTS.lockOrders)).resolves.toBeUndefined();
  });
});

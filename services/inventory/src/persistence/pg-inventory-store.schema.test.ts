import { createPool } from "@stocksaga/messaging";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INVENTORY_SQL } from "./pg-inventory-store.js";
import { type ThrowawayDatabase, throwawayInventoryDatabase } from "./throwaway-database.js";

let database: ThrowawayDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await throwawayInventoryDatabase();
  pool = createPool(database.url, 1);
}, 60_000);

afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

/** PREPAREs the text on the client (which resolves every table, column and type it names), then DEALLOCATEs it. */
async function prepares(client: pg.ClientBase, statement: string): Promise<void> {
  await client.query(`
    create or replace function pg_temp.prepares(statement text) returns void language plpgsql as $$
    begin
      execute 'prepare schema_check as ' || statement;
      execute 'deallocate schema_check';
    end $$`);
  await client.query("select pg_temp.prepares($1)", [statement]);
}

async function preparesOnPool(statement: string): Promise<void> {
  const client = await pool.connect();
  try {
    await prepares(client, statement);
  } finally {
    client.release();
  }
}

describe("the store's SQL against the migrated schema", () => {
  it.each(Object.entries(INVENTORY_SQL))("%s names only what the schema has", async (_, statement) => {
    await expect(preparesOnPool(statement)).resolves.toBeUndefined();
  });

  it("(the check is real: a statement naming a column the schema lacks fails it)", async () => {
    await expect(preparesOnPool("select sku, units_on_hand from products")).rejects.toThrow(/units_on_hand/);
  });

  it("(and a column renamed by a migration fails the statements that name it)", async () => {
    const client = await pool.connect();
    try {
      await client.query("begin");
      await client.query("alter table reservations rename column requested_quantity to asked_quantity");
      await expect(prepares(client, INVENTORY_SQL.save)).rejects.toThrow(/requested_quantity/);
    } finally {
      await client.query("rollback");
      client.release();
    }
    await expect(preparesOnPool(INVENTORY_SQL.save)).resolves.toBeUndefined();
  });
});

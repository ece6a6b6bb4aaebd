import { createPool } from "@stocksaga/messaging";
import { databaseUrlFromEnv, migrateDatabase } from "@stocksaga/prisma";
import type pg from "pg";

/** Held while a test file empties and uses the database: runs of the tests on one server take turns. */
const TEST_DATABASE_LOCK = 0x5a6a_7e57;

/**
 * A database of the order schema, freshly migrated, beside the configured one (`<name>_store_test`
 * on the server ORDER_DATABASE_URL names): its schema is dropped and every migration applied again,
 * so a statement that names a column the migrations no longer create fails here. The database
 * itself is kept for the next run, whose first step empties it.
 */
export async function freshOrderDatabase(): Promise<{
  pool: pg.Pool;
  url: string;
  close: () => Promise<void>;
}> {
  const configured = new URL(databaseUrlFromEnv("order"));
  configured.pathname = `${configured.pathname}_store_test`;
  const url = configured.toString();
  await migrateDatabase("order", url);
  const pool = createPool(url, 6);
  const turn = await pool.connect();
  await turn.query("select pg_advisory_lock($1)", [TEST_DATABASE_LOCK]);
  await turn.query("drop schema public cascade");
  await turn.query("create schema public");
  await migrateDatabase("order", url);
  return {
    pool,
    url,
    close: async () => {
      await turn.query("select pg_advisory_unlock($1)", [TEST_DATABASE_LOCK]).catch(() => undefined);
      turn.release();
      await pool.end();
    },
  };
}

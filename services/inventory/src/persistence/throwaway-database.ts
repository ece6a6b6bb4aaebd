import { randomUUID } from "node:crypto";
import { databaseUrlFromEnv, migrateDatabase } from "@stocksaga/prisma";
import pg from "pg";

/** Test support: a freshly migrated inventory database of its own, on the configured server. */
export interface ThrowawayDatabase {
  url: string;
  drop: () => Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const rewritten = new URL(url);
  rewritten.pathname = `/${database}`;
  return rewritten.toString();
}

async function onServer<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, "postgres") });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Created and migrated by `migrateDatabase`, as the service's own database is; `drop` removes it. */
export async function throwawayInventoryDatabase(): Promise<ThrowawayDatabase> {
  const name = `stocksaga_test_inventory_store_${randomUUID().slice(0, 8)}`;
  const url = withDatabase(databaseUrlFromEnv("inventory"), name);
  const drop = () =>
    onServer(url, async (client) => {
      // The server quotes the name: no SQL text is built here.
      const { rows } = await client.query<{ statement: string }>(
        "select format('drop database if exists %I with (force)', $1::text) as statement",
        [name],
      );
      const statement = rows[0]?.statement;
      if (statement) await client.query(statement);
    });
  try {
    await migrateDatabase("inventory", url);
  } catch (error) {
    await drop();
    throw error;
  }
  return { url, drop };
}

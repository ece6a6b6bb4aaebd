import { randomUUID } from "node:crypto";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import {
  databaseUrlFromEnv,
  type MigrationLayout,
  migrationLayout,
  type ServiceDatabase,
} from "../src/databases.js";
import { dropDatabase, withDatabase } from "../src/postgres.js";

/**
 * A database name nobody else uses, on the server the service database is configured on. It is
 * not created: migrateDatabase creates it, which is part of what the tests check.
 */
export function throwawayDatabaseUrl(database: ServiceDatabase): string {
  return withDatabase(databaseUrlFromEnv(database), `stocksaga_test_${database}_${randomUUID().slice(0, 8)}`);
}

export async function dropThrowawayDatabases(urls: readonly string[]): Promise<void> {
  for (const url of urls) await dropDatabase(url);
}

/** A copy of a database's schema and migrations in a temporary folder, to change freely. */
export async function copyLayout(
  database: ServiceDatabase,
): Promise<MigrationLayout & { readonly root: string }> {
  const committed = migrationLayout(database);
  const root = await mkdtemp(join(tmpdir(), `stocksaga-${database}-`));
  const layout = { root, schemaPath: join(root, "schema.prisma"), migrationsDir: join(root, "migrations") };
  await cp(committed.schemaPath, layout.schemaPath);
  await cp(committed.migrationsDir, layout.migrationsDir, { recursive: true });
  return layout;
}

export async function removeLayout(layout: { readonly root: string }): Promise<void> {
  await rm(layout.root, { recursive: true, force: true });
}

/** Runs `work` with a plain pg client on `url`. */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

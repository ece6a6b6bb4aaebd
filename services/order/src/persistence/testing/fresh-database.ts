import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPool } from "@stocksaga/messaging";
import {
  databaseUrlFromEnv,
  type MigrationLayout,
  migrateDatabase,
  migrationLayout,
} from "@stocksaga/prisma";
import pg from "pg";

/** Held while a test file empties and uses the database: runs of the tests on one server take turns. */
const TEST_DATABASE_LOCK = 0x5a6a_7e57;

export interface FreshOrderDatabase {
  pool: pg.Pool;
  /** Applies the committed migrations not applied yet (all of them, after `upTo`). */
  migrate: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * A database of the order schema, freshly migrated, beside the configured one (`<name>_store_test`
 * on the server ORDER_DATABASE_URL names): its schema is dropped and the migrations applied again
 * (those up to and including `upTo` when given), so a statement that names a column the migrations
 * no longer create fails here. The database itself is kept for the next run, which empties it first.
 */
export async function freshOrderDatabase(options: { upTo?: string } = {}): Promise<FreshOrderDatabase> {
  const configured = new URL(databaseUrlFromEnv("order"));
  const maintenance = new URL(configured);
  maintenance.pathname = "/postgres";
  configured.pathname = `${configured.pathname}_store_test`;
  const url = configured.toString();
  // Taken on the maintenance database (advisory locks are per database), before this one is touched.
  const turn = new pg.Client({ connectionString: maintenance.toString() });
  await turn.connect();
  let pool: pg.Pool | undefined;
  try {
    await turn.query("select pg_advisory_lock($1)", [TEST_DATABASE_LOCK]);
    await migrateDatabase("order", url);
    pool = createPool(url, 6);
    await pool.query("drop schema public cascade");
    await pool.query("create schema public");
    if (options.upTo === undefined) {
      await migrateDatabase("order", url);
    } else {
      const partial = await layoutUpTo(options.upTo);
      try {
        await migrateDatabase("order", url, { layout: partial });
      } finally {
        await rm(join(partial.migrationsDir, ".."), { recursive: true, force: true });
      }
    }
  } catch (error) {
    await pool?.end();
    await turn.end();
    throw error;
  }
  const opened = pool;
  return {
    pool: opened,
    migrate: async () => {
      await migrateDatabase("order", url);
    },
    close: async () => {
      await opened.end();
      await turn.end();
    },
  };
}

/** The committed migrations up to and including `last`, in a temporary folder. */
async function layoutUpTo(last: string): Promise<MigrationLayout> {
  const committed = migrationLayout("order");
  const root = await mkdtemp(join(tmpdir(), "stocksaga-order-migrations-"));
  const layout = { schemaPath: join(root, "schema.prisma"), migrationsDir: join(root, "migrations") };
  await cp(committed.schemaPath, layout.schemaPath);
  const entries = await readdir(committed.migrationsDir, { withFileTypes: true });
  if (!entries.some((entry) => entry.name === last)) throw new Error(`no migration ${last}`);
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name > last) continue;
    await cp(join(committed.migrationsDir, entry.name), join(layout.migrationsDir, entry.name), {
      recursive: true,
    });
  }
  return layout;
}

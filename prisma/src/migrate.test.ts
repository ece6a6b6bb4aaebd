import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  copyLayout,
  dropThrowawayDatabases,
  removeLayout,
  throwawayDatabaseUrl,
  withClient,
} from "../test/throwaway.js";
import { migrationLayout, type ServiceDatabase, serviceDatabases } from "./databases.js";
import { MigrationHistoryError, migrateDatabase } from "./migrate.js";

const databases: string[] = [];
const layouts: { root: string }[] = [];

afterAll(async () => {
  await dropThrowawayDatabases(databases);
  for (const layout of layouts) await removeLayout(layout);
});

function freshDatabase(database: ServiceDatabase): string {
  const url = throwawayDatabaseUrl(database);
  databases.push(url);
  return url;
}

async function committedMigrationNames(database: ServiceDatabase): Promise<string[]> {
  const entries = await readdir(migrationLayout(database).migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
  applied_steps_count: number;
}

async function recordedMigrations(url: string): Promise<MigrationRow[]> {
  return withClient(url, async (client) => {
    const result = await client.query<MigrationRow>(
      "SELECT migration_name, checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations ORDER BY migration_name",
    );
    return result.rows;
  });
}

describe.each(serviceDatabases)("migrateDatabase(%s)", (database) => {
  const url = freshDatabase(database);

  it("creates the database and applies every committed migration", async () => {
    const result = await migrateDatabase(database, url);

    expect(result.createdDatabase).toBe(true);
    expect(result.appliedMigrationNames).toEqual(await committedMigrationNames(database));
    expect(result.editedMigrationNames).toEqual([]);
  });

  it("records them in _prisma_migrations as prisma migrate deploy does", async () => {
    const rows = await recordedMigrations(url);
    const { migrationsDir } = migrationLayout(database);

    expect(rows.map((row) => row.migration_name)).toEqual(await committedMigrationNames(database));
    for (const row of rows) {
      const script = await readFile(join(migrationsDir, row.migration_name, "migration.sql"));
      expect(row.checksum).toBe(createHash("sha256").update(script).digest("hex"));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("applies nothing the second time", async () => {
    const before = await recordedMigrations(url);

    const result = await migrateDatabase(database, url);

    expect(result).toMatchObject({
      createdDatabase: false,
      appliedMigrationNames: [],
      editedMigrationNames: [],
    });
    expect(await recordedMigrations(url)).toEqual(before);
  });
});

describe("migrateDatabase run concurrently on one database", () => {
  it("applies each migration once", async () => {
    const url = freshDatabase("order");

    const results = await Promise.all([1, 2, 3].map(() => migrateDatabase("order", url)));

    const applied = results.flatMap((result) => result.appliedMigrationNames);
    expect(applied).toEqual(await committedMigrationNames("order"));
    expect(await recordedMigrations(url)).toHaveLength(applied.length);
  });
});

describe("the products CHECK constraints", () => {
  const url = freshDatabase("inventory");

  async function insertProduct(onHand: number, reserved: number): Promise<void> {
    await withClient(url, (client) =>
      client.query("INSERT INTO products (sku, name, on_hand, reserved) VALUES ($1, $2, $3, $4)", [
        `SKU-${onHand}-${reserved}`,
        "Widget",
        onHand,
        reserved,
      ]),
    );
  }

  it("accept stock that covers what is reserved", async () => {
    await migrateDatabase("inventory", url);
    await expect(insertProduct(5, 5)).resolves.toBeUndefined();
  });

  it("reject reserving more than is on hand", async () => {
    await expect(insertProduct(1, 2)).rejects.toThrow(/products_reserved_within_on_hand/);
  });

  it("reject a negative reservation", async () => {
    await expect(insertProduct(1, -1)).rejects.toThrow(/products_reserved_not_negative/);
  });

  it("hold on updates too", async () => {
    await insertProduct(3, 0);
    await expect(
      withClient(url, (client) => client.query("UPDATE products SET reserved = 4 WHERE sku = 'SKU-3-0'")),
    ).rejects.toThrow(/products_reserved_within_on_hand/);
  });
});

describe("a migration script", () => {
  async function layoutWithExtraMigration(name: string, script: string) {
    const layout = await copyLayout("inventory");
    layouts.push(layout);
    await mkdir(join(layout.migrationsDir, name));
    await writeFile(join(layout.migrationsDir, name, "migration.sql"), script);
    return layout;
  }

  it("runs whole, with semicolons in comments and strings", async () => {
    const layout = await layoutWithExtraMigration(
      "29990101000000_semicolons",
      "-- one; two; three\nCOMMENT ON TABLE \"products\" IS 'stock; per SKU';\n",
    );
    const url = freshDatabase("inventory");

    const result = await migrateDatabase("inventory", url, { layout });

    expect(result.appliedMigrationNames.at(-1)).toBe("29990101000000_semicolons");
    const comment = await withClient(url, (client) =>
      client.query<{ comment: string }>(
        "SELECT obj_description('products'::regclass, 'pg_class') AS comment",
      ),
    );
    expect(comment.rows[0]?.comment).toBe("stock; per SKU");
  });

  it("that fails leaves nothing behind, and blocks later runs until resolved", async () => {
    const layout = await layoutWithExtraMigration(
      "29990101000000_broken",
      'CREATE TABLE "half_applied" ("id" INTEGER);\nSELECT 1 / 0;\n',
    );
    const url = freshDatabase("inventory");

    await expect(migrateDatabase("inventory", url, { layout })).rejects.toThrow(/division by zero/);

    const leftovers = await withClient(url, (client) =>
      client.query("SELECT to_regclass('half_applied') AS name"),
    );
    expect(leftovers.rows[0]).toEqual({ name: null });
    const failed = (await recordedMigrations(url)).find(
      (row) => row.migration_name === "29990101000000_broken",
    );
    expect(failed?.finished_at).toBeNull();
    await expect(migrateDatabase("inventory", url, { layout })).rejects.toBeInstanceOf(MigrationHistoryError);

    // Resolved as the README says: fix the script, mark the failed attempt rolled back, rerun.
    await writeFile(
      join(layout.migrationsDir, "29990101000000_broken", "migration.sql"),
      'CREATE TABLE "half_applied" ("id" INTEGER);\n',
    );
    await withClient(url, (client) =>
      client.query(
        "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1 AND finished_at IS NULL AND rolled_back_at IS NULL",
        ["29990101000000_broken"],
      ),
    );
    const retried = await migrateDatabase("inventory", url, { layout });
    expect(retried.appliedMigrationNames).toEqual(["29990101000000_broken"]);
  });
});

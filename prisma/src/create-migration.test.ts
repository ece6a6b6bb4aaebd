import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  copyLayout,
  dropThrowawayDatabases,
  removeLayout,
  throwawayDatabaseUrl,
  withClient,
} from "../test/throwaway.js";
import { createMigration, migrationTimestamp } from "./create-migration.js";
import { databaseUrlFromEnv, serviceDatabases } from "./databases.js";
import { migrateDatabase } from "./migrate.js";
import { withDatabase } from "./postgres.js";

const layouts: { root: string }[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const layout of layouts) await removeLayout(layout);
  await dropThrowawayDatabases(databases);
});

async function scratchLayout(database: (typeof serviceDatabases)[number]) {
  const layout = await copyLayout(database);
  layouts.push(layout);
  return layout;
}

async function migrationFolders(migrationsDir: string): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/** Shadow databases on the server, read through its `postgres` database: no service database need exist. */
async function shadowDatabases(): Promise<string[]> {
  return withClient(withDatabase(databaseUrlFromEnv("inventory"), "postgres"), async (client) => {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'prisma\\_shadow\\_%'",
    );
    return result.rows.map((row) => row.datname);
  });
}

describe.each(serviceDatabases)("createMigration(%s) on the committed schema", (database) => {
  it("reports no changes and writes nothing", async () => {
    const layout = await scratchLayout(database);
    const before = await migrationFolders(layout.migrationsDir);

    const result = await createMigration({
      name: "nothing",
      layout,
      serverUrl: databaseUrlFromEnv(database),
    });

    expect(result).toEqual({ status: "no-changes" });
    expect(await migrationFolders(layout.migrationsDir)).toEqual(before);
  });
});

describe("createMigration on a changed schema", () => {
  const now = new Date("2999-01-02T03:04:05Z");

  it("writes a migration that adds the column, and leaves the CHECK constraints alone", async () => {
    const layout = await scratchLayout("inventory");
    const schema = await readFile(layout.schemaPath, "utf8");
    await writeFile(
      layout.schemaPath,
      schema.replace("  name      String\n", "  name      String\n  notes     String?\n"),
    );

    const result = await createMigration({
      name: "add_product_notes",
      layout,
      serverUrl: databaseUrlFromEnv("inventory"),
      now,
    });

    expect(result.status).toBe("created");
    if (result.status !== "created") return;
    expect(result.migrationName).toBe("29990102030405_add_product_notes");
    expect(result.migrationPath).toBe(join(layout.migrationsDir, result.migrationName, "migration.sql"));
    expect(await readFile(result.migrationPath, "utf8")).toBe(result.script);
    expect(result.script).toContain('ALTER TABLE "products" ADD COLUMN     "notes" TEXT;');
    expect(result.script).not.toMatch(/CONSTRAINT|DROP/i);

    // The new migration is now part of the history: nothing left to diff.
    const again = await createMigration({
      name: "again",
      layout,
      serverUrl: databaseUrlFromEnv("inventory"),
    });
    expect(again).toEqual({ status: "no-changes" });

    // And it applies on top of the others, the CHECK constraints intact.
    const url = throwawayDatabaseUrl("inventory");
    databases.push(url);
    const migrated = await migrateDatabase("inventory", url, { layout });
    expect(migrated.appliedMigrationNames.at(-1)).toBe("29990102030405_add_product_notes");
    const constraints = await withClient(url, async (client) => {
      await client.query("INSERT INTO products (sku, name, notes) VALUES ('SKU-1', 'Widget', 'fragile')");
      const result = await client.query<{ conname: string }>(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'products'::regclass AND contype = 'c' ORDER BY conname",
      );
      return result.rows.map((row) => row.conname);
    });
    expect(constraints).toEqual(["products_reserved_not_negative", "products_reserved_within_on_hand"]);
  });

  it("starts a history from scratch, lockfile included", async () => {
    const layout = await scratchLayout("order");
    await rm(layout.migrationsDir, { recursive: true });

    const result = await createMigration({
      name: "init",
      layout,
      serverUrl: databaseUrlFromEnv("order"),
      now,
    });

    expect(result.status).toBe("created");
    if (result.status !== "created") return;
    expect(result.script).toContain('CREATE TABLE "orders"');
    expect(result.script).not.toContain("CREATE SCHEMA");
    expect(await readFile(join(layout.migrationsDir, "migration_lock.toml"), "utf8")).toContain(
      'provider = "postgresql"',
    );
  });

  it("refuses a name that is not snake_case", async () => {
    const layout = await scratchLayout("order");
    await expect(
      createMigration({ name: "Add Notes", layout, serverUrl: databaseUrlFromEnv("order") }),
    ).rejects.toThrow(/snake_case/);
  });

  it("drops the shadow databases it created", async () => {
    expect(await shadowDatabases()).toEqual([]);
  });
});

describe("migrationTimestamp", () => {
  it("is the UTC time as yyyyMMddHHmmss, the prefix Prisma gives migration folders", () => {
    expect(migrationTimestamp(new Date("2026-03-04T05:06:07.890Z"))).toBe("20260304050607");
  });
});

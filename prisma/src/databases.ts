import { fileURLToPath } from "node:url";

/** The service databases this package owns, each with a Prisma schema and a migrations folder. */
export const serviceDatabases = ["order", "inventory"] as const;

export type ServiceDatabase = (typeof serviceDatabases)[number];

export function isServiceDatabase(value: string): value is ServiceDatabase {
  return (serviceDatabases as readonly string[]).includes(value);
}

const databaseUrlVariables: Record<ServiceDatabase, string> = {
  order: "ORDER_DATABASE_URL",
  inventory: "INVENTORY_DATABASE_URL",
};

const defaultDatabaseUrls: Record<ServiceDatabase, string> = {
  order: "postgresql://postgres@127.0.0.1:5432/stocksaga_order",
  inventory: "postgresql://postgres@127.0.0.1:5432/stocksaga_inventory",
};

/** The connection string of a service database: `ORDER_DATABASE_URL` / `INVENTORY_DATABASE_URL`, else the local default. */
export function databaseUrlFromEnv(
  database: ServiceDatabase,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const fromEnv = env[databaseUrlVariables[database]];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : defaultDatabaseUrls[database];
}

/** Where a database's schema and migrations live on disk. */
export interface MigrationLayout {
  /** Absolute path of the Prisma schema file. */
  readonly schemaPath: string;
  /** Absolute path of the folder holding `migration_lock.toml` and one folder per migration. */
  readonly migrationsDir: string;
}

/**
 * The committed layout of a service database. Resolved from this module's location, which is
 * one level below the package root both as TypeScript source (src/) and once built (dist/).
 */
export function migrationLayout(database: ServiceDatabase): MigrationLayout {
  const databaseDir = new URL(`../${database}/`, import.meta.url);
  return {
    schemaPath: fileURLToPath(new URL("schema.prisma", databaseDir)),
    migrationsDir: fileURLToPath(new URL("migrations", databaseDir)),
  };
}

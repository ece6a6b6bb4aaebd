import { join } from "node:path";
import type { MigrationList } from "@prisma/schema-engine-wasm/schema_engine_bg";
import type { MigrationLayout } from "./databases.js";
import { readMigrationList, writeMigration } from "./migrations-directory.js";
import { withDatabase } from "./postgres.js";
import { readSchemaFile, withSchemaEngine } from "./schema-engine.js";

/** What `prisma migrate dev` writes into the lockfile of a PostgreSQL project. */
const provider = "postgresql";

/** The engine's `diff` exit code when the two sides differ (with `exitCode: true`). */
const diffHasChanges = 2;

export interface NewMigrationRequest {
  /** Snake-case description, the suffix of the migration folder: `add_order_notes`. */
  readonly name: string;
  readonly layout: MigrationLayout;
  /**
   * Any connection string of the PostgreSQL server to work on: a temporary shadow database is
   * created there to replay the committed migrations, then dropped. The database it names is
   * not used, nor does it need to exist.
   */
  readonly serverUrl: string;
  /** Timestamp of the migration folder; now by default. */
  readonly now?: Date;
  readonly onEngineLog?: (line: string) => void;
}

export type NewMigrationResult =
  | { readonly status: "no-changes" }
  | {
      readonly status: "created";
      /** Folder name: `<yyyyMMddHHmmss>_<name>`, as Prisma names them. */
      readonly migrationName: string;
      readonly migrationPath: string;
      readonly script: string;
    };

const migrationNamePattern = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/**
 * Writes a migration holding the SQL that takes the database from the committed migrations to
 * the current schema, or reports that there is nothing to migrate.
 *
 * The engine's `createMigration` cannot be used: its WebAssembly build refuses to replay the
 * history on PostgreSQL ("shadow DB must be provided through an external factory"), whereas
 * `diff` from the migrations folder gets shadow databases from the adapter factory. The script is
 * the one `prisma migrate dev` renders. Hand-written SQL in past migrations (the CHECK
 * constraints on products) is replayed on the shadow database but not diffed: the engine does
 * not compare CHECK constraints, so it never proposes to drop them.
 */
export async function createMigration(request: NewMigrationRequest): Promise<NewMigrationResult> {
  if (!migrationNamePattern.test(request.name)) {
    throw new Error(`Migration names are snake_case words (a-z, 0-9): got "${request.name}"`);
  }
  const { layout } = request;
  const [schema, migrationsList] = await Promise.all([
    readSchemaFile(layout.schemaPath),
    readMigrationList(layout.migrationsDir),
  ]);
  const diff = await withSchemaEngine(
    // The engine insists on a live connection; the maintenance database always exists.
    { url: withDatabase(request.serverUrl, "postgres"), schema, onLog: request.onEngineLog },
    (engine) =>
      engine.diff({
        from: { tag: "migrations", ...withLockfileForFirstMigration(migrationsList) },
        to: { tag: "schemaDatamodel", files: [schema] },
        script: true,
        exitCode: true,
        filters: { externalTables: [], externalEnums: [] },
      }),
  );
  if (diff.exitCode !== diffHasChanges) return { status: "no-changes" };

  // Migrations apply in folder-name order: a new one must come last.
  const migrationName = `${migrationTimestamp(request.now ?? new Date())}_${request.name}`;
  const latest = migrationsList.migrationDirectories.at(-1)?.path;
  if (latest !== undefined && latest.localeCompare(migrationName) >= 0) {
    throw new Error(`${migrationName} would not sort after the latest migration, ${latest}`);
  }
  const script = diff.stdout ?? "";
  const directory = await writeMigration(layout.migrationsDir, { name: migrationName, script, provider });
  return { status: "created", migrationName, migrationPath: join(directory, "migration.sql"), script };
}

/**
 * The engine needs the lockfile to know the connector, even for an empty history; the CLI
 * writes it along with the first migration, and so does `writeMigration`.
 */
function withLockfileForFirstMigration(migrationsList: MigrationList): MigrationList {
  if (migrationsList.lockfile.content !== null || migrationsList.migrationDirectories.length > 0) {
    return migrationsList;
  }
  return {
    ...migrationsList,
    lockfile: { ...migrationsList.lockfile, content: `provider = "${provider}"\n` },
  };
}

/** `yyyyMMddHHmmss` in UTC, the prefix Prisma gives migration folders. */
export function migrationTimestamp(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d{3}Z$/, "")
    .replace(/\D/g, "");
}

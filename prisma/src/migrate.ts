import pg from "pg";
import { type MigrationLayout, migrationLayout, type ServiceDatabase } from "./databases.js";
import { readMigrationList } from "./migrations-directory.js";
import { databaseName, ensureDatabaseExists } from "./postgres.js";
import { readSchemaFile, withSchemaEngine } from "./schema-engine.js";

/**
 * Serialises our migrators on one database (parallel test workers, several service instances
 * starting together). Deliberately not Prisma's own key (72707369): the engine may take that one
 * on its own connection, and waiting for it here would deadlock against ourselves.
 */
const migrateAdvisoryLockKey = 7_270_736_901;

export interface MigrateOptions {
  /** Schema and migrations to apply; the committed ones of the database by default. */
  readonly layout?: MigrationLayout;
  /** Receives the schema engine's log lines (JSON text). */
  readonly onEngineLog?: (line: string) => void;
}

export interface MigrateResult {
  readonly database: ServiceDatabase;
  readonly databaseName: string;
  /** Whether the database did not exist and was created first. */
  readonly createdDatabase: boolean;
  /** Migrations applied by this run, in order; empty when the database was up to date. */
  readonly appliedMigrationNames: readonly string[];
  /**
   * Migrations applied earlier whose `migration.sql` has changed since. Like `prisma migrate
   * deploy`, this is reported, not refused: the database keeps what was applied.
   */
  readonly editedMigrationNames: readonly string[];
}

export class MigrationHistoryError extends Error {
  constructor(
    message: string,
    readonly failedMigrationNames: readonly string[],
  ) {
    super(message);
    this.name = "MigrationHistoryError";
  }
}

/**
 * Brings a service database up to date, as `prisma migrate deploy` would: creates the database
 * when missing, then applies the committed migrations not yet recorded in `_prisma_migrations`
 * through Prisma's WebAssembly schema engine. Running it again applies nothing.
 */
export async function migrateDatabase(
  database: ServiceDatabase,
  url: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const layout = options.layout ?? migrationLayout(database);
  const createdDatabase = await ensureDatabaseExists(url);

  const lockHolder = new pg.Client({ connectionString: url });
  await lockHolder.connect();
  try {
    await lockHolder.query("SELECT pg_advisory_lock($1)", [migrateAdvisoryLockKey]);
    const [schema, migrationsList] = await Promise.all([
      readSchemaFile(layout.schemaPath),
      readMigrationList(layout.migrationsDir),
    ]);
    const filters = { externalTables: [], externalEnums: [] };
    const { appliedMigrationNames, editedMigrationNames } = await withSchemaEngine(
      { url, schema, onLog: options.onEngineLog },
      async (engine) => {
        const history = await engine.diagnoseMigrationHistory({
          migrationsList,
          optInToShadowDatabase: false,
          filters,
        });
        if (history.failedMigrationNames.length > 0) {
          throw new MigrationHistoryError(
            `${databaseName(url)}: migrations failed earlier and need resolving by hand: ${history.failedMigrationNames.join(", ")}`,
            history.failedMigrationNames,
          );
        }
        const applied = await engine.applyMigrations({ migrationsList, filters });
        return {
          appliedMigrationNames: applied.appliedMigrationNames,
          editedMigrationNames: history.editedMigrationNames,
        };
      },
    );
    return {
      database,
      databaseName: databaseName(url),
      createdDatabase,
      appliedMigrationNames,
      editedMigrationNames,
    };
  } finally {
    // Closing the session releases the advisory lock too, even when the unlock query fails.
    await lockHolder.query("SELECT pg_advisory_unlock($1)", [migrateAdvisoryLockKey]).catch(() => undefined);
    await lockHolder.end();
  }
}

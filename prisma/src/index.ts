export { createMigration, type NewMigrationRequest, type NewMigrationResult } from "./create-migration.js";
export {
  databaseUrlFromEnv,
  isServiceDatabase,
  type MigrationLayout,
  migrationLayout,
  type ServiceDatabase,
  serviceDatabases,
} from "./databases.js";
export { type GenerateOptions, type GenerateResult, generateClient } from "./generate.js";
export {
  type MigrateOptions,
  type MigrateResult,
  MigrationHistoryError,
  migrateDatabase,
} from "./migrate.js";

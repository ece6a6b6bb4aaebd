// Usage: npm run migrate -w @stocksaga/prisma [-- order|inventory ...]
// Creates each service database when missing and applies its committed migrations.
import {
  databaseUrlFromEnv,
  isServiceDatabase,
  type ServiceDatabase,
  serviceDatabases,
} from "../src/databases.js";
import { migrateDatabase } from "../src/migrate.js";
import { redactUrl } from "../src/postgres.js";

const named = process.argv.slice(2);
const unknown = named.filter((arg) => !isServiceDatabase(arg));
if (unknown.length > 0) {
  console.error(`usage: migrate [${serviceDatabases.join("|")} ...]; unknown: ${unknown.join(" ")}`);
  process.exit(2);
}
const databases: readonly ServiceDatabase[] =
  named.length > 0 ? named.filter(isServiceDatabase) : serviceDatabases;

for (const database of databases) {
  const url = databaseUrlFromEnv(database);
  try {
    const result = await migrateDatabase(database, url);
    if (result.createdDatabase) console.log(`${database}: created database ${result.databaseName}`);
    for (const name of result.editedMigrationNames) {
      console.warn(
        `${database}: warning: ${name} was modified after it was applied; the database keeps the old version`,
      );
    }
    if (result.appliedMigrationNames.length === 0) {
      console.log(`${database}: ${result.databaseName} is up to date`);
    } else {
      for (const name of result.appliedMigrationNames) console.log(`${database}: applied ${name}`);
    }
  } catch (error) {
    console.error(
      `${database} (${redactUrl(url)}): ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exitCode = 1;
  }
}

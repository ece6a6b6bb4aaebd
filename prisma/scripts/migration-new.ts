// Usage: npm run migration:new -w @stocksaga/prisma -- <order|inventory> <snake_case_name>
import { relative } from "node:path";
import { createMigration } from "../src/create-migration.js";
import {
  databaseUrlFromEnv,
  isServiceDatabase,
  migrationLayout,
  serviceDatabases,
} from "../src/databases.js";

const [database, name, ...rest] = process.argv.slice(2);
if (database === undefined || name === undefined || rest.length > 0 || !isServiceDatabase(database)) {
  console.error(`usage: migration:new <${serviceDatabases.join("|")}> <snake_case_name>`);
  process.exit(2);
}

try {
  const result = await createMigration({
    name,
    layout: migrationLayout(database),
    serverUrl: databaseUrlFromEnv(database),
  });
  if (result.status === "no-changes") {
    console.log(`${database}: no changes — the schema matches the committed migrations.`);
  } else {
    console.log(`${database}: created ${relative(process.cwd(), result.migrationPath)}`);
    console.log(
      "Review it before committing; hand-written SQL (CHECK constraints, data moves) goes in there too.",
    );
  }
} catch (error) {
  console.error(`${database}: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}

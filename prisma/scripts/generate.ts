// Usage: npm run generate -w @stocksaga/prisma [-- order|inventory ...] [--force]
import { relative } from "node:path";
import { isServiceDatabase, type ServiceDatabase, serviceDatabases } from "../src/databases.js";
import { generateClient } from "../src/generate.js";

const args = process.argv.slice(2);
const force = args.includes("--force");
const named = args.filter((arg) => arg !== "--force");
const unknown = named.filter((arg) => !isServiceDatabase(arg));
if (unknown.length > 0) {
  console.error(
    `usage: generate [${serviceDatabases.join("|")} ...] [--force]; unknown: ${unknown.join(" ")}`,
  );
  process.exit(2);
}
const databases: readonly ServiceDatabase[] =
  named.length > 0 ? named.filter(isServiceDatabase) : serviceDatabases;

try {
  for (const database of databases) {
    const result = await generateClient(database, { force });
    const where = relative(process.cwd(), result.outputDir);
    console.log(`${database}: ${result.status === "generated" ? "generated" : "up to date"} ${where}`);
  }
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
}

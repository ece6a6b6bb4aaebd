// Read by the Prisma CLI (`prisma generate --config order/prisma.config.ts`, and by migrate commands
// wherever the native schema engine is available). Offline, use the scripts in ../scripts.
import { defineConfig } from "prisma/config";
import { databaseUrlFromEnv } from "../src/databases.js";

export default defineConfig({
  schema: "schema.prisma",
  migrations: { path: "migrations" },
  datasource: { url: databaseUrlFromEnv("order") },
});

import { RegistryClient, registerContracts } from "@stocksaga/contracts";
import { migrateDatabase } from "@stocksaga/prisma";
import type { Settings } from "./settings.js";
import { type Log, type UpResult, up } from "./stack.js";
import { stackTopics } from "./topics.js";

/**
 * Everything the services need before they start: infrastructure answering, databases migrated,
 * schemas registered (a service refuses to start without its schemas).
 */
export async function prepareSystem(settings: Settings, log: Log): Promise<UpResult> {
  const result = await up(settings, stackTopics, log);
  for (const [database, url] of [
    ["order", settings.postgres.orderUrl],
    ["inventory", settings.postgres.inventoryUrl],
  ] as const) {
    const migrated = await migrateDatabase(database, url);
    log(
      migrated.appliedMigrationNames.length > 0
        ? `${database} database: applied ${migrated.appliedMigrationNames.join(", ")}`
        : `${database} database: up to date`,
    );
  }
  const registrations = await registerContracts(new RegistryClient(settings.registry.url));
  log(`registry: ${registrations.length} subjects registered (FULL_TRANSITIVE)`);
  return result;
}

import { RegistryClient, registerContracts } from "@stocksaga/contracts";
import { migrateDatabase } from "@stocksaga/prisma";
import { StackError } from "./failure.js";
import type { Settings } from "./settings.js";
import { down, type Log, type UpResult, up } from "./stack.js";
import { stackTopics } from "./topics.js";

async function step<T>(component: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StackError) throw error;
    throw new StackError(component, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Everything the services need before they start: infrastructure answering, databases migrated,
 * schemas registered (a service refuses to start without its schemas). On a failure it stops what
 * it started.
 */
export async function prepareSystem(settings: Settings, log: Log): Promise<UpResult> {
  const result = await up(settings, stackTopics, log);
  try {
    for (const [database, url] of [
      ["order", settings.postgres.orderUrl],
      ["inventory", settings.postgres.inventoryUrl],
    ] as const) {
      const migrated = await step(`${database} database`, () => migrateDatabase(database, url));
      log(
        migrated.appliedMigrationNames.length > 0
          ? `${database} database: applied ${migrated.appliedMigrationNames.join(", ")}`
          : `${database} database: up to date`,
      );
    }
    const registrations = await step("registry", () =>
      registerContracts(new RegistryClient(settings.registry.url)),
    );
    log(`registry: ${registrations.length} subjects registered (FULL_TRANSITIVE)`);
  } catch (error) {
    if (result.started.length > 0) await down(settings, log, result.started);
    throw error;
  }
  return result;
}

import { randomBytes } from "node:crypto";
import { describeFailure, down, prepareSystem, settings } from "@stocksaga/deploy/stack";
import type { TestProject } from "vitest/node";

const log = (line: string) => console.log(`[stack] ${line}`);

/**
 * Brings up whatever local infrastructure is not already answering (or uses what the
 * environment points at), migrates and registers schemas; on teardown stops exactly what it
 * started. Test files start the services themselves, with the settings they need.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { started } = await prepareSystem(settings, log).catch((error: unknown) => {
    // Vitest would print a stack trace of the set-up; the component, its log and the cause say more.
    console.error(describeFailure(error, "[test setup]"));
    const failure = new Error("the local stack did not come up (see above)");
    failure.stack = failure.message;
    throw failure;
  });
  project.provide("kafkaBrokers", settings.kafka.brokers.join(","));
  project.provide("schemaRegistryUrl", settings.registry.url);
  project.provide("orderDatabaseUrl", settings.postgres.orderUrl);
  project.provide("inventoryDatabaseUrl", settings.postgres.inventoryUrl);
  project.provide("jwtSecret", randomBytes(32).toString("base64url"));
  return async () => {
    if (started.length > 0) await down(settings, log, started);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
    orderDatabaseUrl: string;
    inventoryDatabaseUrl: string;
    jwtSecret: string;
  }
}

import { down, settings, stackTopics, up } from "@stocksaga/deploy/stack";
import type { TestProject } from "vitest/node";

const log = (line: string) => console.log(`[stack] ${line}`);

/**
 * Brings up whatever local infrastructure is not already answering (or uses what the
 * environment points at), and on teardown stops exactly what it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { started } = await up(settings, stackTopics, log);
  project.provide("kafkaBrokers", settings.kafka.brokers.join(","));
  project.provide("schemaRegistryUrl", settings.registry.url);
  return async () => {
    if (started.length > 0) await down(settings, log, started);
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
  }
}

import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { RegistryClient, registerContracts, subjectFor } from "@stocksaga/contracts";
import { settings } from "@stocksaga/deploy/stack";
import { afterAll, describe, expect, inject, it } from "vitest";

const registryUrl = inject("schemaRegistryUrl");

/** Starts the order service from its sources and collects what it prints until it exits. */
async function runOrderService(): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "src/main.ts"], {
    cwd: join(settings.repoRoot, "services/order"),
    env: {
      ...process.env,
      AUTH_JWT_SECRET: inject("jwtSecret"),
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_BROKERS: inject("kafkaBrokers"),
      ORDER_DATABASE_URL: inject("orderDatabaseUrl"),
      ORDER_SERVICE_PORT: "0",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe("a service and the registry", () => {
  const registry = new RegistryClient(registryUrl);
  const missing = subjectFor("OrderCancelled");

  afterAll(async () => {
    // Put the contract back exactly as `schemas:register` would.
    await registerContracts(registry);
  });

  it("refuses to start, naming the subject, when the registry lacks a schema it was built with", async () => {
    await registry.deleteSubject(missing);
    const { code, output } = await runOrderService();
    expect(code).not.toBe(0);
    expect(output).toContain(missing);
  });
});

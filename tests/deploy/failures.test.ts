import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";

/**
 * What a person sees when `npm run stack:up` or `npm start` cannot do its job: the component, the
 * cause, what to install or set — one line for a missing prerequisite, the end of the log for a
 * component that died — and a non-zero exit, never a stack trace. Each run uses its own stack
 * folder and ports, so it never touches the stack the other tests use.
 */

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const scratch = mkdtempSync(join(tmpdir(), "stocksaga-failures-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runTool(script: "cli.ts" | "start.ts", args: string[], env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", join("local/src", script), ...args],
      { cwd: join(repoRoot, "deploy"), env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function holdPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, server };
}

/** An isolated local stack: its own folder, ports and registry database; nothing external set. */
async function isolatedStackEnv(name: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const variable of ["KAFKA_BROKERS", "SCHEMA_REGISTRY_URL", "JAVA_HOME", "STOCKSAGA_REGISTRY_JAVA"]) {
    delete env[variable];
  }
  const kafkaPort = await freePort();
  const registryPort = await freePort();
  return {
    ...env,
    STOCKSAGA_STACK_DIR: join(scratch, name, "stack"),
    STOCKSAGA_KAFKA_PORT: String(kafkaPort),
    STOCKSAGA_KAFKA_CONTROLLER_PORT: String(await freePort()),
    STOCKSAGA_REGISTRY_PORT: String(registryPort),
    STOCKSAGA_REGISTRY_MANAGEMENT_PORT: String(await freePort()),
    STOCKSAGA_REGISTRY_DATABASE: "stocksaga_failures_registry",
  };
}

/** A `java` that only reports a version, as an old installation would. */
function fakeJavaHome(name: string, major: number): string {
  const home = join(scratch, name);
  mkdirSync(join(home, "bin"), { recursive: true });
  const java = join(home, "bin", "java");
  writeFileSync(java, `#!/bin/sh\necho 'openjdk version "${major}.0.2" 2019-01-15' >&2\n`);
  chmodSync(java, 0o755);
  return home;
}

function expectOneLine(outcome: Outcome, line: RegExp): void {
  expect(outcome.code).toBe(1);
  const printed = outcome.stderr.trim().split("\n");
  expect(printed).toHaveLength(1);
  expect(printed[0]).toMatch(line);
}

describe("stack:up with a missing prerequisite says what to install or set, in one line", () => {
  it("JAVA_HOME that holds no Java", async () => {
    const env = { ...(await isolatedStackEnv("java-home")), JAVA_HOME: join(scratch, "no-such-jdk") };
    const outcome = await runTool("cli.ts", ["up"], env);
    expectOneLine(
      outcome,
      /^\[stack\] kafka: JAVA_HOME is \S+no-such-jdk, which holds no Java that runs .*point JAVA_HOME at a Java 17\+ installation or unset it$/,
    );
  });

  it("a Java older than 17 for Kafka", async () => {
    const env = { ...(await isolatedStackEnv("java-11")), JAVA_HOME: fakeJavaHome("jdk-11", 11) };
    const outcome = await runTool("cli.ts", ["up"], env);
    expectOneLine(
      outcome,
      /^\[stack\] kafka: Kafka 4\.1 needs Java 17 or later, and JAVA_HOME's is Java 11; /,
    );
  });

  it("a Java older than 21 named for the registry", async () => {
    const env = {
      ...(await isolatedStackEnv("registry-java")),
      STOCKSAGA_REGISTRY_JAVA: join(fakeJavaHome("jdk-17", 17), "bin", "java"),
    };
    const outcome = await runTool("cli.ts", ["up"], env);
    expectOneLine(
      outcome,
      /^\[stack\] registry: STOCKSAGA_REGISTRY_JAVA is \S+, which is Java 17; the registry needs Java 21 or later$/,
    );
  });

  it("no Maven for the first download", async () => {
    // A PATH with node and java only, and an empty download cache.
    const bin = join(scratch, "bin-without-maven");
    mkdirSync(bin, { recursive: true });
    const java = execFileSync("sh", ["-c", "command -v java"], { encoding: "utf8" }).trim();
    symlinkSync(process.execPath, join(bin, "node"));
    symlinkSync(java, join(bin, "java"));
    const env = {
      ...(await isolatedStackEnv("no-maven")),
      PATH: bin,
      STOCKSAGA_CACHE_DIR: join(scratch, "empty-cache"),
    };
    const outcome = await runTool("cli.ts", ["up"], env);
    expectOneLine(outcome, /^\[stack\] kafka: .*`mvn` was not found on PATH; install Apache Maven 3\.8\+/);
  });

  it("no PostgreSQL at the configured URL", async () => {
    const env = {
      ...(await isolatedStackEnv("no-postgres")),
      ORDER_DATABASE_URL: `postgresql://postgres@127.0.0.1:${await freePort()}/stocksaga_order`,
    };
    const outcome = await runTool("cli.ts", ["up"], env);
    expectOneLine(
      outcome,
      /^\[stack\] postgres: no PostgreSQL answers at 127\.0\.0\.1:\d+ \(from ORDER_DATABASE_URL\); start PostgreSQL 13\+ there/,
    );
  });

  it("a port another process holds", async () => {
    const { port, server } = await holdPort();
    try {
      const env = { ...(await isolatedStackEnv("taken-port")), STOCKSAGA_KAFKA_PORT: String(port) };
      const outcome = await runTool("cli.ts", ["up"], env);
      expectOneLine(
        outcome,
        new RegExp(
          `^\\[stack\\] kafka: port ${port} on 127\\.0\\.0\\.1 is taken by another process; stop that process or set STOCKSAGA_KAFKA_PORT to a free port$`,
        ),
      );
    } finally {
      server.close();
    }
  });
});

describe("npm start", () => {
  /** Against the test stack (external to it, so it starts and stops no infrastructure). */
  async function startEnv(name: string): Promise<NodeJS.ProcessEnv> {
    return {
      ...process.env,
      KAFKA_BROKERS: inject("kafkaBrokers"),
      SCHEMA_REGISTRY_URL: inject("schemaRegistryUrl"),
      ORDER_DATABASE_URL: inject("orderDatabaseUrl"),
      INVENTORY_DATABASE_URL: inject("inventoryDatabaseUrl"),
      STOCKSAGA_STACK_DIR: join(scratch, name),
      ORDER_SERVICE_PORT: String(await freePort()),
      INVENTORY_SERVICE_PORT: String(await freePort()),
      LOG_LEVEL: "info",
    };
  }

  it("says which port is taken and which variable moves the service", async () => {
    const { port, server } = await holdPort();
    try {
      const outcome = await runTool("start.ts", [], {
        ...(await startEnv("start-port")),
        ORDER_SERVICE_PORT: String(port),
      });
      expectOneLine(
        outcome,
        new RegExp(
          `^\\[start\\] order service: port ${port} on 127\\.0\\.0\\.1 is taken by another process; stop that process or set ORDER_SERVICE_PORT to a free port$`,
        ),
      );
    } finally {
      server.close();
    }
  });

  it("names a service that exits during start-up, shows the end of its log, and stops the other", async () => {
    const env: NodeJS.ProcessEnv = { ...(await startEnv("start-exit")), ORDER_DECISION_TIMEOUT_MS: "soon" };
    const outcome = await runTool("start.ts", [], env);
    const logFile = join(scratch, "start-exit", "services", "order.log");

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain("[start] order service: exited during start-up (exit code 2)");
    expect(outcome.stderr).toContain(`  last lines of ${logFile}:`);
    // The service's own reason, from the end of its log: the variable it could not parse.
    expect(outcome.stderr).toMatch(/^ {2}\| .*ORDER_DECISION_TIMEOUT_MS/m);
    expect(outcome.stderr).toContain(`  full log: ${logFile}`);
    expect(outcome.stderr).not.toMatch(/^\s+at /m);
    // The inventory service, which did start, was stopped: its port is free again.
    const inventoryPort = Number(env.INVENTORY_SERVICE_PORT);
    await expect(
      fetch(`http://127.0.0.1:${inventoryPort}/health/live`, { signal: AbortSignal.timeout(2_000) }),
    ).rejects.toThrow();
  });
});

import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

const env = (name: string): string | undefined => {
  const value = process.env[name]?.trim();
  return value === "" ? undefined : value;
};

const port = (name: string, fallback: number): number => {
  const value = Number(env(name) ?? fallback);
  if (!Number.isInteger(value) || value <= 0 || value > 65_535) throw new Error(`${name} must be a TCP port`);
  return value;
};

const kafkaPort = port("STOCKSAGA_KAFKA_PORT", 9092);
const kafkaControllerPort = port("STOCKSAGA_KAFKA_CONTROLLER_PORT", kafkaPort + 1);
const brokerCount = Number(env("STOCKSAGA_KAFKA_BROKER_COUNT") ?? 1);
if (!Number.isInteger(brokerCount) || brokerCount < 1 || brokerCount > 5)
  throw new Error("STOCKSAGA_KAFKA_BROKER_COUNT must be an integer from 1 to 5");

/**
 * Broker n (1-based) listens for clients on STOCKSAGA_KAFKA_PORT + 2(n−1) and for the controller
 * quorum on STOCKSAGA_KAFKA_CONTROLLER_PORT + 2(n−1): with the defaults 9092/9094/9096 and
 * 9093/9095/9097, interleaved so that neither range runs into the other.
 */
const kafkaNodes = Array.from({ length: brokerCount }, (_, index) => ({
  nodeId: index + 1,
  port: kafkaPort + 2 * index,
  controllerPort: kafkaControllerPort + 2 * index,
}));
const registryPort = port("STOCKSAGA_REGISTRY_PORT", 8081);

const cacheRoot =
  env("STOCKSAGA_CACHE_DIR") ?? join(env("XDG_CACHE_HOME") ?? join(homedir(), ".cache"), "stocksaga");
const stackDir = env("STOCKSAGA_STACK_DIR") ?? join(repoRoot, ".stack");

export const KAFKA_VERSION = "4.1.1";
export const REGISTRY_VERSION = "3.3.3";

/**
 * Everything the local stack needs to know, read once. A component whose variable is set by the
 * user is "external": the stack neither starts nor stops it, it only checks that it answers.
 */
export const settings = {
  repoRoot,
  stackDir,
  cacheDir: cacheRoot,
  pomFile: join(repoRoot, "deploy/local/pom.xml"),
  lockDir: join(stackDir, "lock"),
  kafka: {
    external: env("KAFKA_BROKERS") !== undefined,
    brokers: (env("KAFKA_BROKERS") ?? kafkaNodes.map((node) => `127.0.0.1:${node.port}`).join(","))
      .split(",")
      .map((b) => b.trim()),
    brokerCount,
    nodes: kafkaNodes,
    port: kafkaPort,
    controllerPort: kafkaControllerPort,
    // One broker keeps the folder it always had; a cluster gets its own, so switching never mixes data.
    dir: join(stackDir, brokerCount === 1 ? "kafka" : `kafka-${brokerCount}`),
    libDir: join(cacheRoot, `kafka-${KAFKA_VERSION}`, "libs"),
    heap: env("STOCKSAGA_KAFKA_HEAP") ?? "512m",
  },
  registry: {
    external: env("SCHEMA_REGISTRY_URL") !== undefined,
    url: env("SCHEMA_REGISTRY_URL") ?? `http://127.0.0.1:${registryPort}/apis/ccompat/v7`,
    port: registryPort,
    managementPort: port("STOCKSAGA_REGISTRY_MANAGEMENT_PORT", registryPort + 10),
    dir: join(stackDir, "registry"),
    distDir: join(cacheRoot, `apicurio-registry-${REGISTRY_VERSION}`),
    heap: env("STOCKSAGA_REGISTRY_HEAP") ?? "384m",
    java: env("STOCKSAGA_REGISTRY_JAVA"),
    databaseName: env("STOCKSAGA_REGISTRY_DATABASE") ?? "stocksaga_registry",
  },
  postgres: {
    adminUrl: env("STOCKSAGA_POSTGRES_ADMIN_URL") ?? "postgresql://postgres@127.0.0.1:5432/postgres",
    orderUrl: env("ORDER_DATABASE_URL") ?? "postgresql://postgres@127.0.0.1:5432/stocksaga_order",
    inventoryUrl: env("INVENTORY_DATABASE_URL") ?? "postgresql://postgres@127.0.0.1:5432/stocksaga_inventory",
  },
  readyTimeoutMs: Number(env("STOCKSAGA_STACK_READY_TIMEOUT_MS") ?? 120_000),
} as const;

export type Settings = typeof settings;

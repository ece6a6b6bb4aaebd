import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { issueToken } from "@stocksaga/platform";
import { devJwtSecret } from "./dev-secret.js";
import { isPortFree } from "./processes.js";
import { type ServiceProcess, startService } from "./services.js";
import { settings } from "./settings.js";
import { down, StackError } from "./stack.js";
import { prepareSystem } from "./system.js";

const log = (line: string) => console.log(`[start] ${line}`);

const orderPort = Number(process.env.ORDER_SERVICE_PORT ?? 3001);
const inventoryPort = Number(process.env.INVENTORY_SERVICE_PORT ?? 3002);

/**
 * `npm start`: the whole system on this machine. Brings up what is missing (Kafka, registry),
 * migrates, registers schemas, starts both services, prints URLs and a demo token; Ctrl-C stops
 * exactly what it started.
 */
async function main(): Promise<void> {
  for (const [name, port] of [
    ["order", orderPort],
    ["inventory", inventoryPort],
  ] as const) {
    if (!(await isPortFree(port))) {
      throw new StackError(
        name,
        `port ${port} is taken; set ${name.toUpperCase()}_SERVICE_PORT to another port`,
      );
    }
  }
  const { started } = await prepareSystem(settings, log);
  const { secret, source } = devJwtSecret(settings);
  const logDir = join(settings.stackDir, "services");
  mkdirSync(logDir, { recursive: true });
  const env = { AUTH_JWT_SECRET: secret, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" };

  const services: ServiceProcess[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    log("stopping services");
    await Promise.all(services.map((s) => s.stop()));
    if (started.length > 0) await down(settings, log, started);
    process.exit(code);
  };
  process.on("SIGINT", () => void stopAll(0));
  process.on("SIGTERM", () => void stopAll(0));

  try {
    const [inventory, order] = await Promise.all([
      startService(settings, "inventory", {
        port: inventoryPort,
        env,
        logFile: join(logDir, "inventory.log"),
      }),
      startService(settings, "order", { port: orderPort, env, logFile: join(logDir, "order.log") }),
    ]);
    services.push(inventory, order);
    for (const service of services) {
      void service.exited.then((code) => {
        if (!stopping) {
          log(`${service.name} service exited with code ${code}; see ${join(logDir, `${service.name}.log`)}`);
          void stopAll(1);
        }
      });
    }
  } catch (error) {
    await stopAll(1).catch(() => undefined);
    throw error;
  }

  const adminToken = await issueToken(secret, { sub: "admin", roles: ["admin"], ttlSeconds: 12 * 3600 });
  const customerToken = await issueToken(secret, { sub: "alice", ttlSeconds: 12 * 3600 });
  console.log(`
  stocksaga is running
    order service      http://127.0.0.1:${orderPort}      (API reference: /docs)
    inventory service  http://127.0.0.1:${inventoryPort}      (API reference: /docs)
    logs               ${logDir}/{order,inventory}.log, ${settings.stackDir}/{kafka,registry}
    JWT secret from    ${source}

  export ADMIN_TOKEN=${adminToken}
  export TOKEN=${customerToken}

  More tokens: npm run token -- --sub bob [--admin]. Ctrl-C stops everything this command started.
`);
}

main().catch((error: unknown) => {
  console.error(error instanceof StackError ? `[start] ${error.message}` : error);
  process.exit(1);
});

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { issueToken } from "@stocksaga/platform";
import { generateClient, serviceDatabases } from "@stocksaga/prisma";
import { devJwtSecret } from "./dev-secret.js";
import { describeFailure, MissingPrerequisite, StackError } from "./failure.js";
import { isPortFree } from "./processes.js";
import { type ServiceProcess, startService } from "./services.js";
import { settings } from "./settings.js";
import { down } from "./stack.js";
import { prepareSystem } from "./system.js";

const log = (line: string) => console.log(`[start] ${line}`);

const orderPort = Number(process.env.ORDER_SERVICE_PORT ?? 3001);
const inventoryPort = Number(process.env.INVENTORY_SERVICE_PORT ?? 3002);

/** What this command started, stopped in reverse on Ctrl-C or on a failure. */
const services: ServiceProcess[] = [];
let stackStarted: string[] = [];
let stopping: Promise<void> | undefined;

function stopEverything(): Promise<void> {
  stopping ??= (async () => {
    if (services.length > 0) log("stopping services");
    await Promise.all(services.map((s) => s.stop()));
    if (stackStarted.length > 0) await down(settings, log, stackStarted);
  })();
  return stopping;
}

/**
 * `npm start`: the whole system on this machine. Brings up what is missing (Kafka, registry),
 * migrates, registers schemas, starts both services and prints URLs and demo tokens; Ctrl-C stops
 * exactly what it started. A failure names the component, shows the end of its log and exits 1.
 */
async function main(): Promise<void> {
  for (const [name, port] of [
    ["order", orderPort],
    ["inventory", inventoryPort],
  ] as const) {
    if (!(await isPortFree(port))) {
      throw new MissingPrerequisite(
        `${name} service`,
        `port ${port} on 127.0.0.1 is taken by another process; stop that process or set ${name.toUpperCase()}_SERVICE_PORT to a free port`,
      );
    }
  }
  // `npm ci` generates the Prisma clients (postinstall); a pulled schema change makes them stale.
  for (const database of serviceDatabases) {
    const { status } = await generateClient(database);
    if (status === "generated") log(`${database} service: generated its Prisma client`);
  }

  const prepared = await prepareSystem(settings, log);
  stackStarted = prepared.started;
  const { secret, source } = devJwtSecret(settings);
  const logDir = join(settings.stackDir, "services");
  mkdirSync(logDir, { recursive: true });
  const consolePort = process.env.CONSOLE_PORT ?? "3000";
  const env = {
    AUTH_JWT_SECRET: secret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
    // The console's own origin, wherever CONSOLE_PORT puts it, may call both services.
    CORS_ORIGINS:
      process.env.CORS_ORIGINS ?? `http://127.0.0.1:${consolePort},http://localhost:${consolePort}`,
  };

  const starting = (["inventory", "order"] as const).map((name) =>
    startService(settings, name, {
      port: name === "order" ? orderPort : inventoryPort,
      env,
      logFile: join(logDir, `${name}.log`),
    }).then((service) => {
      services.push(service);
      return service;
    }),
  );
  const outcomes = await Promise.allSettled(starting);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
  if (failed) throw failed.reason;

  for (const service of services) {
    void service.exited.then((code) => {
      if (stopping) return;
      console.error(
        describeFailure(
          new StackError(
            `${service.name} service`,
            `exited with code ${code}`,
            join(logDir, `${service.name}.log`),
          ),
          "[start]",
        ),
      );
      void stopEverything().then(() => process.exit(1));
    });
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

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void stopEverything().then(() => process.exit(0));
  });
}

main().catch(async (error: unknown) => {
  console.error(describeFailure(error, "[start]"));
  await stopEverything().catch((stopError: unknown) => console.error(describeFailure(stopError, "[start]")));
  process.exit(1);
});

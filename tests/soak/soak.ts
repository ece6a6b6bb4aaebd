import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { down, prepareSystem, type ServiceProcess, settings, startService } from "@stocksaga/deploy/stack";
import pg from "pg";
import { ApiClient } from "../support/api.js";
import { freePort } from "../support/system.js";
import { type TableSize, tableSizes } from "../support/table-sizes.js";

/**
 * `npm run soak -w @stocksaga/tests -- --minutes 20 --rate 10`: orders at a steady rate against
 * both services run with short retention windows, and every table of both databases (rows and
 * bytes) sampled over time; a table is flat once its window has passed. Loopback only, bounded in
 * time and count.
 *   --minutes M     how long orders flow (default 20)      --rate R     orders per second (default 10)
 *   --window S      retention windows, seconds (default 60) --sample S   seconds between samples (default 30)
 *   --vacuum-after N  RETENTION_VACUUM_AFTER_ROWS of both services (default: theirs, 1,000)
 */
const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "20" },
    rate: { type: "string", default: "10" },
    window: { type: "string", default: "60" },
    sample: { type: "string", default: "30" },
    "vacuum-after": { type: "string" },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const windowMs = Number(values.window) * 1000;
const sampleMs = Number(values.sample) * 1000;
for (const [name, value] of Object.entries({ minutes, rate, windowMs, sampleMs })) {
  if (!(value > 0) || value > 24 * 60 * 60_000) throw new Error(`--${name}: not a sensible positive number`);
}
if (rate > 200) throw new Error("--rate: at most 200 orders per second on a shared machine");

const started = Date.now();
const log = (line: string) =>
  console.log(`[soak +${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const secret = randomBytes(32).toString("base64url");
const retention = {
  KAFKA_RECORD_LIFETIME_MS: String(windowMs),
  INBOX_RETENTION_MS: String(windowMs),
  RETENTION_INTERVAL_MS: String(Math.max(1_000, Math.round(windowMs / 10))),
  ...(values["vacuum-after"] !== undefined
    ? { RETENTION_VACUUM_AFTER_ROWS: String(Number.parseInt(values["vacuum-after"], 10)) }
    : {}),
};
const serviceEnv = {
  order: { ...retention, ORDER_RETENTION_MS: String(windowMs) },
  inventory: { ...retention, INVENTORY_ORDER_RETENTION_MS: String(windowMs) },
};

interface Sample {
  elapsedS: number;
  placed: number;
  tables: Record<"order" | "inventory", TableSize[]>;
}

const { started: stackStarted } = await prepareSystem(settings, (line) => log(`stack: ${line}`));
const services: ServiceProcess[] = [];
const databases = {
  order: new pg.Client({ connectionString: settings.postgres.orderUrl }),
  inventory: new pg.Client({ connectionString: settings.postgres.inventoryUrl }),
};
let exitCode = 1;
// Ctrl-C or SIGTERM ends the flow early: the samples so far are written and the services this run
// started are stopped (the default would leave them running, orphaned).
let interrupted = false;
const interrupt = () => {
  log("interrupted: ending the flow, stopping what this run started");
  interrupted = true;
};
process.once("SIGINT", interrupt);
process.once("SIGTERM", interrupt);
try {
  const logDir = join(settings.stackDir, "soak");
  mkdirSync(logDir, { recursive: true });
  const ports = { order: await freePort(), inventory: await freePort() };
  for (const name of ["inventory", "order"] as const) {
    services.push(
      await startService(settings, name, {
        port: ports[name],
        logFile: join(logDir, `${name}.log`),
        env: { AUTH_JWT_SECRET: secret, LOG_LEVEL: "warn", ...serviceEnv[name] },
      }),
    );
  }
  await databases.order.connect();
  await databases.inventory.connect();
  const urls = { order: `http://127.0.0.1:${ports.order}`, inventory: `http://127.0.0.1:${ports.inventory}` };
  const admin = new ApiClient(urls.order, urls.inventory, secret, "soak-admin", true);
  const customers = Array.from(
    { length: 10 },
    (_, i) => new ApiClient(urls.order, urls.inventory, secret, `soak-${i}-${randomUUID()}`, false),
  );
  const skus = Array.from({ length: 5 }, () => `SOAK-${randomUUID().slice(0, 8)}`);
  for (const sku of skus) await admin.createProduct(sku, 1_000_000);

  const samples: Sample[] = [];
  const statuses = new Map<number, number>();
  let placed = 0;
  const takeSample = async () => {
    const sample: Sample = {
      elapsedS: Math.round((Date.now() - started) / 1000),
      placed,
      tables: { order: await tableSizes(databases.order), inventory: await tableSizes(databases.inventory) },
    };
    samples.push(sample);
    const cells = (["order", "inventory"] as const).flatMap((db) =>
      sample.tables[db].map((t) => `${db}.${t.table}=${t.rows}r/${Math.round(t.bytes / 1024)}KiB`),
    );
    log(`${placed} orders; ${cells.join(" ")}`);
  };

  await takeSample();
  const flowStarted = Date.now();
  const inFlight = new Set<Promise<void>>();
  let nextSample = flowStarted + sampleMs;
  const intervalMs = 1000 / rate;
  for (
    let due = flowStarted;
    !interrupted && Date.now() - flowStarted < minutes * 60_000;
    due += intervalMs
  ) {
    const customer = customers[placed % customers.length] as ApiClient;
    const items = [
      { sku: skus[placed % skus.length] as string, quantity: 1 },
      { sku: skus[(placed + 2) % skus.length] as string, quantity: 1 },
    ];
    placed += 1;
    const placing = customer.placeOrder(items).then(
      (reply) => void statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1),
      () => void statuses.set(0, (statuses.get(0) ?? 0) + 1),
    );
    inFlight.add(placing);
    void placing.finally(() => inFlight.delete(placing));
    if (inFlight.size >= 50) await Promise.race(inFlight);
    if (Date.now() >= nextSample) {
      await takeSample();
      nextSample += sampleMs;
    }
    const wait = due + intervalMs - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  await takeSample();

  // Flat: past the first two windows, each table's largest size against its size then.
  const settled = samples.find((s) => s.elapsedS * 1000 >= flowStarted - started + 2 * windowMs + sampleMs);
  const last = samples.at(-1) as Sample;
  log(`answers: ${JSON.stringify(Object.fromEntries(statuses))}`);
  if (settled) {
    for (const db of ["order", "inventory"] as const) {
      for (const { table, bytes, rows } of settled.tables[db]) {
        const later = samples.filter((s) => s.elapsedS >= settled.elapsedS);
        const most = Math.max(...later.map((s) => s.tables[db].find((t) => t.table === table)?.bytes ?? 0));
        const end = last.tables[db].find((t) => t.table === table);
        log(
          `${db}.${table}: at +${settled.elapsedS} s ${rows} rows ${Math.round(bytes / 1024)} KiB; ` +
            `largest since ${Math.round(most / 1024)} KiB; end ${end?.rows} rows ${Math.round((end?.bytes ?? 0) / 1024)} KiB`,
        );
      }
    }
  } else {
    log("the run was shorter than two windows and a sample: nothing settled to compare");
  }
  const file = join(logDir, `soak-${new Date(started).toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ minutes, rate, windowMs, sampleMs, placed, statuses: Object.fromEntries(statuses), samples }, null, 2)}\n`,
  );
  log(`samples: ${file}`);
  exitCode = 0;
} catch (error) {
  console.error(error);
} finally {
  await Promise.all(services.map((service) => service.stop()));
  await Promise.all([databases.order.end(), databases.inventory.end()].map((p) => p.catch(() => undefined)));
  if (stackStarted.length > 0) await down(settings, (line) => log(`stack: ${line}`), stackStarted);
}
process.exit(exitCode);

/**
 * What one reactAll batch of OrderRequested events costs, on a throwaway migrated database:
 * wall time, this process's CPU, the database backend's CPU and the statements sent, per batch of
 * 1, 20 and 100 requests of 3 lines each. Run from services/inventory:
 *   npx tsx --conditions=source scripts/measure-react-all.ts
 * The database server is the one INVENTORY_DATABASE_URL names (the local default otherwise).
 */
import { readFileSync } from "node:fs";
import { createPool } from "@stocksaga/messaging";
import pg from "pg";
import { InventoryApplication, type Reaction } from "../src/application/inventory.js";
import { orderRequested, reacting, route } from "../src/application/testing.js";
import { PgInventoryStore } from "../src/persistence/pg-inventory-store.js";
import { throwawayInventoryDatabase } from "../src/persistence/throwaway-database.js";

const PRODUCTS = 300;
const RUNS: readonly (readonly [batch: number, runs: number])[] = [
  [1, 300],
  [20, 60],
  [100, 20],
];
const WARM_UP = 10;

let statements = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(this: pg.Client, ...args: unknown[]) {
  statements += 1;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

/** CPU of a PostgreSQL backend, in milliseconds (utime + stime of /proc/<pid>/stat, in 10 ms ticks). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

let seed = 42;
function random(below: number): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % below;
}

function threeSkus(): [string, number][] {
  const skus = new Set<string>();
  while (skus.size < 3) skus.add(`SKU-${random(PRODUCTS)}`);
  return [...skus].map((sku) => [sku, 1 + random(3)]);
}

const database = await throwawayInventoryDatabase();
// One connection: every statement runs on the one backend whose CPU is read.
const pool = createPool(database.url, 1);
try {
  const inventory = new InventoryApplication({ store: new PgInventoryStore(pool), route });
  const { rows } = await pool.query<{ pid: number }>("select pg_backend_pid() as pid");
  const backend = rows[0]?.pid ?? 0;
  for (let i = 0; i < PRODUCTS; i++) {
    await inventory.createProduct({
      sku: `SKU-${i}`,
      name: `Product ${i}`,
      onHand: 1_000_000,
      traceparent: null,
    });
  }
  const reactions = reacting(() => new Date());
  const batchOf = (size: number): Reaction[] =>
    reactions(...Array.from({ length: size }, () => orderRequested(threeSkus())));
  for (let i = 0; i < WARM_UP; i++) await inventory.reactAll(batchOf(20));

  console.log("batch  runs  wall ms/batch (p50)  node CPU ms/batch  backend CPU ms/batch  statements/batch");
  for (const [size, runs] of RUNS) {
    const batches = Array.from({ length: runs }, () => batchOf(size));
    const walls: number[] = [];
    const cpu = process.cpuUsage();
    const backendBefore = backendCpuMs(backend);
    const statementsBefore = statements;
    for (const batch of batches) {
      const started = performance.now();
      await inventory.reactAll(batch);
      walls.push(performance.now() - started);
    }
    const used = process.cpuUsage(cpu);
    walls.sort((a, b) => a - b);
    console.log(
      [
        String(size).padStart(5),
        String(runs).padStart(5),
        (walls[Math.floor(runs / 2)] ?? 0).toFixed(2).padStart(20),
        ((used.user + used.system) / 1_000 / runs).toFixed(2).padStart(18),
        ((backendCpuMs(backend) - backendBefore) / runs).toFixed(2).padStart(21),
        ((statements - statementsBefore) / runs).toFixed(1).padStart(17),
      ].join(" "),
    );
  }
} finally {
  await pool.end();
  await database.drop();
}

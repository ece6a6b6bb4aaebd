import type pg from "pg";
import type { Databases } from "./observe.js";
import { counterValue, type Exposition, scrapeMetrics } from "./prometheus.js";
import { round } from "./stats.js";

type Side = "order" | "inventory";
const SIDES: readonly Side[] = ["order", "inventory"];

/** Counters the services expose on `/metrics` (when they do), by what they count. */
export const SERVICE_COUNTERS = {
  statements: { name: "stocksaga_db_statements_total", where: {} },
  transactions: { name: "stocksaga_db_transactions_total", where: {} },
  produceRequests: { name: "stocksaga_kafka_requests_total", where: { api: "Produce" } },
  messages: { name: "stocksaga_events_produced_total", where: {} },
} as const;
type ServiceCounter = keyof typeof SERVICE_COUNTERS;

export interface WorkSnapshot {
  /** xact_commit + xact_rollback of each service database (pg_stat_database); undefined when unreadable. */
  postgresTransactions: Record<Side, number> | undefined;
  /** Queries the harness itself sent to each database so far: each is one transaction to take off. */
  harnessQueries: Record<Side, number>;
  /** Each service's `/metrics`; undefined when it did not answer. */
  metrics: Record<Side, Exposition | undefined>;
}

/** Per order: each service (or database), and both together; null when a figure is missing. */
export interface PerOrder {
  total: number | null;
  order: number | null;
  inventory: number | null;
}

export interface WorkPerOrder {
  /** Orders the step placed (POSTs answered 202): the divisor. */
  orders: number;
  /** From the server's counters, less the harness's own queries; by database. */
  postgresTransactions: PerOrder & { harnessSubtracted: number };
  /** From the services' counters (null while a service does not expose one). */
  statements: PerOrder;
  serviceTransactions: PerOrder;
  kafkaProduceRequests: PerOrder;
  kafkaMessages: PerOrder;
}

/** Counts the queries a pool runs (each `pool.query` checks a client out once). */
export function countQueries(pool: pg.Pool): () => number {
  let queries = 0;
  pool.on("acquire", () => {
    queries++;
  });
  return () => queries;
}

export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
}

/** Reads, around each step, what the database and the services counted. */
export class WorkProbe {
  private readonly harnessQueries: Record<Side, () => number>;

  constructor(
    private readonly databases: Databases,
    private readonly databaseNames: Record<Side, string>,
    private readonly serviceUrls: Record<Side, string>,
  ) {
    this.harnessQueries = {
      order: countQueries(databases.order),
      inventory: countQueries(databases.inventory),
    };
  }

  async snapshot(): Promise<WorkSnapshot> {
    const [postgresTransactions, order, inventory] = await Promise.all([
      this.readTransactions(),
      scrapeMetrics(this.serviceUrls.order),
      scrapeMetrics(this.serviceUrls.inventory),
    ]);
    return {
      postgresTransactions,
      harnessQueries: { order: this.harnessQueries.order(), inventory: this.harnessQueries.inventory() },
      metrics: { order, inventory },
    };
  }

  private async readTransactions(): Promise<Record<Side, number> | undefined> {
    try {
      const { rows } = await this.databases.order.query<{ datname: string; n: string }>(
        `select datname, (xact_commit + xact_rollback)::text as n
           from pg_stat_database where datname = any($1)`,
        [[this.databaseNames.order, this.databaseNames.inventory]],
      );
      const of = (name: string) => rows.find((r) => r.datname === name)?.n;
      const order = of(this.databaseNames.order);
      const inventory = of(this.databaseNames.inventory);
      return order === undefined || inventory === undefined
        ? undefined
        : { order: Number(order), inventory: Number(inventory) };
    } catch {
      return undefined;
    }
  }
}

function perOrder(deltas: Record<Side, number | undefined>, orders: number): PerOrder {
  const per = (value: number | undefined) =>
    value === undefined || value < 0 || orders <= 0 ? null : round(value / orders, 2);
  const { order, inventory } = deltas;
  return {
    total: order === undefined || inventory === undefined ? null : per(order + inventory),
    order: per(order),
    inventory: per(inventory),
  };
}

function counterDelta(before: WorkSnapshot, after: WorkSnapshot, side: Side, counter: ServiceCounter) {
  const { name, where } = SERVICE_COUNTERS[counter];
  const a = before.metrics[side];
  const b = after.metrics[side];
  const from = a && counterValue(a, name, where);
  const to = b && counterValue(b, name, where);
  // A counter that went down belongs to a restarted service: no figure rather than a wrong one.
  return from === undefined || to === undefined || to < from ? undefined : to - from;
}

/** The work between two snapshots divided by the orders placed in between. */
export function workPerOrder(before: WorkSnapshot, after: WorkSnapshot, orders: number): WorkPerOrder {
  const harness = (side: Side) => after.harnessQueries[side] - before.harnessQueries[side];
  const postgres = (side: Side) =>
    before.postgresTransactions && after.postgresTransactions
      ? after.postgresTransactions[side] - before.postgresTransactions[side] - harness(side)
      : undefined;
  const fromServices = (counter: ServiceCounter) =>
    perOrder(
      {
        order: counterDelta(before, after, "order", counter),
        inventory: counterDelta(before, after, "inventory", counter),
      },
      orders,
    );
  return {
    orders,
    postgresTransactions: {
      ...perOrder({ order: postgres("order"), inventory: postgres("inventory") }, orders),
      harnessSubtracted: SIDES.reduce((sum, side) => sum + harness(side), 0),
    },
    statements: fromServices("statements"),
    serviceTransactions: fromServices("transactions"),
    kafkaProduceRequests: fromServices("produceRequests"),
    kafkaMessages: fromServices("messages"),
  };
}

export function describeWork(work: WorkPerOrder): string {
  const figure = (p: PerOrder) =>
    p.total === null && p.order === null && p.inventory === null
      ? "n/a"
      : `${p.total ?? "n/a"} (order ${p.order ?? "n/a"}, inventory ${p.inventory ?? "n/a"})`;
  return (
    `work per order over ${work.orders} orders: PostgreSQL transactions ${figure(work.postgresTransactions)}, ` +
    `statements ${figure(work.statements)}, service transactions ${figure(work.serviceTransactions)}, ` +
    `Kafka produce requests ${figure(work.kafkaProduceRequests)}, messages ${figure(work.kafkaMessages)}`
  );
}

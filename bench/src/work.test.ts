import { EventEmitter, once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type pg from "pg";
import { describe, expect, it } from "vitest";
import type { Databases } from "./observe.js";
import { parsePrometheusText } from "./prometheus.js";
import {
  countQueries,
  databaseName,
  describeWork,
  WorkProbe,
  type WorkSnapshot,
  workPerOrder,
} from "./work.js";

const exposition = (lines: string[]) => parsePrometheusText(`${lines.join("\n")}\n`);

const newer = (statements: number, produce: number) =>
  exposition([
    "# TYPE stocksaga_db_statements_total counter",
    `stocksaga_db_statements_total{kind="select"} ${statements / 2}`,
    `stocksaga_db_statements_total{kind="insert"} ${statements / 2}`,
    "# TYPE stocksaga_db_transactions_total counter",
    `stocksaga_db_transactions_total ${statements / 4}`,
    "# TYPE stocksaga_kafka_requests_total counter",
    `stocksaga_kafka_requests_total{api="Produce"} ${produce}`,
    `stocksaga_kafka_requests_total{api="Fetch"} ${produce * 10}`,
    "# TYPE stocksaga_events_produced_total counter",
  ]);
const older = exposition(["# TYPE http_requests_total counter", "http_requests_total 5"]);

describe("work per order", () => {
  const before: WorkSnapshot = {
    postgresTransactions: { order: 10_000, inventory: 20_000 },
    harnessQueries: { order: 100, inventory: 40 },
    metrics: { order: newer(1_000, 50), inventory: older },
  };
  const after: WorkSnapshot = {
    postgresTransactions: { order: 10_000 + 5_030, inventory: 20_000 + 3_010 },
    harnessQueries: { order: 130, inventory: 50 },
    metrics: { order: newer(1_000 + 40_000, 50 + 1_500), inventory: older },
  };

  it("takes the harness's own queries off the server's transaction counts", () => {
    expect(workPerOrder(before, after, 1_000).postgresTransactions).toEqual({
      total: 8,
      order: 5,
      inventory: 3,
      harnessSubtracted: 40,
    });
  });

  it("reads the services' counters, and says null, not 0, for a service that lacks one", () => {
    const work = workPerOrder(before, after, 1_000);
    expect(work.statements).toEqual({ total: null, order: 40, inventory: null });
    expect(work.serviceTransactions).toEqual({ total: null, order: 10, inventory: null });
    expect(work.kafkaProduceRequests).toEqual({ total: null, order: 1.5, inventory: null });
    // Declared, no series yet: the service counts messages and produced none.
    expect(work.kafkaMessages).toEqual({ total: null, order: 0, inventory: null });
    const both = workPerOrder(
      { ...before, metrics: { order: newer(0, 0), inventory: newer(0, 0) } },
      { ...after, metrics: { order: newer(4_000, 100), inventory: newer(2_000, 300) } },
      1_000,
    );
    expect(both.statements).toEqual({ total: 6, order: 4, inventory: 2 });
    expect(both.kafkaProduceRequests).toEqual({ total: 0.4, order: 0.1, inventory: 0.3 });
  });

  it("gives no figure when a service did not answer, restarted, or no order was placed", () => {
    const missing = workPerOrder(
      before,
      { ...after, metrics: { order: undefined, inventory: older } },
      1_000,
    );
    expect(missing.statements.order).toBeNull();
    const restarted = workPerOrder(
      before,
      { ...after, metrics: { order: newer(10, 0), inventory: older } },
      1_000,
    );
    expect(restarted.statements.order).toBeNull();
    const unreadable = workPerOrder(before, { ...after, postgresTransactions: undefined }, 1_000);
    expect(unreadable.postgresTransactions).toMatchObject({ total: null, order: null, inventory: null });
    expect(workPerOrder(before, after, 0).postgresTransactions.total).toBeNull();
  });

  it("prints one line", () => {
    expect(describeWork(workPerOrder(before, after, 1_000))).toBe(
      "work per order over 1000 orders: PostgreSQL transactions 8 (order 5, inventory 3), " +
        "statements n/a (order 40, inventory n/a), service transactions n/a (order 10, inventory n/a), " +
        "Kafka produce requests n/a (order 1.5, inventory n/a), messages n/a (order 0, inventory n/a)",
    );
  });
});

describe("the work probe", () => {
  it("reads pg_stat_database for the two databases, counts its own queries and scrapes both services", async () => {
    const pool = (rows: () => unknown[]) => {
      const emitter = new EventEmitter();
      const queries: unknown[][] = [];
      const fake = Object.assign(emitter, {
        queries,
        query: async (sql: string, params: unknown[]) => {
          emitter.emit("acquire");
          queries.push([sql, params]);
          return { rows: rows() };
        },
      });
      return fake as unknown as pg.Pool & { queries: unknown[][] };
    };
    let commits = 100;
    const order = pool(() => [
      { datname: "db_order", n: String(commits) },
      { datname: "db_inventory", n: "7" },
    ]);
    const inventory = pool(() => []);
    const server = createServer((req, res) => {
      res.end(
        req.url === "/metrics"
          ? "# TYPE stocksaga_db_statements_total counter\nstocksaga_db_statements_total 9\n"
          : "",
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const probe = new WorkProbe(
        { order, inventory } as Databases,
        { order: "db_order", inventory: "db_inventory" },
        {
          order: url,
          inventory: "http://127.0.0.1:1",
        },
      );
      await inventory.query("select 1", []);
      const first = await probe.snapshot();
      commits = 250;
      const second = await probe.snapshot();
      expect(first.postgresTransactions).toEqual({ order: 100, inventory: 7 });
      expect(second.postgresTransactions).toEqual({ order: 250, inventory: 7 });
      expect(second.harnessQueries).toEqual({ order: 2, inventory: 1 });
      expect(order.queries[0]?.[1]).toEqual([["db_order", "db_inventory"]]);
      expect(second.metrics.inventory).toBeUndefined();
      expect(workPerOrder(first, second, 10).statements.order).toBe(0);
    } finally {
      server.close();
    }
  });

  it("counts each query a pool runs, and names the database of a URL", () => {
    const emitter = new EventEmitter();
    const count = countQueries(emitter as unknown as pg.Pool);
    emitter.emit("acquire");
    emitter.emit("acquire");
    expect(count()).toBe(2);
    expect(databaseName("postgresql://postgres@127.0.0.1:5432/stocksaga_hd_order?sslmode=disable")).toBe(
      "stocksaga_hd_order",
    );
  });
});

import pg from "pg";
import type { Registry } from "prom-client";
import { type DatabaseTally, databaseMetrics } from "./database-metrics.js";

export interface PoolOptions {
  /**
   * The service's registry, on which the pool counts its statements and transactions
   * (`databaseMetrics`); without one nothing is counted.
   */
  metrics?: Registry;
  /** The `pool` label of those counters, telling a service's pools apart (default `main`). */
  name?: string;
}

/**
 * A pg pool (the driver Prisma's adapter uses too), counting what it sends when given a registry.
 * A connection the server ends while it sits idle in the pool (a restart, a failover,
 * `pg_terminate_backend`) is an `error` event on the pool, which would crash the process unheard;
 * the pool has already dropped that client and opens another when next asked.
 */
export function createPool(url: string, size: number, options: PoolOptions = {}): pg.Pool {
  const tally = options.metrics ? databaseMetrics(options.metrics, options.name ?? "main") : undefined;
  const pool = new pg.Pool({
    connectionString: url,
    max: size,
    // A server that vanished without closing the connection (a crashed host, a dropped NAT
    // entry) is noticed by TCP keep-alive within about a minute instead of never.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(tally ? { Client: countingClient(tally) } : {}),
  });
  pool.on("error", () => undefined);
  return pool;
}

/**
 * A client class whose every `query` is tallied: the pool's own `query` goes through a client's,
 * so one override sees every statement, whoever sends it.
 */
function countingClient(tally: DatabaseTally): typeof pg.Client {
  class CountingClient extends pg.Client {}
  const query = pg.Client.prototype.query;
  CountingClient.prototype.query = function countedQuery(this: pg.Client, ...args: unknown[]) {
    tally.statement(args[0]);
    return Reflect.apply(query, this, args);
  } as typeof query;
  return CountingClient;
}

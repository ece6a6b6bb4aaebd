import pg from "pg";

/**
 * A plain pg pool for what Prisma has no API for: the outbox relay's advisory lock and LISTEN.
 * A connection the server ends while it sits idle in the pool (a restart, a failover,
 * `pg_terminate_backend`) is an `error` event on the pool, which would crash the process unheard;
 * the pool has already dropped that client and opens another when next asked.
 */
export function createPool(url: string, size: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: size });
  pool.on("error", () => undefined);
  return pool;
}

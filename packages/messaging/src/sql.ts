import type pg from "pg";

/**
 * Where a statement runs: a pool, a pooled client or a plain client of `pg` (the driver Prisma's
 * adapter uses too). Values always go as parameters; SQL text is a constant.
 */
export interface Queryable {
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<Row>>;
}

/**
 * Runs `work` in one transaction on a connection of `pool`: committed when it returns, rolled back
 * when it throws. A connection that failed is not given back to the pool for reuse.
 *
 * The connection can be lost between two statements (the server restarted, or ended the backend),
 * while `work` computes: pg tells it as an `error` event on the client, which nobody would hear
 * while the client is out of the pool, and which would crash the process. It is heard here; the
 * next statement fails, and the transaction with it.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const lost = (error: Error) => {
    broken = error;
  };
  client.on("error", lost);
  try {
    await client.query("begin");
    const result = await work(client);
    await client.query("commit");
    return result;
  } catch (error) {
    await client.query("rollback").catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw error;
  } finally {
    client.off("error", lost);
    client.release(broken);
  }
}

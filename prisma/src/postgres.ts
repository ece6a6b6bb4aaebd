import pg from "pg";

/** The database every PostgreSQL server has, used to create and drop the others. */
const maintenanceDatabase = "postgres";

/** The database named in a connection string. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ""));
  if (name === "") throw new Error(`The connection string names no database: ${redactUrl(url)}`);
  return name;
}

/**
 * The same connection string pointing at another database on the same server. Rewriting the URL
 * (rather than passing `database` next to `connectionString`) matters: pg lets the connection
 * string win over a separate `database` option.
 */
export function withDatabase(url: string, database: string): string {
  const rewritten = new URL(url);
  rewritten.pathname = `/${encodeURIComponent(database)}`;
  return rewritten.toString();
}

/** The connection string without its password, for messages. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

async function withMaintenanceClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(url, maintenanceDatabase) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the database named in `url` unless it exists. Returns whether it was created.
 *
 * Processes racing to create the same database queue on an advisory lock of the maintenance
 * database: a losing CREATE DATABASE would otherwise fail while the winner's is still in flight.
 */
export async function ensureDatabaseExists(url: string): Promise<boolean> {
  const name = databaseName(url);
  return withMaintenanceClient(url, async (client) => {
    const lockKey = `stocksaga:create-database:${name}`;
    await client.query("SELECT pg_advisory_lock(hashtext($1))", [lockKey]);
    try {
      const existing = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (existing.rowCount !== null && existing.rowCount > 0) return false;
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return true;
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtext($1))", [lockKey]);
    }
  });
}

export async function createDatabase(url: string): Promise<void> {
  await withMaintenanceClient(url, async (client) => {
    await client.query(`CREATE DATABASE ${quoteIdentifier(databaseName(url))}`);
  });
}

/** Drops the database named in `url`, closing whatever connections are still open on it. */
export async function dropDatabase(url: string): Promise<void> {
  await withMaintenanceClient(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(databaseName(url))} WITH (FORCE)`);
  });
}

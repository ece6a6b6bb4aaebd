import pg from "pg";

export interface TableSize {
  table: string;
  rows: number;
  /** Heap, indexes and TOAST: what the table takes on disk. */
  bytes: number;
}

/** Every table of the database's public schema but the migration history, exactly counted. */
export async function tableSizes(client: pg.Client | pg.Pool): Promise<TableSize[]> {
  const { rows: tables } = await client.query<{ name: string; bytes: string }>(
    `select c.relname as name, pg_total_relation_size(c.oid)::text as bytes
       from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r' and c.relname <> '_prisma_migrations'
      order by c.relname`,
  );
  const sizes: TableSize[] = [];
  for (const { name, bytes } of tables) {
    const { rows } = await client.query<{ n: string }>(
      `select count(*)::text as n from ${pg.escapeIdentifier(name)}`,
    );
    sizes.push({ table: name, rows: Number(rows[0]?.n ?? 0), bytes: Number(bytes) });
  }
  return sizes;
}

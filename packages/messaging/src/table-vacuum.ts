import type { Logger } from "pino";
import type { Queryable } from "./sql.js";

export interface TableVacuumOptions {
  /** A pool: VACUUM runs outside any transaction, on a connection other than the writers'. */
  db: Queryable;
  logger: Logger;
  /** Rows deleted from a table (or dead in a watched one) after which it is vacuumed (0: never). */
  afterRows: number;
  /** How often it looks whether enough rows were deleted. */
  intervalMs: number;
  /**
   * Tables updated in place (a status, a counter): every update leaves a dead row, and every index
   * the update touches a dead entry, though nothing is deleted. These are vacuumed once
   * PostgreSQL's own count of their dead rows (`pg_stat_user_tables.n_dead_tup`) reaches `afterRows`.
   */
  watch?: readonly string[];
}

/** Dead rows per watched table, as PostgreSQL's statistics count them (they lag by about a second). */
export const DEAD_ROWS = `
  select relname as table, n_dead_tup::int as dead
    from pg_stat_user_tables
   where schemaname = current_schema() and relname = any($1::text[])`;

/** Table names go into the statement's text: only plain identifiers are accepted. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A table whose rows are deleted in bulk (the outbox after each drain, the tables that retention
 * trims) or updated in place is mostly dead tuples unless something vacuums it, and a bloated table
 * makes every scan of it slower and its files grow without end. Autovacuum may be off, or too lazy
 * for this churn, so the service vacuums what it churns: each table once `afterRows` of its rows
 * were deleted since its last vacuum, and each watched table once that many of its rows are dead,
 * one table at a time, on its own timer, so that no writer ever waits for it.
 */
export class TableVacuum {
  private readonly deletedSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: TableVacuumOptions) {
    for (const table of options.watch ?? []) {
      if (!TABLE_NAME.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
    }
  }

  start(): void {
    if (this.options.afterRows <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** This many rows of `table` were deleted. */
  deleted(table: string, rows: number): void {
    if (!TABLE_NAME.test(table)) throw new Error(`not a table name: ${JSON.stringify(table)}`);
    if (rows > 0) this.deletedSince.set(table, (this.deletedSince.get(table) ?? 0) + rows);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.vacuumDue().finally(() => {
      this.running = undefined;
    });
  }

  private async vacuumDue(): Promise<void> {
    const due = new Map([...this.deletedSince].filter(([, rows]) => rows >= this.options.afterRows));
    for (const [table] of due) this.deletedSince.delete(table);
    for (const [table, dead] of await this.deadRowsOfWatched()) {
      if (dead >= this.options.afterRows && !due.has(table)) due.set(table, dead);
    }
    await this.vacuumAll([...due]);
  }

  private async deadRowsOfWatched(): Promise<[string, number][]> {
    const watch = this.options.watch ?? [];
    if (watch.length === 0) return [];
    try {
      const { rows } = await this.options.db.query<{ table: string; dead: number }>(DEAD_ROWS, [watch]);
      return rows.map((row) => [row.table, Number(row.dead)]);
    } catch (error) {
      this.options.logger.warn({ err: error }, "could not read the dead rows of the watched tables");
      return [];
    }
  }

  private async vacuumAll(due: readonly (readonly [string, number])[]): Promise<void> {
    for (const [table, rows] of due) await this.vacuum(table, rows);
  }

  private async vacuum(table: string, rows: number): Promise<void> {
    const started = performance.now();
    try {
      await this.options.db.query(`vacuum (analyze) ${table}`);
      this.options.logger.debug(
        { table, deletedRows: rows, durationMs: Math.round(performance.now() - started) },
        "vacuumed a table",
      );
    } catch (error) {
      this.deleted(table, rows);
      this.options.logger.warn({ err: error, table }, "could not vacuum a table; will try again later");
    }
  }
}

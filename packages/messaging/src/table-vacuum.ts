import type { Logger } from "pino";
import type { Queryable } from "./sql.js";

export interface TableVacuumOptions {
  /** A pool: VACUUM runs outside any transaction, on a connection other than the writers'. */
  db: Queryable;
  logger: Logger;
  /** Rows deleted from a table after which that table is vacuumed (0: never). */
  afterRows: number;
  /** How often it looks whether enough rows were deleted. */
  intervalMs: number;
}

/** Table names go into the statement's text: only plain identifiers are accepted. */
const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * A table whose rows are deleted in bulk (the outbox after each drain, the tables that retention
 * trims) is mostly dead tuples unless something vacuums it, and a bloated table makes every scan of
 * it slower and its file grow without end. Autovacuum may be off, or too lazy for this churn, so the
 * service vacuums what it deletes: each table once `afterRows` of its rows were deleted since its
 * last vacuum, one table at a time, on its own timer, so that no writer ever waits for it.
 */
export class TableVacuum {
  private readonly deletedSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: TableVacuumOptions) {}

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
    const due = [...this.deletedSince].filter(([, rows]) => rows >= this.options.afterRows);
    if (due.length === 0) return;
    for (const [table] of due) this.deletedSince.delete(table);
    this.running = this.vacuumAll(due).finally(() => {
      this.running = undefined;
    });
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

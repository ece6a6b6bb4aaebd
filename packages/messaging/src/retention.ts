import { setImmediate as yieldToEvents } from "node:timers/promises";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import type { Queryable } from "./sql.js";
import { TableVacuum } from "./table-vacuum.js";

/**
 * What one kind of row is kept for, and how it is trimmed. The statement deletes at most `$2` rows
 * that fell out of the window before `$1` (a timestamptz), in one short autocommitted statement, and
 * returns a single row: one integer column per table it deleted from, named after the table, the
 * first for the table whose rows it chose (at most `$2`), the others for rows deleted with them.
 */
export interface RetentionRule {
  /** Names the rule in logs. */
  readonly name: string;
  readonly windowMs: number;
  readonly deleteBatch: string;
}

export interface RetentionOptions {
  /** A pool apart from the hot paths' (each batch is one statement; VACUUM holds a connection while it runs). */
  db: Queryable;
  rules: readonly RetentionRule[];
  logger: Logger;
  /** Most rows one statement deletes: it holds their locks only for that statement. */
  batchSize: number;
  /** How often the rules run. */
  intervalMs: number;
  /** Most statements per rule in one run, so that a backlog is worked off over several runs. */
  maxBatchesPerRun?: number;
  /** Rows deleted from a table, or dead in a watched one, after which it is vacuumed (0: never). */
  vacuumAfterRows: number;
  /** Tables updated in place as well as trimmed, vacuumed on their dead rows (`TableVacuum.watch`). */
  vacuumWatch?: readonly string[];
  metrics?: Registry;
  now?: () => number;
}

/**
 * Keeps the tables that grow with every order and every event bounded: on its own timer, each rule
 * deletes the rows past its window in batches of `batchSize`, and the tables it deleted from are
 * vacuumed (`TableVacuum`). Several instances may run it at once: each batch deletes distinct rows
 * (they skip the rows another holds) and a second delete of a row deleted already finds nothing.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopping = false;
  private readonly vacuum: TableVacuum;
  private readonly deletedRows: Counter<"table"> | undefined;
  private readonly runs: Counter | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: RetentionOptions) {
    this.logger = options.logger.child({ component: "retention" });
    this.vacuum = new TableVacuum({
      db: options.db,
      logger: this.logger,
      afterRows: options.vacuumAfterRows,
      intervalMs: options.intervalMs,
      ...(options.vacuumWatch ? { watch: options.vacuumWatch } : {}),
    });
    this.deletedRows = options.metrics
      ? new Counter({
          name: "stocksaga_retention_deleted_rows_total",
          help: "Rows deleted by retention once past their window, by table.",
          labelNames: ["table"] as const,
          registers: [options.metrics],
        })
      : undefined;
    this.runs = options.metrics
      ? new Counter({
          name: "stocksaga_retention_runs_total",
          help: "Retention runs that went through every rule.",
          registers: [options.metrics],
        })
      : undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.runOnce()
        .then(
          () => undefined,
          (error: unknown) => this.logger.warn({ err: error }, "retention run failed; will try again"),
        )
        .finally(() => {
          this.running = undefined;
        });
    }, this.options.intervalMs);
    this.timer.unref();
    this.vacuum.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.vacuum.stop();
  }

  /** Runs every rule once; returns the rows deleted per table. */
  async runOnce(): Promise<Record<string, number>> {
    const total: Record<string, number> = {};
    for (const rule of this.options.rules) {
      const deleted = await this.apply(rule);
      for (const [table, rows] of Object.entries(deleted)) total[table] = (total[table] ?? 0) + rows;
    }
    if (Object.values(total).some((rows) => rows > 0)) this.logger.debug({ deleted: total }, "trimmed");
    this.runs?.inc();
    return total;
  }

  private async apply(rule: RetentionRule): Promise<Record<string, number>> {
    const { batchSize } = this.options;
    const maxBatches = this.options.maxBatchesPerRun ?? 20;
    const now = this.options.now ?? Date.now;
    const deleted: Record<string, number> = {};
    for (let batch = 0; batch < maxBatches && !this.stopping; batch++) {
      const cutoff = new Date(now() - rule.windowMs);
      const { rows } = await this.options.db.query<Record<string, string | number>>(rule.deleteBatch, [
        cutoff,
        batchSize,
      ]);
      const counts = Object.entries(rows[0] ?? {});
      const chosen = Number(counts[0]?.[1] ?? 0);
      for (const [table, value] of counts) {
        const count = Number(value);
        deleted[table] = (deleted[table] ?? 0) + count;
        this.vacuum.deleted(table, count);
        if (count > 0) this.deletedRows?.inc({ table }, count);
      }
      if (chosen < batchSize) break;
      // A long backlog: let the service's own work go between batches.
      await yieldToEvents();
    }
    return deleted;
  }
}

/**
 * The inbox's rule, the same in both services: an entry is dropped once no redelivery of its event
 * can arrive any more (see `INBOX_RETENTION_MS`), oldest first through `inbox_processed_at_idx`.
 */
export function inboxRetention(windowMs: number): RetentionRule {
  return {
    name: "inbox",
    windowMs,
    deleteBatch: `with gone as (
                    delete from inbox
                     where ctid = any(array(
                             select ctid from inbox where processed_at < $1
                              order by processed_at limit $2 for update skip locked))
                    returning 1)
                  select count(*)::int as inbox from gone`,
  };
}

import type { Logger } from "pino";
import type { Queryable } from "./sql.js";

export interface OutboxVacuumOptions {
  /** A pool: VACUUM runs outside any transaction, on a connection other than the relay's. */
  db: Queryable;
  logger: Logger;
  /** Rows deleted after which the outbox is vacuumed (0: never). */
  afterRows: number;
  /** How often it looks whether enough rows were deleted. */
  intervalMs: number;
}

/**
 * Every outbox row is inserted and deleted once, so the table is all dead tuples unless something
 * vacuums it, and a bloated outbox makes every drain slower; autovacuum may be off, or too lazy for
 * this churn. It runs on its own timer, so a drain never waits for it.
 */
export class OutboxVacuum {
  private deletedSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: OutboxVacuumOptions) {}

  start(): void {
    if (this.options.afterRows <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /** The relay deleted this many published rows. */
  deleted(rows: number): void {
    this.deletedSince += rows;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick(): void {
    if (this.running || this.deletedSince < this.options.afterRows) return;
    const rows = this.deletedSince;
    this.deletedSince = 0;
    this.running = this.vacuum(rows).finally(() => {
      this.running = undefined;
    });
  }

  private async vacuum(rows: number): Promise<void> {
    const started = performance.now();
    try {
      await this.options.db.query("vacuum (analyze) outbox");
      this.options.logger.debug(
        { durationMs: Math.round(performance.now() - started) },
        "vacuumed the outbox",
      );
    } catch (error) {
      this.deletedSince += rows;
      this.options.logger.warn({ err: error }, "could not vacuum the outbox; will try again later");
    }
  }
}

import type { Logger } from "pino";
import type { Queryable } from "./sql.js";

/**
 * Sends `pg_notify(channel, payload)` on its own connection, outside any business transaction (a
 * notifying transaction holds a cluster-wide lock from its commit until its flush), and coalesced:
 * at most one in flight, and the calls that come while it is in flight make one more after it,
 * so a burst of commits costs two statements, not one each.
 */
export class CoalescedNotify {
  private inFlight: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly options: { db: Queryable; channel: string; payload: string; logger: Logger },
  ) {}

  send(): void {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = this.flush();
  }

  /** Resolves once nothing is in flight (for a clean stop). */
  async settled(): Promise<void> {
    await this.inFlight;
  }

  private async flush(): Promise<void> {
    try {
      do {
        this.again = false;
        try {
          await this.options.db.query("select pg_notify($1, $2)", [
            this.options.channel,
            this.options.payload,
          ]);
        } catch (error) {
          // The leader still polls; a lost wake-up costs latency, not events.
          this.options.logger.warn({ err: error }, "could not notify the outbox relay; it will poll");
        }
      } while (this.again);
    } finally {
      this.inFlight = undefined;
    }
  }
}

import type { Queryable } from "@stocksaga/messaging";
import type { Logger } from "pino";
import { ORDER_CHANGED_CHANNEL } from "./database.js";

/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
export const MAX_NOTIFY_PAYLOAD_BYTES = 7_900;

/** Several notifications in one statement (and one transaction of its own). */
export const NOTIFY_ORDER_CHANGES = "select pg_notify($1::text, p) from unnest($2::text[]) as p";

/** The order ids joined by ",", cut into payloads of at most `maxBytes` bytes each. */
export function notificationPayloads(
  orderIds: Iterable<string>,
  maxBytes: number = MAX_NOTIFY_PAYLOAD_BYTES,
): string[] {
  const payloads: string[] = [];
  let current = "";
  for (const orderId of orderIds) {
    const next = current === "" ? orderId : `${current},${orderId}`;
    if (Buffer.byteLength(next) <= maxBytes || current === "") {
      current = next;
    } else {
      payloads.push(current);
      current = orderId;
    }
  }
  if (current !== "") payloads.push(current);
  return payloads;
}

/**
 * Tells every instance's live streams (and the benchmark's commit clock) which orders changed, once
 * their transaction has committed: a notifying transaction holds a cluster-wide lock from its
 * commit until its flush, so business transactions send none. Changes committed while a
 * notification is on its way go together in the next one. A notification that fails is logged and
 * dropped: listeners catch up when they reconnect, and a live stream re-reads on its keep-alive.
 */
export class OrderChangeNotifier {
  private readonly pending = new Set<string>();
  private sending: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Pick<Logger, "warn">,
  ) {}

  /** Never waits and never throws: the caller's transaction has committed whatever happens here. */
  announce(orderIds: Iterable<string>): void {
    for (const orderId of orderIds) this.pending.add(orderId);
    if (this.pending.size > 0 && !this.running) {
      this.running = true;
      this.sending = this.send();
    }
  }

  /** Resolves once everything announced so far has been sent (or given up). */
  async settled(): Promise<void> {
    while (this.running) await this.sending;
  }

  private async send(): Promise<void> {
    try {
      while (this.pending.size > 0) {
        const payloads = notificationPayloads(this.pending);
        this.pending.clear();
        try {
          await this.db.query(NOTIFY_ORDER_CHANGES, [ORDER_CHANGED_CHANNEL, payloads]);
        } catch (error) {
          this.logger.warn(
            { err: error, notifications: payloads.length },
            "could not announce order changes",
          );
        }
      }
    } finally {
      // Cleared in the same turn as the last look at `pending`: an announcement cannot fall between.
      this.running = false;
    }
  }
}

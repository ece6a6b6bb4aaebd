import { setTimeout as sleep } from "node:timers/promises";
import type { FleetClient } from "./client.js";
import type { Random } from "./random.js";

export type Fulfilment = "PARTIAL" | "ALL_OR_NOTHING";
const FINAL = new Set(["CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"]);

export interface LoadOptions {
  ratePerSecond: number;
  maxInFlight: number;
  skus: readonly string[];
  customers: readonly string[];
  admin: string;
  restock: { everyMs: number; units: number; shrinkShare: number };
  cancelRightAwayShare: number;
  cancelAfterConfirmationShare: number;
}

export interface CancelAttempt {
  when: "right-away" | "after-confirmation";
  /** HTTP status of the cancellation (202 cancelled now, 200 already, 409 rejected), or why there was none. */
  outcome: number | "unanswered" | "not-confirmed" | "never-final" | "load-stopped";
}

export interface PlacedOrder {
  idempotencyKey: string;
  customer: string;
  fulfilment: Fulfilment;
  lines: { sku: string; quantity: number }[];
  /** Set once the service accepted it (202). */
  orderId?: string;
  outcome: "pending-request" | "accepted" | "refused" | "unanswered";
  detail?: string;
  attempts: number;
  cancel?: CancelAttempt;
}

export interface Adjustment {
  sku: string;
  delta: number;
  reason: string;
  /** 200 applied, 409 refused (below reserved), or unknown: the instance died with it. */
  outcome: number | "ambiguous";
}

interface OrderBody {
  orderId: string;
  status: string;
}

/**
 * Orders at a steady rate against a few SKUs with limited stock, restocked by an admin as it
 * goes; some orders are cancelled right after they are placed, some once they are confirmed.
 */
export class LoadDriver {
  readonly orders: PlacedOrder[] = [];
  readonly adjustments: Adjustment[] = [];
  /** Ticks that found `maxInFlight` requests still open: the system was slower than the rate. */
  throttledTicks = 0;
  startedAt = 0;
  stoppedAt = 0;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly client: FleetClient,
    private readonly random: Random,
    private readonly options: LoadOptions,
  ) {}

  get accepted(): number {
    return this.orders.filter((order) => order.outcome === "accepted").length;
  }

  start(): void {
    this.startedAt = Date.now();
    this.loops = [this.orderLoop(), this.restockLoop()];
  }

  /** Stops placing orders and waits for every request in flight (and each follow-up) to finish. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.loops);
    this.stoppedAt = Date.now();
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private launch(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async orderLoop(): Promise<void> {
    const intervalMs = 1_000 / this.options.ratePerSecond;
    let next = performance.now();
    let sequence = 0;
    while (!this.stopping) {
      if (this.inFlight.size < this.options.maxInFlight) this.launch(this.placeOne(sequence++));
      else this.throttledTicks++;
      next += intervalMs;
      await sleep(Math.max(0, next - performance.now()));
    }
  }

  private async restockLoop(): Promise<void> {
    const { everyMs, units, shrinkShare } = this.options.restock;
    let sequence = 0;
    while (!this.stopping) {
      await sleep(everyMs);
      if (this.stopping) break;
      const sku = this.random.pick(this.options.skus);
      const shrink = this.random.chance(shrinkShare);
      const delta = shrink ? -Math.max(1, Math.floor(units / 3)) : units;
      this.launch(this.adjust(sku, delta, `${shrink ? "shrink" : "restock"}-${sequence++}-${Date.now()}`));
    }
  }

  private async adjust(sku: string, delta: number, reason: string): Promise<void> {
    const adjustment: Adjustment = { sku, delta, reason, outcome: "ambiguous" };
    this.adjustments.push(adjustment);
    // Not idempotent: an adjustment without an answer is not sent again.
    const answer = await this.client.request("inventory", "POST", `/products/${sku}/adjustments`, {
      as: this.options.admin,
      admin: true,
      body: { delta, reason },
      repeatable: false,
    });
    adjustment.outcome = answer.status === "unanswered" ? "ambiguous" : answer.status;
  }

  private async placeOne(sequence: number): Promise<void> {
    const lineCount = this.random.pick([1, 1, 2, 2, 2, 3, 3, 4]);
    const order: PlacedOrder = {
      idempotencyKey: `load-${sequence}-${this.random.int(0, 1e9)}`,
      customer: this.random.pick(this.options.customers),
      fulfilment: this.random.chance(0.5) ? "PARTIAL" : "ALL_OR_NOTHING",
      lines: this.random
        .sample(this.options.skus, lineCount)
        .map((sku) => ({ sku, quantity: this.random.int(1, 5) })),
      outcome: "pending-request",
      attempts: 0,
    };
    this.orders.push(order);
    const answer = await this.client.request<OrderBody>("order", "POST", "/orders", {
      as: order.customer,
      body: { items: order.lines, fulfilment: order.fulfilment },
      headers: { "idempotency-key": order.idempotencyKey },
      repeatable: true,
    });
    if (answer.status === "unanswered") {
      order.outcome = "unanswered";
      order.detail = answer.reason;
      return;
    }
    order.attempts = answer.attempts;
    if (answer.status !== 202) {
      order.outcome = "refused";
      order.detail = `${answer.status} ${JSON.stringify(answer.body)}`;
      return;
    }
    order.outcome = "accepted";
    order.orderId = answer.body.orderId;
    const roll = this.random.next();
    if (roll < this.options.cancelRightAwayShare) {
      order.cancel = { when: "right-away", outcome: await this.cancel(order) };
    } else if (roll < this.options.cancelRightAwayShare + this.options.cancelAfterConfirmationShare) {
      order.cancel = { when: "after-confirmation", outcome: await this.cancelOnceConfirmed(order) };
    }
  }

  private async cancel(order: PlacedOrder): Promise<number | "unanswered"> {
    const answer = await this.client.request("order", "POST", `/orders/${order.orderId}/cancel`, {
      as: order.customer,
      repeatable: true,
    });
    return answer.status;
  }

  /** Waits (on the order's progress) until it is decided, and cancels it if it was confirmed or adjusted. */
  private async cancelOnceConfirmed(order: PlacedOrder): Promise<CancelAttempt["outcome"]> {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await sleep(500);
      if (this.stopping) return "load-stopped";
      const answer = await this.client.request<OrderBody>("order", "GET", `/orders/${order.orderId}`, {
        as: order.customer,
        repeatable: true,
      });
      if (answer.status === "unanswered") return "unanswered";
      if (!FINAL.has(answer.body.status)) continue;
      if (answer.body.status !== "CONFIRMED" && answer.body.status !== "ADJUSTED") return "not-confirmed";
      return this.cancel(order);
    }
    return "never-final";
  }
}

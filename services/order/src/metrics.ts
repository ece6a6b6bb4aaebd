import { type BacklogSignal, Counter, Gauge, Histogram, type Registry } from "@stocksaga/platform";
import type { OrderChange } from "./application/orders.js";

/** Seconds from placing an order to its first final status: milliseconds when stock answers, the decision timeout when not. */
const SAGA_DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * The order service's own series, fed from committed changes:
 * `stocksaga_saga_decisions_total{outcome, reason}` counts each decision event (CONFIRMED,
 * ADJUSTED, REJECTED with its reason, CANCELLED), later corrections included; and
 * `stocksaga_saga_duration_seconds{outcome}` observes, once per order, the time from its
 * placement to the first status that is not PENDING.
 */
export function sagaMetrics(registry: Registry): (change: OrderChange) => void {
  const decisions = new Counter({
    name: "stocksaga_saga_decisions_total",
    help: "Saga decisions by outcome (CONFIRMED, ADJUSTED, REJECTED with reason, CANCELLED).",
    labelNames: ["outcome", "reason"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "stocksaga_saga_duration_seconds",
    help: "Time from an order's creation to its first final status, by that status.",
    labelNames: ["outcome"] as const,
    buckets: SAGA_DURATION_BUCKETS,
    registers: [registry],
  });
  return ({ before, after, events }) => {
    for (const event of events) {
      switch (event.type) {
        case "OrderConfirmed":
          decisions.inc({ outcome: "CONFIRMED" });
          break;
        case "OrderAdjusted":
          decisions.inc({ outcome: "ADJUSTED" });
          break;
        case "OrderRejected":
          decisions.inc({ outcome: "REJECTED", reason: event.reason });
          break;
        case "OrderCancelled":
          decisions.inc({ outcome: "CANCELLED" });
          break;
        case "OrderPlaced":
        case "LineReserved":
        case "LineRejected":
          break;
        default:
          return unreachable(event);
      }
    }
    if (before.status === "PENDING" && after.status !== "PENDING") {
      duration.observe(
        { outcome: after.status },
        Math.max(0, after.updatedAt.getTime() - after.placedAt.getTime()) / 1000,
      );
    }
  };
}

/**
 * Admission control's series: `stocksaga_admission_refusals_total{signal}` counts placements
 * refused with 503 by the signal past its limit, and `stocksaga_admission_backlog{signal}` is each
 * signal's latest measure (its limit in `stocksaga_admission_limit{signal}`).
 */
export function admissionMetrics(
  registry: Registry,
  latest: () => readonly BacklogSignal[],
): { refused: (signal: string) => void } {
  const refusals = new Counter({
    name: "stocksaga_admission_refusals_total",
    help: "Order placements refused with 503 by admission control, by the signal past its limit.",
    labelNames: ["signal"] as const,
    registers: [registry],
  });
  const gauge = (name: string, help: string, read: (signal: BacklogSignal) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["signal"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const signal of latest()) this.set({ signal: signal.name }, read(signal));
      },
    });
  gauge("stocksaga_admission_backlog", "Latest measure of each admission control signal.", (s) => s.value);
  gauge("stocksaga_admission_limit", "Limit of each admission control signal (0: none).", (s) => s.limit);
  return { refused: (signal) => refusals.inc({ signal }) };
}

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

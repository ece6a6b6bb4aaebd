import { Counter, Histogram, type Registry } from "@stocksaga/platform";
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

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

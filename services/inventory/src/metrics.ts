import { Counter, type Registry } from "@stocksaga/platform";
import type { InventoryEvent } from "./domain/index.js";

/**
 * The inventory's own series, fed from committed transactions:
 * `stocksaga_stock_line_answers_total{outcome, reason}` — each order line answered RESERVED (in
 * full), PARTIAL, or REJECTED with its reason; and `stocksaga_stock_units_total{movement}` — units
 * reserved, committed, released (back to available or, when committed, on hand) and expired.
 */
export function inventoryMetrics(registry: Registry): (events: readonly InventoryEvent[]) => void {
  const answers = new Counter({
    name: "stocksaga_stock_line_answers_total",
    help: "Order lines answered, by outcome (RESERVED, PARTIAL, REJECTED) and rejection reason.",
    labelNames: ["outcome", "reason"] as const,
    registers: [registry],
  });
  const units = new Counter({
    name: "stocksaga_stock_units_total",
    help: "Units moved by the saga: reserved, committed, released, expired.",
    labelNames: ["movement"] as const,
    registers: [registry],
  });
  return (events) => {
    for (const event of events) {
      switch (event.type) {
        case "StockReserved":
          answers.inc({ outcome: event.reservedQuantity < event.requestedQuantity ? "PARTIAL" : "RESERVED" });
          units.inc({ movement: "reserved" }, event.reservedQuantity);
          break;
        case "StockRejected":
          answers.inc({ outcome: "REJECTED", reason: event.reason });
          break;
        case "StockCommitted":
          units.inc({ movement: "committed" }, sum(event.lines.map((line) => line.committedQuantity)));
          break;
        case "StockReleased":
          units.inc({ movement: "released" }, sum(event.lines.map((line) => line.quantity)));
          break;
        case "ReservationExpired":
          units.inc({ movement: "expired" }, event.quantity);
          break;
        case "ProductCreated":
        case "StockAdjusted":
        case "ProductOutOfStock":
        case "OrderRequestRecorded":
        case "UnseenOrderReleased":
          break;
        default:
          return unreachable(event);
      }
    }
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

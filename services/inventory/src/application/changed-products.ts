import type { InventoryEvent } from "../domain/index.js";

/** The SKUs whose stock (or existence) the events changed: what live catalogue streams re-read. */
export function changedSkus(events: readonly InventoryEvent[]): Set<string> {
  const skus = new Set<string>();
  for (const event of events) {
    switch (event.type) {
      case "ProductCreated":
      case "StockAdjusted":
      case "ProductOutOfStock":
      case "StockReserved":
      case "ReservationExpired":
        skus.add(event.sku);
        break;
      case "StockCommitted":
      case "StockReleased":
        for (const line of event.lines) skus.add(line.sku);
        break;
      case "StockRejected":
      case "OrderRequestRecorded":
      case "UnseenOrderReleased":
        break;
      default: {
        const unknown: never = event;
        throw new Error(`unknown event ${JSON.stringify(unknown)}`);
      }
    }
  }
  return skus;
}

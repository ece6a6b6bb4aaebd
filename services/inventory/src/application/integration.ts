import type { IntegrationEvent } from "@stocksaga/contracts";
import { type Causation, eventMetadata } from "@stocksaga/messaging";
import type { InventoryEvent } from "../domain/index.js";

export const PRODUCER = "inventory-service";

/**
 * Domain events become integration events here and nowhere else. The inventory's own records
 * (an order request taken in, a product created) stay internal: nothing is published for them.
 */
export function toIntegrationEvents(events: readonly InventoryEvent[], cause: Causation): IntegrationEvent[] {
  const metadataFor = eventMetadata(PRODUCER, cause);
  return events.flatMap((event): IntegrationEvent[] => {
    switch (event.type) {
      case "StockReserved":
        return [
          {
            type: "StockReserved",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            lineCount: event.lineCount,
            sku: event.sku,
            requestedQuantity: event.requestedQuantity,
            reservedQuantity: event.reservedQuantity,
            reservationId: event.reservationId,
            expiresAt: event.expiresAt.getTime(),
          },
        ];
      case "StockRejected":
        return [
          {
            type: "StockRejected",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            lineCount: event.lineCount,
            sku: event.sku,
            requestedQuantity: event.requestedQuantity,
            reason: event.reason,
            availableQuantity: event.availableQuantity,
          },
        ];
      case "StockCommitted":
        return [
          {
            type: "StockCommitted",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            lines: event.lines.map(({ reservationId, sku, committedQuantity }) => ({
              reservationId,
              sku,
              committedQuantity,
            })),
          },
        ];
      case "StockReleased":
        return [
          {
            type: "StockReleased",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            reason: event.reason,
            lines: event.lines.map(({ reservationId, sku, quantity, wasCommitted }) => ({
              reservationId,
              sku,
              quantity,
              wasCommitted,
            })),
          },
        ];
      case "ReservationExpired":
        return [
          {
            type: "ReservationExpired",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            reservationId: event.reservationId,
            sku: event.sku,
            quantity: event.quantity,
          },
        ];
      case "StockAdjusted":
        return [
          {
            type: "StockAdjusted",
            metadata: metadataFor(event.sku, event.at),
            sku: event.sku,
            delta: event.delta,
            reason: event.reason,
            onHand: event.onHand,
            reserved: event.reserved,
            available: event.available,
          },
        ];
      case "ProductOutOfStock":
        return [
          {
            type: "ProductOutOfStock",
            metadata: metadataFor(event.sku, event.at),
            sku: event.sku,
            onHand: event.onHand,
            reserved: event.reserved,
          },
        ];
      case "OrderRequestRecorded":
      case "UnseenOrderReleased":
      case "ProductCreated":
        return [];
      default:
        return unreachable(event);
    }
  });
}

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

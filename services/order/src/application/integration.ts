import type { IntegrationEvent } from "@stocksaga/contracts";
import { type Causation, eventMetadata } from "@stocksaga/messaging";
import type { OrderEvent } from "../domain/index.js";

export const PRODUCER = "order-service";

/**
 * Domain events become integration events here and nowhere else. Line-level answers stay
 * internal: the inventory already knows them, so nothing is published for them.
 */
export function toIntegrationEvents(events: readonly OrderEvent[], cause: Causation): IntegrationEvent[] {
  const metadataFor = eventMetadata(PRODUCER, cause);
  return events.flatMap((event): IntegrationEvent[] => {
    switch (event.type) {
      case "OrderPlaced":
        return [
          {
            type: "OrderRequested",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            customerId: event.customerId,
            fulfilment: event.fulfilment,
            lines: event.lines.map(({ sku, quantity }) => ({ sku, quantity })),
          },
        ];
      case "OrderConfirmed":
        return [
          {
            type: "OrderConfirmed",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            lines: event.lines.map(({ sku, quantity }) => ({ sku, quantity })),
          },
        ];
      case "OrderAdjusted":
        return [
          {
            type: "OrderAdjusted",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            lines: event.lines.map(({ sku, requestedQuantity, confirmedQuantity }) => ({
              sku,
              requestedQuantity,
              confirmedQuantity,
            })),
          },
        ];
      case "OrderRejected":
        return [
          {
            type: "OrderRejected",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            reason: event.reason,
            detail: event.detail,
          },
        ];
      case "OrderCancelled":
        return [
          {
            type: "OrderCancelled",
            metadata: metadataFor(event.orderId, event.at),
            orderId: event.orderId,
            reason: event.reason,
            cancelledBy: event.cancelledBy,
          },
        ];
      case "LineReserved":
      case "LineRejected":
        return [];
      default:
        return unreachable(event);
    }
  });
}

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

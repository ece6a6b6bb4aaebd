import { randomUUID } from "node:crypto";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { childSpan, formatTraceparent, parseTraceparent } from "@stocksaga/platform";
import type { OrderEvent } from "../domain/index.js";

export const PRODUCER = "order-service";

export interface Causation {
  /** The event this change reacts to; null when a person or the clock started it. */
  causationId: string | null;
  traceparent: string | null;
}

/**
 * A reaction to `received`: its events name it as their cause and carry a child span of its
 * trace (a new trace when it carried none), so one order's saga stays one trace across services.
 */
export function causedBy(received: IntegrationEvent): Causation {
  return {
    causationId: received.metadata.eventId,
    traceparent: formatTraceparent(childSpan(parseTraceparent(received.metadata.traceparent))),
  };
}

/** A change the clock started (a sweeper): no cause, the root span of a new trace. */
export function startedByClock(): Causation {
  return { causationId: null, traceparent: formatTraceparent(childSpan()) };
}

/**
 * Domain events become integration events here and nowhere else. Line-level answers stay
 * internal: the inventory already knows them, so nothing is published for them.
 */
export function toIntegrationEvents(events: readonly OrderEvent[], cause: Causation): IntegrationEvent[] {
  const metadataFor = (orderId: string, at: Date) => ({
    eventId: randomUUID(),
    occurredAt: at.getTime(),
    correlationId: orderId,
    causationId: cause.causationId,
    producer: PRODUCER,
    traceparent: cause.traceparent,
  });
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

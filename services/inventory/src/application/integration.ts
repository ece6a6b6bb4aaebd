import type { AnsweredLine, IntegrationEvent, StockRequestAnswered } from "@stocksaga/contracts";
import { type Causation, eventMetadata } from "@stocksaga/messaging";
import type { InventoryEvent, StockRejected, StockReserved } from "../domain/index.js";

export const PRODUCER = "inventory-service";

/**
 * How the answer to an order request is published: `per-request`, one `StockRequestAnswered`
 * with every line; `per-line`, one `StockReserved` or `StockRejected` per line, for order services
 * that do not read `StockRequestAnswered` yet.
 */
export type StockAnswers = "per-request" | "per-line";

/**
 * Domain events become integration events here and nowhere else. The inventory's own records
 * (an order request taken in, a product created) stay internal: nothing is published for them.
 * The domain answers each line of a request on its own; unless `answers` is `per-line`, the
 * answers to one order's lines leave as one `StockRequestAnswered`, where its first line was.
 */
export function toIntegrationEvents(
  events: readonly InventoryEvent[],
  cause: Causation,
  answers: StockAnswers = "per-request",
): IntegrationEvent[] {
  const metadataFor = eventMetadata(PRODUCER, cause);
  const requests = new Map<string, AnsweredLine[]>();
  const answerOf = (event: StockReserved | StockRejected): IntegrationEvent[] => {
    const lines = requests.get(event.orderId);
    if (lines) {
      lines.push(answeredLine(event));
      return [];
    }
    const first = [answeredLine(event)];
    requests.set(event.orderId, first);
    const answer: StockRequestAnswered = {
      type: "StockRequestAnswered",
      metadata: metadataFor(event.orderId, event.at),
      orderId: event.orderId,
      lines: first,
    };
    return [answer];
  };
  return events.flatMap((event): IntegrationEvent[] => {
    switch (event.type) {
      case "StockReserved":
        if (answers === "per-request") return answerOf(event);
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
        if (answers === "per-request") return answerOf(event);
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

function answeredLine(event: StockReserved | StockRejected): AnsweredLine {
  const { sku, requestedQuantity, availableQuantity } = event;
  if (event.type === "StockReserved") {
    return {
      sku,
      requestedQuantity,
      reservedQuantity: event.reservedQuantity,
      reservationId: event.reservationId,
      expiresAt: event.expiresAt.getTime(),
      reason: null,
      availableQuantity,
    };
  }
  return {
    sku,
    requestedQuantity,
    reservedQuantity: 0,
    reservationId: null,
    expiresAt: null,
    reason: event.reason,
    availableQuantity,
  };
}

function unreachable(value: never): never {
  throw new Error(`unhandled domain event ${JSON.stringify(value)}`);
}

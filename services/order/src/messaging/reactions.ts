import type { IntegrationEvent } from "@stocksaga/contracts";
import { type ConsumedMessage, InvalidEventError } from "@stocksaga/messaging";
import type { OrderApplication } from "../application/orders.js";
import { InconsistentStockMessage, type OrderCommand, OrderNotFound } from "../domain/index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reservation ids are stored as uuid: anything else would fail in the database, which the
 * consumer retries without end, so it is refused here and dead-lettered instead. Lower case
 * is what the database gives back, so an id compares equal to the one a line holds.
 */
function reservationIdOf(event: { type: string; orderId: string }, reservationId: string): string {
  if (!UUID.test(reservationId)) {
    throw new InvalidEventError(
      "INVALID_RESERVATION_ID",
      `${event.type} for ${event.orderId.slice(0, 64)} names reservation ${reservationId.slice(0, 64)}, not a UUID`,
    );
  }
  return reservationId.toLowerCase();
}

/**
 * Each inventory event becomes one local command, nothing more; `now` is when the order service
 * acts on it. Returns undefined for events that need no decision (still recorded in the history).
 */
export function commandFor(
  event: IntegrationEvent,
  now: Date,
): { orderId: string; command: OrderCommand | undefined } {
  switch (event.type) {
    case "StockReserved":
      return {
        orderId: event.orderId,
        command: {
          type: "RecordStockReserved",
          orderId: event.orderId,
          lineCount: event.lineCount,
          sku: event.sku,
          requestedQuantity: event.requestedQuantity,
          reservedQuantity: event.reservedQuantity,
          reservationId: reservationIdOf(event, event.reservationId),
          now,
        },
      };
    case "StockRejected":
      if (event.reason === "UNSPECIFIED") {
        throw new InvalidEventError(
          "UNKNOWN_REASON",
          `StockRejected for ${event.orderId} has a reason this build does not know`,
        );
      }
      return {
        orderId: event.orderId,
        command: {
          type: "RecordStockRejected",
          orderId: event.orderId,
          lineCount: event.lineCount,
          sku: event.sku,
          requestedQuantity: event.requestedQuantity,
          reason: event.reason,
          availableQuantity: event.availableQuantity,
          now,
        },
      };
    case "StockCommitted":
      return {
        orderId: event.orderId,
        command: {
          type: "RecordStockCommitted",
          orderId: event.orderId,
          lines: event.lines.map((line) => ({
            ...line,
            reservationId: reservationIdOf(event, line.reservationId),
          })),
          now,
        },
      };
    case "ReservationExpired":
      return {
        orderId: event.orderId,
        command: {
          type: "RecordReservationExpired",
          orderId: event.orderId,
          reservationId: reservationIdOf(event, event.reservationId),
          sku: event.sku,
          quantity: event.quantity,
          now,
        },
      };
    case "StockReleased":
      return { orderId: event.orderId, command: undefined };
    default:
      throw new InvalidEventError("UNEXPECTED_EVENT", `the order service does not consume ${event.type}`);
  }
}

export function orderReactions(
  orders: OrderApplication,
  consumer: string,
  clock: () => Date = () => new Date(),
) {
  return async (message: ConsumedMessage<IntegrationEvent>): Promise<void> => {
    const { orderId, command } = commandFor(message.event, clock());
    if (!UUID.test(orderId))
      throw new InvalidEventError("INVALID_ORDER_ID", `order id ${orderId.slice(0, 64)} is not a UUID`);
    try {
      await orders.react(orderId.toLowerCase(), command, {
        event: message.event,
        consumer,
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
      });
    } catch (error) {
      if (error instanceof OrderNotFound) {
        throw new InvalidEventError("UNKNOWN_ORDER", `no order ${orderId} exists`);
      }
      if (error instanceof InconsistentStockMessage) {
        throw new InvalidEventError("INCONSISTENT_CONTENT", error.message);
      }
      throw error;
    }
  };
}

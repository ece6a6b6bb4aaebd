import type { IntegrationEvent } from "@stocksaga/contracts";
import {
  type BatchHandler,
  type ConsumedMessage,
  InvalidEventError,
  reactToBatch,
  receivedBy,
} from "@stocksaga/messaging";
import type { OrderApplication, Reaction, Refusal } from "../application/orders.js";
import { type OrderCommand, OrderNotFound, type StockRejectionReason } from "../domain/index.js";

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

/** A rejection reason this build knows; UNSPECIFIED (a newer producer's) is refused, not guessed. */
function knownReason(
  event: { type: string; orderId: string },
  reason: StockRejectionReason | "UNSPECIFIED",
): StockRejectionReason {
  if (reason === "UNSPECIFIED") {
    throw new InvalidEventError(
      "UNKNOWN_REASON",
      `${event.type} for ${event.orderId} has a reason this build does not know`,
    );
  }
  return reason;
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
      return {
        orderId: event.orderId,
        command: {
          type: "RecordStockRejected",
          orderId: event.orderId,
          lineCount: event.lineCount,
          sku: event.sku,
          requestedQuantity: event.requestedQuantity,
          reason: knownReason(event, event.reason),
          availableQuantity: event.availableQuantity,
          now,
        },
      };
    case "StockRequestAnswered":
      return {
        orderId: event.orderId,
        command: {
          type: "RecordStockRequestAnswered",
          orderId: event.orderId,
          lines: event.lines.map((line) => ({
            sku: line.sku,
            requestedQuantity: line.requestedQuantity,
            reservedQuantity: line.reservedQuantity,
            reservationId: line.reservationId === null ? null : reservationIdOf(event, line.reservationId),
            reason: line.reason === null ? null : knownReason(event, line.reason),
            availableQuantity: line.availableQuantity,
          })),
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

/** The one mapping from what the domain refused to why the message is dead-lettered. */
function invalidEvent(refusal: Refusal, orderId: string): InvalidEventError {
  if (refusal instanceof OrderNotFound)
    return new InvalidEventError("UNKNOWN_ORDER", `no order ${orderId} exists`);
  return new InvalidEventError("INCONSISTENT_CONTENT", refusal.message);
}

/** The command and the bookkeeping of one consumed inventory event; throws InvalidEventError for impossible content. */
function reactionTo(message: ConsumedMessage<IntegrationEvent>, consumer: string, now: Date): Reaction {
  const { eventId } = message.event.metadata;
  if (!UUID.test(eventId)) {
    throw new InvalidEventError("INVALID_EVENT_ID", `event id ${eventId.slice(0, 64)} is not a UUID`);
  }
  const { orderId, command } = commandFor(message.event, now);
  if (!UUID.test(orderId))
    throw new InvalidEventError("INVALID_ORDER_ID", `order id ${orderId.slice(0, 64)} is not a UUID`);
  return {
    orderId: orderId.toLowerCase(),
    command,
    received: receivedBy(consumer, message),
  };
}

/**
 * Inventory events of one partition become commands on their orders, applied in one transaction;
 * what the domain refuses comes back as an InvalidEventError (a dead letter).
 */
export function orderReactions(
  orders: Pick<OrderApplication, "reactAll">,
  consumer: string,
  clock: () => Date = () => new Date(),
): BatchHandler<IntegrationEvent> {
  return async (messages) => {
    const now = clock();
    return reactToBatch(messages, {
      reactionTo: (message) => reactionTo(message, consumer, now),
      applyAll: (reactions) => orders.reactAll(reactions),
      invalid: (refusal, reaction) => invalidEvent(refusal, reaction.orderId),
    });
  };
}

import type {
  IntegrationEvent,
  OrderAdjusted,
  OrderCancelled,
  OrderConfirmed,
  OrderRejected,
  OrderRequested,
} from "@stocksaga/contracts";
import {
  type BatchHandler,
  type ConsumedMessage,
  InvalidEventError,
  reactToBatch,
  receivedBy,
} from "@stocksaga/messaging";
import type { InventoryApplication, OrderReaction, Reaction, Refusal } from "../application/inventory.js";
import {
  type CommitReservations,
  type ReleaseReservations,
  type ReserveStock,
  UnknownOrderRequest,
} from "../domain/index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ReactionContext {
  reservationTtlMs: number;
  /** A fresh id for each line that may get a reservation. */
  newReservationId: () => string;
  /**
   * When the inventory acts: the moment it processes the event, not when the event was written —
   * a reservation made late still holds for its whole TTL, and answers say when they were decided.
   */
  now: () => Date;
}

/** Order ids are UUIDs in canonical lower case: the form the inventory stores and compares. */
function orderIdOf(event: { orderId: string }): string {
  if (!UUID.test(event.orderId)) {
    throw new InvalidEventError("INVALID_ORDER_ID", `order id ${event.orderId.slice(0, 64)} is not a UUID`);
  }
  return event.orderId.toLowerCase();
}

export function onOrderRequested(event: OrderRequested, context: ReactionContext): ReserveStock {
  if (event.fulfilment === "UNSPECIFIED") {
    throw new InvalidEventError(
      "UNKNOWN_FULFILMENT",
      `OrderRequested ${event.orderId.slice(0, 64)} has a fulfilment policy this build does not know`,
    );
  }
  return {
    type: "ReserveStock",
    orderId: orderIdOf(event),
    customerId: event.customerId,
    fulfilment: event.fulfilment,
    lines: event.lines.map((line) => ({
      sku: line.sku,
      quantity: line.quantity,
      reservationId: context.newReservationId(),
    })),
    now: context.now(),
    reservationTtlMs: context.reservationTtlMs,
  };
}

export function onOrderConfirmed(event: OrderConfirmed, context: ReactionContext): CommitReservations {
  return {
    type: "CommitReservations",
    orderId: orderIdOf(event),
    lines: event.lines.map(({ sku, quantity }) => ({ sku, quantity })),
    now: context.now(),
  };
}

export function onOrderAdjusted(event: OrderAdjusted, context: ReactionContext): CommitReservations {
  return {
    type: "CommitReservations",
    orderId: orderIdOf(event),
    lines: event.lines.map(({ sku, confirmedQuantity }) => ({ sku, quantity: confirmedQuantity })),
    now: context.now(),
  };
}

export function onOrderRejected(event: OrderRejected, context: ReactionContext): ReleaseReservations {
  return {
    type: "ReleaseReservations",
    orderId: orderIdOf(event),
    reason: "ORDER_REJECTED",
    now: context.now(),
  };
}

export function onOrderCancelled(event: OrderCancelled, context: ReactionContext): ReleaseReservations {
  return {
    type: "ReleaseReservations",
    orderId: orderIdOf(event),
    reason: "ORDER_CANCELLED",
    now: context.now(),
  };
}

/** Each order event becomes one local command, nothing more; the time of acting comes in with the context. */
export function commandFor(event: IntegrationEvent, context: ReactionContext): OrderReaction {
  switch (event.type) {
    case "OrderRequested":
      return onOrderRequested(event, context);
    case "OrderConfirmed":
      return onOrderConfirmed(event, context);
    case "OrderAdjusted":
      return onOrderAdjusted(event, context);
    case "OrderRejected":
      return onOrderRejected(event, context);
    case "OrderCancelled":
      return onOrderCancelled(event, context);
    default:
      throw new InvalidEventError("UNEXPECTED_EVENT", `the inventory service does not consume ${event.type}`);
  }
}

/** The one mapping from what the domain refused to why the message is dead-lettered. */
function invalidEvent(refusal: Refusal, orderId: string): InvalidEventError {
  if (refusal instanceof UnknownOrderRequest) {
    return new InvalidEventError("UNKNOWN_ORDER_REQUEST", `no order request ${orderId} exists`);
  }
  return new InvalidEventError("INCONSISTENT_CONTENT", refusal.message);
}

/** The command and the bookkeeping of one consumed order event; throws InvalidEventError for impossible content. */
function reactionTo(
  message: ConsumedMessage<IntegrationEvent>,
  consumer: string,
  context: ReactionContext,
): Reaction {
  const { eventId } = message.event.metadata;
  if (!UUID.test(eventId)) {
    throw new InvalidEventError("INVALID_EVENT_ID", `event id ${eventId.slice(0, 64)} is not a UUID`);
  }
  return {
    command: commandFor(message.event, context),
    received: receivedBy(consumer, message),
  };
}

/**
 * Order events of one partition become commands, applied in one transaction; what the domain
 * refuses comes back as an InvalidEventError (a dead letter).
 */
export function inventoryReactions(
  inventory: Pick<InventoryApplication, "reactAll">,
  consumer: string,
  context: ReactionContext,
): BatchHandler<IntegrationEvent> {
  return async (messages) =>
    reactToBatch(messages, {
      reactionTo: (message) => reactionTo(message, consumer, context),
      applyAll: (reactions) => inventory.reactAll(reactions),
      invalid: (refusal, reaction) => invalidEvent(refusal, reaction.command.orderId),
    });
}

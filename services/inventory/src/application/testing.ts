import { randomUUID } from "node:crypto";
import {
  type IntegrationEvent,
  keyFor,
  type OrderCancelled,
  type OrderConfirmed,
  type OrderRejected,
  type OrderRequested,
  topicFor,
} from "@stocksaga/contracts";
import type { OutboxEntry } from "@stocksaga/messaging";
import { commandFor, type ReactionContext } from "../messaging/reactions.js";
import type { Reaction } from "./inventory.js";

/** Test support: order events as the order service writes them, and the reactions they become. */

export const CONSUMER = "inventory-service";
export const TTL_MS = 60_000;

export function route(event: IntegrationEvent): { topic: string; key: string } {
  return { topic: topicFor(event.type), key: keyFor(event) };
}

function metadata(orderId: string) {
  return {
    eventId: randomUUID(),
    occurredAt: Date.UTC(2030, 0, 1, 10),
    correlationId: orderId,
    causationId: null,
    producer: "order-service",
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
}

export function orderRequested(
  lines: readonly (readonly [string, number])[],
  {
    orderId = randomUUID() as string,
    fulfilment = "PARTIAL" as OrderRequested["fulfilment"],
  }: { orderId?: string; fulfilment?: OrderRequested["fulfilment"] } = {},
): OrderRequested {
  return {
    type: "OrderRequested",
    metadata: metadata(orderId),
    orderId,
    customerId: "customer-1",
    fulfilment,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  };
}

export function orderConfirmed(
  orderId: string,
  lines: readonly (readonly [string, number])[],
): OrderConfirmed {
  return {
    type: "OrderConfirmed",
    metadata: metadata(orderId),
    orderId,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
  };
}

export function orderRejected(orderId: string): OrderRejected {
  return {
    type: "OrderRejected",
    metadata: metadata(orderId),
    orderId,
    reason: "SHORTFALL_NOT_ALLOWED",
    detail: null,
  };
}

export function orderCancelled(orderId: string): OrderCancelled {
  return {
    type: "OrderCancelled",
    metadata: metadata(orderId),
    orderId,
    reason: null,
    cancelledBy: "customer-1",
  };
}

/** Turns order events into reactions as the consumer does, acting at `now()`. */
export function reacting(now: () => Date): (...events: IntegrationEvent[]) => Reaction[] {
  const context: ReactionContext = { reservationTtlMs: TTL_MS, newReservationId: randomUUID, now };
  let offset = 0;
  return (...events) =>
    events.map((event) => ({
      command: commandFor(event, context),
      received: { event, consumer: CONSUMER, topic: "order-events", partition: 0, offset: String(offset++) },
    }));
}

/** The integration events an outbox holds, in order. */
export function published(outbox: readonly OutboxEntry[]): IntegrationEvent[] {
  return outbox.map((entry) => entry.payload as IntegrationEvent);
}

import { randomUUID } from "node:crypto";
import type { EventMetadata, IntegrationEvent } from "@stocksaga/contracts";
import { childSpan, formatTraceparent, parseTraceparent } from "@stocksaga/platform";

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
 * The metadata of the events one change of `producer` publishes: each a new event id, the time
 * of its domain event, the flow it belongs to (the order id; the SKU for stock events), and the
 * change's cause.
 */
export function eventMetadata(
  producer: string,
  cause: Causation,
): (correlationId: string, at: Date) => EventMetadata {
  return (correlationId, at) => ({
    eventId: randomUUID(),
    occurredAt: at.getTime(),
    correlationId,
    causationId: cause.causationId,
    producer,
    traceparent: cause.traceparent,
  });
}

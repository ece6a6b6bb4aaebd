import { randomUUID } from "node:crypto";
import type { Attributes, Span } from "@opentelemetry/api";
import type { EventMetadata, IntegrationEvent } from "@stocksaga/contracts";
import { traceparentOf, traceparentOrNew, tracer } from "@stocksaga/platform";

export interface Causation {
  /** The event this change reacts to; null when a person or the clock started it. */
  causationId: string | null;
  traceparent: string | null;
}

/** The CONSUMER span under which a consumed event is being handled (see `traceConsumption`). */
const handlingSpans = new WeakMap<object, Span>();

export function handledIn(event: object, span: Span): void {
  handlingSpans.set(event, span);
}

/** The span of a consumed event's handling, while it is handled and traced; undefined otherwise. */
export function handlingSpanOf(event: object): Span | undefined {
  return handlingSpans.get(event);
}

/**
 * A reaction to `received`: its events name it as their cause and carry the context of the span
 * that handles it (a child of the producer's), so one order's saga stays one trace across
 * services. Untraced, they carry the consumed event's context on (a new trace when it had none).
 */
export function causedBy(received: IntegrationEvent): Causation {
  const span = handlingSpans.get(received);
  return {
    causationId: received.metadata.eventId,
    traceparent: (span && traceparentOf(span)) ?? traceparentOrNew(received.metadata.traceparent),
  };
}

/**
 * A change the clock started (a sweeper): no cause, the root of a new trace — a span of its own,
 * `name`, when spans are recorded.
 */
export function startedByClock(name = "sweep", attributes: Attributes = {}): Causation {
  const span = tracer().startSpan(name, { root: true, attributes });
  span.end();
  return { causationId: null, traceparent: traceparentOrNew(traceparentOf(span)) };
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

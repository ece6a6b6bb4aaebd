import { isSpanContextValid } from "@opentelemetry/api";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { parseTraceparent } from "@stocksaga/platform";
import type { Logger } from "pino";
import { handlingSpanOf } from "./envelope.js";
import type { OutboxRow } from "./outbox-relay.js";

/**
 * What every log line about an event carries: the order it concerns (the SKU for stock events),
 * its trace id and its event id — so one grep for an order or a trace finds it in every service —
 * and, while a consumed event is handled in a recorded span, that span's id.
 */
export function eventLogContext(event: IntegrationEvent): Record<string, string> {
  const handling = handlingSpanOf(event)?.spanContext();
  const span = handling && isSpanContextValid(handling) ? handling : undefined;
  const trace = span ?? parseTraceparent(event.metadata.traceparent);
  return {
    ...("orderId" in event ? { orderId: event.orderId.toLowerCase() } : { sku: event.sku }),
    ...(trace ? { traceId: trace.traceId } : {}),
    ...(span ? { spanId: span.spanId } : {}),
    eventId: event.metadata.eventId,
  };
}

/**
 * At debug level only (nothing at info: the hot path writes no line per event or batch), one line
 * `published events` per batch the relay moved to Kafka and one line `published <EventType>` per
 * row with the event's log context (computed only then).
 */
export function logPublished(logger: Logger, rows: readonly OutboxRow[]): void {
  if (rows.length === 0 || !logger.isLevelEnabled("debug")) return;
  for (const row of rows) {
    logger.debug(
      { ...eventLogContext(row.payload as IntegrationEvent), topic: row.topic },
      `published ${row.eventType}`,
    );
  }
  logger.debug({ events: rows.length, fromId: rows[0]?.id, toId: rows.at(-1)?.id }, "published events");
}

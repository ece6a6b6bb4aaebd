import type { IntegrationEvent } from "@stocksaga/contracts";
import { parseTraceparent } from "@stocksaga/platform";
import type { Logger } from "pino";
import type { OutboxRow } from "./outbox-relay.js";

/**
 * What every log line about an event carries: the order it concerns (the SKU for stock events),
 * its trace id and its event id — so one grep for an order or a trace finds it in every service.
 */
export function eventLogContext(event: IntegrationEvent): Record<string, string> {
  const trace = parseTraceparent(event.metadata.traceparent);
  return {
    ...("orderId" in event ? { orderId: event.orderId.toLowerCase() } : { sku: event.sku }),
    ...(trace ? { traceId: trace.traceId } : {}),
    eventId: event.metadata.eventId,
  };
}

/** One info line `published <EventType>` per outbox row the relay moved to Kafka. */
export function logPublished(logger: Logger, rows: readonly OutboxRow[]): void {
  for (const row of rows) {
    logger.info(
      { ...eventLogContext(row.payload as IntegrationEvent), topic: row.topic },
      `published ${row.eventType}`,
    );
  }
}

import type { IntegrationEvent } from "@stocksaga/contracts";
import type { ConsumedMessage, OutboxRow } from "@stocksaga/messaging";
import { type Logger, parseTraceparent } from "@stocksaga/platform";

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

/** Wraps a reaction: one info line `handled <EventType>` once its effect is durable. */
export function loggingHandled(
  logger: Logger,
  handle: (message: ConsumedMessage<IntegrationEvent>) => Promise<void>,
): (message: ConsumedMessage<IntegrationEvent>) => Promise<void> {
  return async (message) => {
    await handle(message);
    logger.info(
      {
        ...eventLogContext(message.event),
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
      },
      `handled ${message.event.type}`,
    );
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

import type { Queryable } from "./sql.js";

/** One event to publish, as the relay will read it back. */
export interface OutboxEntry {
  eventId: string;
  eventType: string;
  topic: string;
  messageKey: string;
  /** The event as JSON; the relay encodes it in Avro when it publishes. */
  payload: unknown;
  headers: Record<string, string>;
}

/** The outbox entry of an event with the usual metadata: its trace context travels as a header too. */
export function outboxEntry(
  event: { type: string; metadata: { eventId: string; traceparent?: string | null } },
  route: { topic: string; key: string },
): OutboxEntry {
  return {
    eventId: event.metadata.eventId,
    eventType: event.type,
    topic: route.topic,
    messageKey: route.key,
    payload: event,
    headers: event.metadata.traceparent ? { traceparent: event.metadata.traceparent } : {},
  };
}

/**
 * Writes outgoing events to the outbox in the transaction of the change, in the given order (the
 * relay publishes in id order) — one statement. It sends no NOTIFY: a notifying transaction holds
 * a cluster-wide lock from its commit until its flush, so the relay is woken after the commit
 * instead (`ServiceMessaging.notify`). Both services' outbox tables have this shape.
 */
export async function writeOutbox(tx: Queryable, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await tx.query(
    `insert into outbox (event_id, event_type, topic, message_key, payload, headers)
     select e.event_id, e.event_type, e.topic, e.message_key, e.payload, e.headers
       from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::jsonb[])
            with ordinality as e(event_id, event_type, topic, message_key, payload, headers, n)
      order by e.n`,
    [
      entries.map((e) => e.eventId),
      entries.map((e) => e.eventType),
      entries.map((e) => e.topic),
      entries.map((e) => e.messageKey),
      entries.map((e) => JSON.stringify(e.payload)),
      entries.map((e) => JSON.stringify(e.headers)),
    ],
  );
}

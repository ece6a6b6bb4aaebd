import type { SqlTransaction } from "./inbox.js";

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
 * relay publishes in id order), and notifies `channel` when it commits — one statement, one round
 * trip. Both services' outbox tables have this shape.
 */
export async function writeOutbox(
  tx: SqlTransaction,
  channel: string,
  entries: readonly OutboxEntry[],
): Promise<void> {
  if (entries.length === 0) return;
  await tx.$executeRaw`
    with written as (
      insert into outbox (event_id, event_type, topic, message_key, payload, headers)
      select e.event_id, e.event_type, e.topic, e.message_key, e.payload, e.headers
        from unnest(${entries.map((e) => e.eventId)}::uuid[], ${entries.map((e) => e.eventType)}::text[],
                    ${entries.map((e) => e.topic)}::text[], ${entries.map((e) => e.messageKey)}::text[],
                    ${entries.map((e) => JSON.stringify(e.payload))}::jsonb[],
                    ${entries.map((e) => JSON.stringify(e.headers))}::jsonb[])
             with ordinality as e(event_id, event_type, topic, message_key, payload, headers, n)
       order by e.n
      returning 1)
    select pg_notify(${channel}, '') from (select count(*) as n from written) as w where w.n > 0`;
}

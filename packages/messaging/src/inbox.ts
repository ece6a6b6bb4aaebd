import type { Queryable } from "./sql.js";

/**
 * The idempotent inbox, shared by both services: one row per (consumer, event id), written in the
 * transaction of the event's effect.
 */
export interface InboxEntry {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Records the events this consumer is applying and says, for each entry in order, whether to apply
 * it: false for an event applied before (already in the inbox) or earlier in the same entries. An
 * id that another transaction is recording waits for it, then counts as applied once that one
 * committed.
 */
export async function claimInbox(
  tx: Queryable,
  consumer: string,
  entries: readonly InboxEntry[],
): Promise<boolean[]> {
  const distinct = [...new Map(entries.map((entry) => [entry.eventId.toLowerCase(), entry])).values()];
  if (distinct.length === 0) return [];
  const { rows } = await tx.query<{ event_id: string }>(
    `insert into inbox (consumer, event_id, topic, partition, "offset")
     select $1, e.event_id, e.topic, e.partition, e.off
       from unnest($2::uuid[], $3::text[], $4::int[], $5::bigint[]) as e(event_id, topic, partition, off)
     on conflict do nothing
     returning event_id::text`,
    [
      consumer,
      distinct.map((e) => e.eventId),
      distinct.map((e) => e.topic),
      distinct.map((e) => e.partition),
      distinct.map((e) => e.offset),
    ],
  );
  const fresh = new Set(rows.map((row) => row.event_id));
  return entries.map((entry) => fresh.delete(entry.eventId.toLowerCase()));
}

/** Takes back the marks of events refused in the end, so that a redelivery is refused (and dead-lettered) again. */
export async function unclaimInbox(
  tx: Queryable,
  consumer: string,
  eventIds: readonly string[],
): Promise<void> {
  if (eventIds.length === 0) return;
  await tx.query("delete from inbox where consumer = $1 and event_id = any($2::uuid[])", [
    consumer,
    eventIds,
  ]);
}

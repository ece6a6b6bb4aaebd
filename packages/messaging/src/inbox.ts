/**
 * The idempotent inbox, shared by both services: one row per (consumer, event id), written in the
 * transaction of the event's effect. Works on any transaction that runs tagged-template SQL (a
 * Prisma transaction client of either service's schema).
 */
export interface SqlTransaction {
  // Function-typed properties, called only as tagged templates (tests/security/sql.test.ts).
  readonly $queryRaw: <T = unknown>(query: TemplateStringsArray, ...values: unknown[]) => PromiseLike<T>;
  readonly $executeRaw: (query: TemplateStringsArray, ...values: unknown[]) => PromiseLike<number>;
}

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
  tx: SqlTransaction,
  consumer: string,
  entries: readonly InboxEntry[],
): Promise<boolean[]> {
  const distinct = [...new Map(entries.map((entry) => [entry.eventId.toLowerCase(), entry])).values()];
  if (distinct.length === 0) return [];
  const rows = await tx.$queryRaw<{ event_id: string }[]>`
    insert into inbox (consumer, event_id, topic, partition, "offset")
    select ${consumer}, e.event_id, e.topic, e.partition, e.off
      from unnest(${distinct.map((e) => e.eventId)}::uuid[], ${distinct.map((e) => e.topic)}::text[],
                  ${distinct.map((e) => e.partition)}::int[], ${distinct.map((e) => e.offset)}::bigint[])
           as e(event_id, topic, partition, off)
    on conflict do nothing
    returning event_id::text`;
  const fresh = new Set(rows.map((row) => row.event_id));
  return entries.map((entry) => fresh.delete(entry.eventId.toLowerCase()));
}

/** Takes back the marks of events refused in the end, so that a redelivery is refused (and dead-lettered) again. */
export async function unclaimInbox(
  tx: SqlTransaction,
  consumer: string,
  eventIds: readonly string[],
): Promise<void> {
  if (eventIds.length === 0) return;
  await tx.$executeRaw`delete from inbox where consumer = ${consumer} and event_id = any(${eventIds}::uuid[])`;
}

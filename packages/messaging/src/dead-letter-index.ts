import type pg from "pg";
import { inTransaction, type Queryable } from "./sql.js";

/** A dead letter as indexed: the message's bytes and where it came from. */
export interface IndexedDeadLetter {
  id: string;
  reason: string;
  detail: string;
  origin: { topic: string; partition: number; offset: number; consumerGroup: string };
  failedAt: Date;
  key: Buffer | null;
  value: Buffer | null;
  /** The original headers, without the `dlt-*` ones. */
  headers: Record<string, Buffer>;
  replays: { at: Date; by: string; forced: boolean }[];
}

const statements = {
  record: `
    insert into dead_letters (id, reason, detail, origin_topic, origin_partition, origin_offset,
                              consumer_group, failed_at, message_key, message_value, headers)
    select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[],
                         $7::text[], $8::timestamptz[], $9::bytea[], $10::bytea[], $11::jsonb[])
    on conflict (id) do nothing`,

  list: `
    select d.*, coalesce((select json_agg(json_build_object('at', r.replayed_at, 'by', r.replayed_by,
                                                          'forced', r.forced) order by r.id)
                            from dead_letter_replays r where r.dead_letter_id = d.id), '[]') as replays
      from dead_letters d where d.consumer_group = $1
     order by d.failed_at desc, d.id desc limit $2`,

  find: `
    select d.*, coalesce((select json_agg(json_build_object('at', r.replayed_at, 'by', r.replayed_by,
                                                          'forced', r.forced) order by r.id)
                            from dead_letter_replays r where r.dead_letter_id = d.id), '[]') as replays
      from dead_letters d where d.consumer_group = $1 and d.id = $2`,

  /**
   * The one statement that decides a replay: the row lock of the update makes a racing second
   * request wait, then re-check `replay_count = 0` against the first one's commit, and find nothing.
   */
  claimReplay: `
    with claimed as (
      update dead_letters set replay_count = replay_count + 1
       where id = $1 and consumer_group = $2 and ($5::boolean or replay_count = 0)
      returning id
    )
    insert into dead_letter_replays (dead_letter_id, replayed_at, replayed_by, forced)
    select id, $3, $4, $5 from claimed
    returning id`,
} as const;

interface DeadLetterRow {
  id: string;
  reason: string;
  detail: string;
  origin_topic: string;
  origin_partition: number;
  origin_offset: string;
  consumer_group: string;
  failed_at: Date;
  message_key: Buffer | null;
  message_value: Buffer | null;
  headers: Record<string, string>;
  replays: { at: string; by: string; forced: boolean }[];
}

function letterOf(row: DeadLetterRow): IndexedDeadLetter {
  return {
    id: row.id,
    reason: row.reason,
    detail: row.detail,
    origin: {
      topic: row.origin_topic,
      partition: row.origin_partition,
      offset: Number(row.origin_offset),
      consumerGroup: row.consumer_group,
    },
    failedAt: row.failed_at,
    key: row.message_key,
    value: row.message_value,
    headers: Object.fromEntries(
      Object.entries(row.headers).map(([name, v]) => [name, Buffer.from(v, "base64")]),
    ),
    replays: row.replays.map((replay) => ({ at: new Date(replay.at), by: replay.by, forced: replay.forced })),
  };
}

/** The `dead_letters` and `dead_letter_replays` tables of a service's database. */
export class DeadLetterIndex {
  constructor(private readonly pool: pg.Pool) {}

  /** Records letters once each (a redelivered one changes nothing). */
  async record(letters: readonly Omit<IndexedDeadLetter, "replays">[]): Promise<void> {
    if (letters.length === 0) return;
    await this.pool.query(statements.record, [
      letters.map((l) => l.id),
      letters.map((l) => l.reason),
      letters.map((l) => l.detail),
      letters.map((l) => l.origin.topic),
      letters.map((l) => l.origin.partition),
      letters.map((l) => String(l.origin.offset)),
      letters.map((l) => l.origin.consumerGroup),
      letters.map((l) => l.failedAt),
      letters.map((l) => l.key),
      letters.map((l) => l.value),
      letters.map((l) =>
        JSON.stringify(
          Object.fromEntries(Object.entries(l.headers).map(([n, v]) => [n, v.toString("base64")])),
        ),
      ),
    ]);
  }

  /** The group's letters, newest failure first. */
  async list(consumerGroup: string, limit: number): Promise<IndexedDeadLetter[]> {
    return (await this.pool.query<DeadLetterRow>(statements.list, [consumerGroup, limit])).rows.map(letterOf);
  }

  async find(
    consumerGroup: string,
    id: string,
    db: Queryable = this.pool,
  ): Promise<IndexedDeadLetter | undefined> {
    const [row] = (await db.query<DeadLetterRow>(statements.find, [consumerGroup, id])).rows;
    return row ? letterOf(row) : undefined;
  }

  /**
   * Records a replay and runs `publish` inside the same transaction: the replay is recorded only if
   * the message went out, and a concurrent replay of the same letter waits for this one's outcome.
   * Resolves to false, publishing nothing, when the letter was replayed before and `forced` is false.
   */
  async replay(
    consumerGroup: string,
    id: string,
    replay: { by: string; forced: boolean; at: Date },
    publish: () => Promise<void>,
  ): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      const claimed = await client.query(statements.claimReplay, [
        id,
        consumerGroup,
        replay.at,
        replay.by,
        replay.forced,
      ]);
      if (claimed.rowCount === 0) return false;
      await publish();
      return true;
    });
  }
}

import { setTimeout as sleep } from "node:timers/promises";
import type { Message, Producer } from "kafkajs";
import type pg from "pg";
import type { Logger } from "pino";

export interface OutboxRow {
  id: string;
  eventId: string;
  eventType: string;
  topic: string;
  messageKey: string;
  payload: unknown;
  headers: Record<string, string> | null;
  createdAt: Date;
}

export interface OutboxRelayOptions {
  pool: pg.Pool;
  producer: Producer;
  /** Turns a stored row into the Kafka message (Avro value in the Confluent wire format). */
  toMessage: (row: OutboxRow) => Message;
  logger: Logger;
  /** One relay per database publishes at a time: the holder of this advisory lock. */
  lockKey: number;
  /** NOTIFY channel fired when outbox rows commit; polling covers a missed notification. */
  channel?: string;
  batchSize?: number;
  pollIntervalMs?: number;
  /** Fault injection for the test harness: publish every row twice. */
  duplicateDeliveries?: boolean;
  hooks?: {
    published?: (rows: readonly OutboxRow[]) => void;
    /** A drain failed; the relay tries again with backoff. */
    failed?: (error: unknown) => void;
  };
  /** Failures in a row after which `stalled` reports the relay stuck (default 5, about 3 s of retries). */
  stallAfterFailures?: number;
  /**
   * Rows deleted after which the relay vacuums the outbox (default 1,000; 0 never), at most once
   * every `vacuumIntervalMs` (default 5 s). Every row is inserted and deleted once, so the table is
   * all dead tuples unless something vacuums it, and a bloated outbox makes every drain slower;
   * autovacuum may be off, or too lazy for this churn.
   */
  vacuumAfterRows?: number;
  vacuumIntervalMs?: number;
}

type DrainOutcome = { published: number; leader: boolean };

/**
 * Moves committed outbox rows to Kafka in id order, then deletes them, in one database
 * transaction per batch. A crash between publish and delete republishes: delivery is at least
 * once, and every consumer's inbox makes that harmless.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a wake-up that came while the relay was busy, so that it is not lost. */
  private woken = false;
  private failuresInARow = 0;
  private lastError: unknown;
  private deletedSinceVacuum = 0;
  private lastVacuumAt = 0;
  private listener: pg.PoolClient | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger.child({ component: "outbox-relay" });
  }

  async start(): Promise<void> {
    this.running = true;
    if (this.options.channel) await this.listen(this.options.channel);
    this.loop = this.run();
  }

  /** Publishes what is committed now, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.drainAll().catch((error: unknown) =>
      this.logger.warn({ err: error }, "final outbox flush failed"),
    );
    if (this.listener) {
      this.listener.removeAllListeners("notification");
      await this.listener.query(`UNLISTEN *`).catch(() => undefined);
      this.listener.release();
      this.listener = undefined;
    }
  }

  /** Wakes the relay now (the writer committed rows in this process). */
  notify(): void {
    this.woken = true;
    this.wake?.();
  }

  /**
   * Why the relay is stuck, when it has failed `stallAfterFailures` times in a row (a row it cannot
   * encode, the database or the broker gone): undefined while it is making progress.
   */
  get stalled(): string | undefined {
    if (this.failuresInARow < (this.options.stallAfterFailures ?? 5)) return undefined;
    const error = this.lastError;
    return `${this.failuresInARow} failures in a row: ${error instanceof Error ? error.message : String(error)}`;
  }

  async backlog(): Promise<number> {
    const { rows } = await this.options.pool.query<{ n: string }>("select count(*)::text as n from outbox");
    return Number(rows[0]?.n ?? 0);
  }

  private async listen(channel: string): Promise<void> {
    try {
      const listener = await this.options.pool.connect();
      let released = false;
      const release = (error: Error | true) => {
        if (released) return;
        released = true;
        listener.release(error);
      };
      listener.on("notification", () => this.notify());
      listener.on("error", (error) => {
        this.logger.warn({ err: error }, "outbox listener lost; polling only");
        if (this.listener === listener) this.listener = undefined;
        release(error);
      });
      try {
        await listener.query(`LISTEN "${channel.replaceAll('"', "")}"`);
      } catch (error) {
        release(error instanceof Error ? error : true);
        throw error;
      }
      this.listener = listener;
    } catch (error) {
      this.logger.warn({ err: error }, "could not LISTEN for outbox notifications; polling only");
    }
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollIntervalMs ?? 250;
    while (this.running) {
      let outcome: DrainOutcome = { published: 0, leader: true };
      // A notification from here on means rows may have committed after this drain looked.
      this.woken = false;
      try {
        outcome = await this.drainOnce();
        this.failuresInARow = 0;
        this.lastError = undefined;
      } catch (error) {
        this.failuresInARow++;
        this.lastError = error;
        this.options.hooks?.failed?.(error);
        const delay = Math.min(5_000, 100 * 2 ** Math.min(this.failuresInARow, 6));
        const line = { err: error, retryInMs: delay, failuresInARow: this.failuresInARow };
        if (this.stalled) this.logger.error(line, "outbox relay is stalled; retrying");
        else this.logger.warn(line, "outbox relay failed; retrying");
        await sleep(delay);
        continue;
      }
      if (outcome.published > 0) this.deletedSinceVacuum += outcome.published;
      const vacuumAfter = this.options.vacuumAfterRows ?? 1_000;
      if (
        vacuumAfter > 0 &&
        this.deletedSinceVacuum >= vacuumAfter &&
        performance.now() - this.lastVacuumAt >= (this.options.vacuumIntervalMs ?? 5_000)
      ) {
        this.deletedSinceVacuum = 0;
        this.lastVacuumAt = performance.now();
        await this.vacuum();
      }
      if (outcome.published > 0 || this.woken || !this.running) continue;
      // Idle (or standby): sleep until notified or the poll interval passes; a standby polls slower.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, outcome.leader ? pollMs : pollMs * 4);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Reclaims the dead rows of the outbox (outside any transaction, as VACUUM must be). */
  private async vacuum(): Promise<void> {
    const started = performance.now();
    try {
      await this.options.pool.query("vacuum (analyze) outbox");
      this.logger.debug({ durationMs: Math.round(performance.now() - started) }, "vacuumed the outbox");
    } catch (error) {
      this.logger.warn({ err: error }, "could not vacuum the outbox; will try again later");
    }
  }

  private async drainAll(): Promise<void> {
    for (;;) {
      const { published } = await this.drainOnce();
      if (published === 0) return;
    }
  }

  private async drainOnce(): Promise<DrainOutcome> {
    const client = await this.options.pool.connect();
    // The connection can be lost between queries (while the batch is being published): an `error`
    // event then, which would crash the process unheard. The next query fails, and the batch is
    // rolled back and retried.
    const lost = (error: Error) => this.logger.warn({ err: error }, "outbox connection lost");
    client.on("error", lost);
    let released = false;
    try {
      await client.query("begin");
      const lock = await client.query<{ locked: boolean }>("select pg_try_advisory_xact_lock($1) as locked", [
        this.options.lockKey,
      ]);
      if (!lock.rows[0]?.locked) {
        await client.query("rollback");
        return { published: 0, leader: false };
      }
      const { rows } = await client.query<OutboxRow>(
        `select id::text as "id", event_id as "eventId", event_type as "eventType", topic,
                message_key as "messageKey", payload, headers, created_at as "createdAt"
           from outbox order by outbox.id limit $1`,
        [this.options.batchSize ?? 500],
      );
      if (rows.length === 0) {
        await client.query("commit");
        return { published: 0, leader: true };
      }
      await this.publish(rows);
      await client.query("delete from outbox where id = any($1::bigint[])", [rows.map((r) => r.id)]);
      await client.query("commit");
      this.options.hooks?.published?.(rows);
      return { published: rows.length, leader: true };
    } catch (error) {
      await client.query("rollback").catch(() => {
        client.release(error instanceof Error ? error : true);
        released = true;
      });
      throw error;
    } finally {
      client.off("error", lost);
      if (!released) client.release();
    }
  }

  private async publish(rows: readonly OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    for (const row of rows) {
      const message = this.options.toMessage(row);
      const messages = byTopic.get(row.topic) ?? [];
      messages.push(message);
      if (this.options.duplicateDeliveries) messages.push(message);
      byTopic.set(row.topic, messages);
    }
    await this.options.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    });
  }
}

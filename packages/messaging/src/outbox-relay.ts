import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type Span, SpanKind } from "@opentelemetry/api";
import { contextOf, failed, inSpan, linkTo, traceparentOf, tracer, tracingActive } from "@stocksaga/platform";
import type { Message, Producer } from "kafkajs";
import type pg from "pg";
import type { Logger } from "pino";
import { CoalescedNotify } from "./coalesced-notify.js";
import { RelayLeadership } from "./relay-leadership.js";
import { TableVacuum } from "./table-vacuum.js";

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
  /** The relay keeps one connection of this pool for itself (see `RelayLeadership`). */
  pool: pg.Pool;
  producer: Producer;
  /** Turns a stored row into the Kafka message (Avro value in the Confluent wire format). */
  toMessage: (row: OutboxRow) => Message;
  logger: Logger;
  /** One relay per database publishes at a time: the holder of this session advisory lock. */
  lockKey: number;
  /**
   * The channel on which instances whose relay does not lead announce their commits to the one
   * that does; polling covers a missed notification. Without it, only this process's commits
   * (`notify`) and polling wake the relay.
   */
  channel?: string;
  /** Names this instance in its notifications, so that its own relay ignores them (default: random). */
  instanceId?: string;
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
  /** Rows deleted after which the relay vacuums the outbox (default 1,000; 0 never). */
  vacuumAfterRows?: number;
  /** How often it looks whether to vacuum (default 5 s). */
  vacuumIntervalMs?: number;
}

/** `outbox.id`, the bigint: a bare `id` would sort by the text column of the same name. */
const SELECT_BATCH = `select id::text as "id", event_id as "eventId", event_type as "eventType", topic,
                             message_key as "messageKey", payload, headers, created_at as "createdAt"
                        from outbox order by outbox.id limit $1`;
const DELETE_PUBLISHED = "delete from outbox where id = any($1::bigint[])";

/**
 * Moves committed outbox rows to Kafka in id order, then deletes them. The leader (see
 * `RelayLeadership`) drains on its own connection in two statements per batch: select, and after
 * the broker acknowledged the batch, delete. A crash or a lost connection between publish and
 * delete republishes: delivery is at least once, and every consumer's inbox makes that harmless.
 *
 * It drains when woken — by `notify` after a commit in this process, by a notification from
 * another instance, or by the poll timer — and again at once while batches come back full or a
 * wake-up arrived during the drain; otherwise one drain per wake-up.
 */
export class OutboxRelay {
  private running = false;
  private loop: Promise<void> | undefined;
  private stopped: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a wake-up that came while the relay was busy, so that it is not lost. */
  private woken = false;
  private failuresInARow = 0;
  private lastError: unknown;
  private readonly stopping = new AbortController();
  private readonly logger: Logger;
  private readonly instanceId: string;
  private readonly leadership: RelayLeadership;
  private readonly vacuum: TableVacuum;
  private readonly announce: CoalescedNotify | undefined;

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger.child({ component: "outbox-relay" });
    this.instanceId = options.instanceId ?? randomUUID();
    this.leadership = new RelayLeadership({
      pool: options.pool,
      lockKey: options.lockKey,
      logger: this.logger,
      ...(options.channel ? { channel: options.channel } : {}),
      notified: (payload) => {
        if (payload !== this.instanceId) this.wakeUp();
      },
      lost: () => this.wakeUp(),
    });
    this.vacuum = new TableVacuum({
      db: options.pool,
      logger: this.logger,
      afterRows: options.vacuumAfterRows ?? 1_000,
      intervalMs: options.vacuumIntervalMs ?? 5_000,
    });
    this.announce = options.channel
      ? new CoalescedNotify({
          db: options.pool,
          channel: options.channel,
          payload: this.instanceId,
          logger: this.logger,
        })
      : undefined;
  }

  /** Takes the lead if it is free, and starts relaying (as leader, or as standby). */
  async start(): Promise<void> {
    this.running = true;
    try {
      await this.leadership.tryToLead();
    } catch (error) {
      this.recordFailure(error);
      this.logger.warn({ err: error }, "could not reach the database; the relay will keep trying");
    }
    this.vacuum.start();
    this.loop = this.run();
  }

  /**
   * Publishes what is committed now (unless another relay leads), then stops, and resolves once
   * the lead is free for another relay to take. Calling it again waits for the same stop.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    this.wake?.();
    await this.leadership.stopWaiting();
    await this.loop;
    try {
      const connection = (await this.leadership.tryToLead()) ? this.leadership.connection : undefined;
      if (connection) while ((await this.drainOnce(connection)) > 0);
    } catch (error) {
      this.logger.warn({ err: error }, "final outbox flush failed");
    }
    await this.vacuum.stop();
    await this.announce?.settled();
    await this.leadership.resign();
  }

  /**
   * Rows committed in this process: the relay drains now if it leads; if it does not, the leader
   * (in another instance) is told through the channel.
   */
  notify(): void {
    this.wakeUp();
    if (this.running && !this.leadership.leading) this.announce?.send();
  }

  /** Whether this relay is the one that publishes the database's outbox. */
  get leading(): boolean {
    return this.leadership.leading;
  }

  /**
   * Why the relay is stuck, when it has failed `stallAfterFailures` times in a row (a row it cannot
   * encode, the database or the broker gone): undefined while it is making progress, or standing by.
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

  private wakeUp(): void {
    this.woken = true;
    this.wake?.();
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollIntervalMs ?? 250;
    const batchSize = this.options.batchSize ?? 500;
    while (this.running) {
      const connection = this.leadership.connection;
      if (!connection) {
        await this.campaign();
        continue;
      }
      // A wake-up from here on means rows may have committed after this drain looked.
      this.woken = false;
      let published: number;
      try {
        published = await this.drainOnce(connection);
        this.recordSuccess();
      } catch (error) {
        await this.backOff(error);
        await this.standAsideWhenStalled();
        continue;
      }
      if (published >= batchSize || this.woken) continue;
      await this.idle(pollMs);
    }
  }

  /**
   * A leader that keeps failing (its producer or its registry broken, while another instance's
   * work) lets go of the lock every `stallAfterFailures` failures: a standby, waiting in the
   * server's lock queue, takes over; with none, this relay takes the free lock straight back.
   */
  private async standAsideWhenStalled(): Promise<void> {
    const every = this.options.stallAfterFailures ?? 5;
    if (!this.running || this.failuresInARow % every !== 0 || !this.leadership.leading) return;
    this.logger.warn(
      { failuresInARow: this.failuresInARow },
      "outbox relay is stalled; letting another instance lead",
    );
    await this.leadership.resign();
  }

  /** Waits to lead (another relay may hold the lock for as long as it lives). */
  private async campaign(): Promise<void> {
    try {
      await this.leadership.lead(() => this.recordSuccess());
    } catch (error) {
      if (this.running) await this.backOff(error);
    }
  }

  private async idle(ms: number): Promise<void> {
    if (this.woken || !this.running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private recordSuccess(): void {
    this.failuresInARow = 0;
    this.lastError = undefined;
  }

  private recordFailure(error: unknown): number {
    this.failuresInARow++;
    this.lastError = error;
    this.options.hooks?.failed?.(error);
    // At most a second: a broker back after an outage gets the backlog within a second.
    return Math.min(1_000, 100 * 2 ** Math.min(this.failuresInARow, 6));
  }

  private async backOff(error: unknown): Promise<void> {
    const delay = this.recordFailure(error);
    const line = { err: error, retryInMs: delay, failuresInARow: this.failuresInARow };
    if (this.stalled) this.logger.error(line, "outbox relay is stalled; retrying");
    else this.logger.warn(line, "outbox relay failed; retrying");
    await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
  }

  /** One batch: select in id order, publish, delete what the broker acknowledged. */
  private async drainOnce(connection: pg.PoolClient): Promise<number> {
    const startTime = Date.now();
    const { rows } = await connection.query<OutboxRow>(SELECT_BATCH, [this.options.batchSize ?? 500]);
    if (rows.length === 0) return 0;
    const publishAndDelete = async () => {
      await this.publish(rows);
      await connection.query(DELETE_PUBLISHED, [rows.map((row) => row.id)]);
    };
    if (tracingActive()) {
      // An empty poll records nothing; a drain is in the trace of its first row, linked to the others'.
      const [first, ...others] = rows;
      await inSpan(
        "outbox drain",
        {
          parent: contextOf(first?.headers?.traceparent),
          links: others.flatMap((row) => linkTo(row.headers?.traceparent)),
          startTime,
          attributes: { "db.system.name": "postgresql", "stocksaga.outbox.rows": rows.length },
        },
        publishAndDelete,
      );
    } else await publishAndDelete();
    this.vacuum.deleted("outbox", rows.length);
    this.options.hooks?.published?.(rows);
    return rows.length;
  }

  /**
   * A PRODUCER span per row, the child of the context stored with it (the request or the reaction
   * that wrote it), whose own context replaces the record's `traceparent` header: the consumer's
   * span becomes its child. Untraced, the header is the stored context, unchanged.
   */
  private producerSpan(row: OutboxRow, message: Message): Span | undefined {
    if (!tracingActive()) return undefined;
    const span = tracer().startSpan(
      `send ${row.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          "messaging.system": "kafka",
          "messaging.operation.type": "send",
          "messaging.operation.name": "send",
          "messaging.destination.name": row.topic,
          "messaging.message.id": row.eventId,
          "messaging.kafka.message.key": row.messageKey,
          "stocksaga.event.type": row.eventType,
        },
      },
      contextOf(row.headers?.traceparent),
    );
    const traceparent = traceparentOf(span);
    if (traceparent) message.headers = { ...message.headers, traceparent };
    return span;
  }

  private async publish(rows: readonly OutboxRow[]): Promise<void> {
    const byTopic = new Map<string, Message[]>();
    const spans: Span[] = [];
    for (const row of rows) {
      const message = this.options.toMessage(row);
      const span = this.producerSpan(row, message);
      if (span) spans.push(span);
      const messages = byTopic.get(row.topic) ?? [];
      messages.push(message);
      if (this.options.duplicateDeliveries) messages.push(message);
      byTopic.set(row.topic, messages);
    }
    try {
      await this.options.producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    } catch (error) {
      for (const span of spans) failed(span, error);
      throw error;
    } finally {
      for (const span of spans) span.end();
    }
  }
}

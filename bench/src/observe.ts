import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Admin, Kafka } from "kafkajs";
import pg from "pg";

/** The order service announces every change of an order on this channel, at commit. */
const ORDER_CHANGED_CHANNEL = "order_changed";

export const FINAL_STATUSES = ["CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"] as const;

/** Resident set size of a process in MB (VmRSS), or NaN once it is gone. */
export function rssMb(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match?.[1] ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * The orders a notification on `order_changed` names: one id, or several joined by "," (one
 * notification per batch of commits). "*" (every order) names none in particular: those orders
 * fall back to their `updated_at`.
 */
export function changedOrderIds(payload: string | undefined): string[] {
  if (!payload || payload === "*") return [];
  return payload
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "" && id !== "*");
}

/**
 * When each order last changed, as the order service's own commit notification tells it: the
 * moment a final status became visible to readers. Listening costs the database one more
 * listener on a channel it already notifies; the services do not know the harness is there.
 */
export class CommitClock {
  private readonly lastChange = new Map<string, number>();
  private client: pg.Client | undefined;
  lost = 0;

  constructor(
    private readonly databaseUrl: string,
    private readonly clock: () => number,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    await client.connect();
    client.on("notification", (message) => this.noteChange(message.payload));
    client.on("error", () => {
      this.lost++;
    });
    await client.query(`LISTEN ${ORDER_CHANGED_CHANNEL}`);
    this.client = client;
  }

  /** Stamps every order a notification names with the time it arrived. */
  noteChange(payload: string | undefined): void {
    const at = this.clock();
    for (const id of changedOrderIds(payload)) this.lastChange.set(id, at);
  }

  changedAt(orderId: string): number | undefined {
    return this.lastChange.get(orderId);
  }

  forget(orderIds: readonly string[]): void {
    for (const id of orderIds) this.lastChange.delete(id);
  }

  async stop(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

export interface BacklogSample {
  /** Seconds since the step started. */
  t: number;
  inflight: number;
  pendingOrders: number;
  /** Of which placed since the step's arrivals began. */
  pendingOfStep: number;
  outboxRows: { order: number; inventory: number };
  consumerLag: { order: number; inventory: number };
  rssMb: { order: number; inventory: number };
}

export function backlogOf(sample: BacklogSample): number {
  return (
    sample.inflight +
    sample.pendingOrders +
    sample.outboxRows.order +
    sample.outboxRows.inventory +
    sample.consumerLag.order +
    sample.consumerLag.inventory
  );
}

export interface Databases {
  order: pg.Pool;
  inventory: pg.Pool;
}

export interface ServicePids {
  order: number;
  inventory: number;
}

async function count(pool: pg.Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(sql, params);
  return Number(rows[0]?.n ?? 0);
}

async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const positions = committed[0]?.partitions ?? [];
  let lag = 0;
  for (const end of ends) {
    const position = Number(positions.find((p) => p.partition === end.partition)?.offset ?? "-1");
    lag += Number(end.high) - Math.max(0, position);
  }
  return lag;
}

/**
 * What is waiting anywhere in the saga: requests the harness sent and has no answer for, orders
 * still PENDING, outbox rows not yet published, and messages the consumer groups have not
 * committed (kafkajs commits every second, so lag reads up to a second of traffic high).
 */
export class BacklogProbe {
  constructor(
    private readonly databases: Databases,
    private readonly admin: Admin,
    readonly pids: ServicePids,
    private readonly customers: readonly string[],
    private readonly groups: { order: string; inventory: string } = {
      order: "order-service",
      inventory: "inventory-service",
    },
  ) {}

  /** `since`: orders placed from then on are this step's (`pendingOfStep`). */
  async sample(t: number, inflight: number, since: Date): Promise<BacklogSample> {
    const [pending, outboxOrder, outboxInventory, lagOrder, lagInventory] = await Promise.all([
      this.databases.order.query<{ all: string; step: string }>(
        `select count(*)::text as all, (count(*) filter (where created_at >= $2))::text as step
           from orders where status = 'PENDING' and customer_id = any($1)`,
        [this.customers, since],
      ),
      count(this.databases.order, "select count(*)::text as n from outbox"),
      count(this.databases.inventory, "select count(*)::text as n from outbox"),
      groupLag(this.admin, this.groups.order, "reservation-events"),
      groupLag(this.admin, this.groups.inventory, "order-events"),
    ]);
    return {
      t,
      inflight,
      pendingOrders: Number(pending.rows[0]?.all ?? 0),
      pendingOfStep: Number(pending.rows[0]?.step ?? 0),
      outboxRows: { order: outboxOrder, inventory: outboxInventory },
      consumerLag: { order: lagOrder, inventory: lagInventory },
      rssMb: { order: rssMb(this.pids.order), inventory: rssMb(this.pids.inventory) },
    };
  }
}

export type TopicOffsets = Map<number, bigint>;

export async function endOffsets(admin: Admin, topic: string): Promise<TopicOffsets> {
  const ends = await admin.fetchTopicOffsets(topic);
  return new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
}

/**
 * When each event was handed to Kafka (the record's timestamp, set by the publishing relay),
 * by event id, for the records of `topic` between two sets of offsets. Read after a step has
 * drained, so it costs the measured system nothing.
 */
export async function publishTimes(
  kafka: Kafka,
  topic: string,
  from: TopicOffsets,
  to: TopicOffsets,
): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const remaining = new Map<number, bigint>();
  for (const [partition, end] of to) if (end > (from.get(partition) ?? 0n)) remaining.set(partition, end);
  if (remaining.size === 0) return times;
  const groupId = `bench-reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`reading ${topic} took over 60 s`)), 60_000);
      void consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          const end = remaining.get(batch.partition);
          if (end === undefined) return;
          for (const message of batch.messages) {
            if (BigInt(message.offset) >= end) break;
            const id = message.headers?.["event-id"]?.toString();
            if (id) times.set(id, Number(message.timestamp));
          }
          if (BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(batch.partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
      for (const partition of remaining.keys()) {
        consumer.seek({ topic, partition, offset: String(from.get(partition) ?? 0n) });
      }
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return times;
}

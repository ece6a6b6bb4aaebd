import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { createPool, inTransaction, OutboxRelay } from "@stocksaga/messaging";
import { createLogger, Registry } from "@stocksaga/platform";
import type { Message, Producer, ProducerBatch } from "kafkajs";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));

/**
 * The relay against the real PostgreSQL, in a schema of its own with the outbox's shape; Kafka is
 * replaced by a recorder of what would have been sent.
 */
describe("the outbox relay", () => {
  const schema = `relay_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  let admin: pg.Client;
  let pool: pg.Pool;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject("orderDatabaseUrl") });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.query(`create table ${schema}.outbox (like public.outbox including all)`);
    pool = new pg.Pool({
      connectionString: inject("orderDatabaseUrl"),
      max: 3,
      options: `-c search_path=${schema}`,
    });
  });

  const pools: pg.Pool[] = [];
  /** A pool of its own, as another instance of the service would have. */
  function instancePool(): pg.Pool {
    const instance = new pg.Pool({
      connectionString: inject("orderDatabaseUrl"),
      max: 3,
      options: `-c search_path=${schema}`,
    });
    instance.on("error", () => undefined);
    pools.push(instance);
    return instance;
  }

  afterAll(async () => {
    for (const instance of pools) await instance.end();
    await pool?.end();
    await admin?.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  function recordingProducer(beforeAck: () => Promise<void> = async () => undefined) {
    const sent: string[] = [];
    const producer = {
      sendBatch: async ({ topicMessages }: ProducerBatch) => {
        for (const { messages } of topicMessages ?? [])
          sent.push(...messages.map((m: Message) => String(m.value)));
        await beforeAck();
        return [];
      },
    } as unknown as Producer;
    return { producer, sent };
  }

  /** Commits rows with these ids together, as one business transaction would. */
  async function insertRows(ids: readonly number[]): Promise<void> {
    await admin.query(
      `insert into ${schema}.outbox (id, event_id, event_type, topic, message_key, payload)
       select id, gen_random_uuid(), 'OrderRequested', 'order-events', 'k', '{}' from unnest($1::bigint[]) as id`,
      [ids],
    );
  }

  async function outboxRows(): Promise<number> {
    const { rows } = await admin.query(`select count(*)::int as n from ${schema}.outbox`);
    return rows[0]?.n;
  }

  /** The backend holding the session advisory lock `key` in this database, if any. */
  async function lockHolder(key: number): Promise<number | undefined> {
    const { rows } = await admin.query(
      `select pid from pg_locks
        where locktype = 'advisory' and granted and classid = 0 and objid = $1 and objsubid = 1
          and database = (select oid from pg_database where datname = current_database())`,
      [key],
    );
    return rows[0]?.pid;
  }

  function relayKey(): number {
    return 0x5a6a_0000 + Math.floor(Math.random() * 0xffff);
  }

  /** Relays of the running test, all stopped after it (a stop is idempotent). */
  const relays: OutboxRelay[] = [];
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((r) => r.stop()));
  });

  function relay(options: {
    pool: pg.Pool;
    producer: Producer;
    lockKey: number;
    channel?: string;
    instanceId?: string;
    pollIntervalMs?: number;
  }): OutboxRelay {
    const created = new OutboxRelay({
      ...options,
      logger: silent,
      batchSize: 2,
      toMessage: (row) => ({ key: row.messageKey, value: String(row.id) }),
    });
    relays.push(created);
    return created;
  }

  it("publishes in id order across a power of ten (numbers, not text), then deletes what it published", async () => {
    // Ids 8..12 sort 10, 11, 12, 8, 9 as text: the relay must not.
    for (const id of [12, 8, 11, 9, 10]) {
      await admin.query(
        `insert into ${schema}.outbox (id, event_id, event_type, topic, message_key, payload)
         values ($1, $2, 'OrderRequested', 'order-events', 'k', $3)`,
        [id, randomUUID(), JSON.stringify({ n: id })],
      );
    }
    const { producer, sent } = recordingProducer();
    const relay = new OutboxRelay({
      pool,
      producer,
      logger: silent,
      lockKey: 0x5a6a_7e57,
      batchSize: 2,
      toMessage: (row) => ({ key: row.messageKey, value: String(row.id) }),
    });
    await relay.start();
    await relay.stop();

    expect(sent).toEqual(["8", "9", "10", "11", "12"]);
    const { rows } = await admin.query(`select count(*)::int as n from ${schema}.outbox`);
    expect(rows[0]?.n).toBe(0);
  });

  it("reports itself stalled, with the reason, while a row cannot be published, and recovers once it can", async () => {
    await admin.query(
      `insert into ${schema}.outbox (event_id, event_type, topic, message_key, payload)
       values ($1, 'OrderRequested', 'order-events', 'k', '{"poison": true}')`,
      [randomUUID()],
    );
    const { producer, sent } = recordingProducer();
    let encodable = false;
    const relay = new OutboxRelay({
      pool,
      producer,
      logger: silent,
      lockKey: 0x5a6a_7e58,
      pollIntervalMs: 10,
      stallAfterFailures: 2,
      toMessage: (row) => {
        if (!encodable) throw new Error(`row ${row.id} cannot be encoded`);
        return { key: row.messageKey, value: "ok" };
      },
    });
    await relay.start();
    await expect.poll(() => relay.stalled, { timeout: 10_000 }).toMatch(/cannot be encoded/);
    encodable = true;
    await expect.poll(() => relay.stalled, { timeout: 10_000 }).toBeUndefined();
    await relay.stop();
    expect(sent).toEqual(["ok"]);
  });

  it("elects one publisher among relays on one database, and the other takes over, losing nothing, when its connection is killed", async () => {
    const lockKey = relayKey();
    const a = recordingProducer();
    const b = recordingProducer();
    const first = relay({ pool: instancePool(), producer: a.producer, lockKey, pollIntervalMs: 20 });
    const second = relay({ pool: instancePool(), producer: b.producer, lockKey, pollIntervalMs: 20 });
    await first.start();
    await second.start();
    expect(first.leading).toBe(true);
    expect(second.leading).toBe(false);

    await insertRows([12, 8, 11, 9, 10]);
    second.notify();
    await expect.poll(outboxRows, { timeout: 10_000 }).toBe(0);
    expect(a.sent).toEqual(["8", "9", "10", "11", "12"]);
    expect(b.sent).toEqual([]);

    const killed = await lockHolder(lockKey);
    expect(killed).toBeDefined();
    await admin.query("select pg_terminate_backend($1)", [killed]);
    await expect.poll(() => second.leading, { timeout: 10_000 }).toBe(true);
    expect(first.leading).toBe(false);
    expect(await lockHolder(lockKey)).not.toBe(killed);

    await insertRows([102, 98, 101, 99, 100]);
    await expect.poll(outboxRows, { timeout: 10_000 }).toBe(0);
    expect(b.sent).toEqual(["98", "99", "100", "101", "102"]);
    expect(a.sent).toHaveLength(5);

    // The first relay stands by again (waiting for the lock in the server), and stops without hanging.
    await first.stop();
    await second.stop();
    expect(await lockHolder(lockKey)).toBeUndefined();
  });

  it("hands the lead to a standby when the leader keeps failing to publish, losing nothing", async () => {
    const lockKey = relayKey();
    const broken = {
      sendBatch: async () => {
        throw new Error("the broker refuses this instance");
      },
    } as unknown as Producer;
    const healthy = recordingProducer();
    const first = new OutboxRelay({
      pool: instancePool(),
      producer: broken,
      logger: silent,
      lockKey,
      pollIntervalMs: 20,
      stallAfterFailures: 2,
      toMessage: (row) => ({ key: row.messageKey, value: String(row.id) }),
    });
    relays.push(first);
    const second = relay({ pool: instancePool(), producer: healthy.producer, lockKey, pollIntervalMs: 20 });
    await first.start();
    await second.start();
    expect(first.leading).toBe(true);

    await insertRows([3, 1, 2]);
    first.notify();
    await expect.poll(outboxRows, { timeout: 20_000 }).toBe(0);
    expect(second.leading).toBe(true);
    expect(healthy.sent).toEqual(["1", "2", "3"]);
  });

  it("republishes, in order, what a leader published but could not delete before its connection died", async () => {
    const lockKey = relayKey();
    let letAck: () => void = () => undefined;
    const acked = new Promise<void>((resolve) => {
      letAck = resolve;
    });
    let published = false;
    const a = recordingProducer(async () => {
      published = true;
      await acked;
    });
    const b = recordingProducer();
    const first = relay({ pool: instancePool(), producer: a.producer, lockKey, pollIntervalMs: 20 });
    const second = relay({ pool: instancePool(), producer: b.producer, lockKey, pollIntervalMs: 20 });
    await first.start();
    await second.start();

    await insertRows([208, 209, 210]);
    first.notify();
    await expect.poll(() => published, { timeout: 10_000 }).toBe(true);
    // Between the broker's acknowledgement and the delete, the leader's session dies.
    await admin.query("select pg_terminate_backend($1)", [await lockHolder(lockKey)]);
    letAck();

    await expect.poll(outboxRows, { timeout: 10_000 }).toBe(0);
    expect(a.sent).toEqual(["208", "209"]);
    expect(b.sent).toEqual(["208", "209", "210"]);
    expect(second.leading).toBe(true);
    await first.stop();
    await second.stop();
  });

  it("wakes the leader with the standby's commits through the channel, and ignores its own instance's notifications", async () => {
    const lockKey = relayKey();
    const channel = `relay_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const a = recordingProducer();
    const b = recordingProducer();
    // Polling is out of the picture: only a notification can wake the leader within the test.
    const pollIntervalMs = 600_000;
    const first = relay({
      pool: instancePool(),
      producer: a.producer,
      lockKey,
      channel,
      instanceId: "a",
      pollIntervalMs,
    });
    const second = relay({
      pool: instancePool(),
      producer: b.producer,
      lockKey,
      channel,
      instanceId: "b",
      pollIntervalMs,
    });
    await first.start();
    await second.start();
    expect(first.leading).toBe(true);
    const heard: string[] = [];
    const listener = new pg.Client({ connectionString: inject("orderDatabaseUrl") });
    await listener.connect();
    listener.on("notification", (message) => heard.push(message.payload ?? ""));
    await listener.query(`LISTEN "${channel}"`);
    try {
      await insertRows([301]);
      first.notify();
      await expect.poll(() => a.sent, { timeout: 5_000 }).toEqual(["301"]);

      await insertRows([302]);
      second.notify();
      await expect.poll(() => a.sent, { timeout: 5_000 }).toEqual(["301", "302"]);
      // The leader woke itself without a word on the channel; the standby announced its commit.
      await expect.poll(() => heard, { timeout: 5_000 }).toEqual(["b"]);

      await insertRows([303]);
      await admin.query("select pg_notify($1, 'a')", [channel]);
      await expect.poll(() => heard, { timeout: 5_000 }).toEqual(["b", "a"]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(a.sent).toEqual(["301", "302"]);
      await admin.query("select pg_notify($1, 'someone else')", [channel]);
      await expect.poll(() => a.sent, { timeout: 5_000 }).toEqual(["301", "302", "303"]);
      expect(b.sent).toEqual([]);
    } finally {
      await listener.end();
      await first.stop();
      await second.stop();
    }
  });

  /** A sample's value in the registry's text exposition. */
  async function sample(registry: Registry, series: string): Promise<number | undefined> {
    const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  function countingPool(registry: Registry): pg.Pool {
    const url = new URL(inject("orderDatabaseUrl"));
    url.searchParams.set("options", `-c search_path=${schema}`);
    const counted = createPool(url.toString(), 3, { metrics: registry, name: "relay" });
    pools.push(counted);
    return counted;
  }

  it("counts every statement of a pool and of the clients it hands out, and transactions by outcome", async () => {
    const registry = new Registry();
    const counted = countingPool(registry);
    await counted.query("select 1");
    await inTransaction(counted, (client) => client.query("select 2"));
    await expect(
      inTransaction(counted, async (client) => {
        await client.query("select 3");
        throw new Error("refused");
      }),
    ).rejects.toThrow("refused");

    expect(await sample(registry, 'stocksaga_db_statements_total{pool="relay"}')).toBe(7);
    expect(await sample(registry, 'stocksaga_db_transactions_total{pool="relay",outcome="commit"}')).toBe(1);
    expect(await sample(registry, 'stocksaga_db_transactions_total{pool="relay",outcome="rollback"}')).toBe(
      1,
    );
  });

  it("relays a batch in two statements: no transaction, no lock statement, no second look", async () => {
    const registry = new Registry();
    const { producer, sent } = recordingProducer();
    const leader = relay({
      pool: countingPool(registry),
      producer,
      lockKey: relayKey(),
      pollIntervalMs: 600_000,
    });
    await leader.start();
    const statements = async () =>
      (await sample(registry, 'stocksaga_db_statements_total{pool="relay"}')) ?? 0;
    // Taking the lead (the session's settings, the lock) and a first drain that found nothing;
    // from here on, only a wake-up makes it look again.
    await expect.poll(statements, { timeout: 5_000 }).toBe(3);
    const before = await statements();

    await insertRows([401]);
    leader.notify();
    await expect.poll(() => sent, { timeout: 5_000 }).toEqual(["401"]);
    await expect.poll(outboxRows, { timeout: 5_000 }).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await statements()) - before).toBe(2);
    expect(await sample(registry, 'stocksaga_db_transactions_total{pool="relay",outcome="commit"}')).toBe(0);
    await leader.stop();
  });
});

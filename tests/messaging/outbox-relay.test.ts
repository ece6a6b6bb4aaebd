import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { OutboxRelay } from "@stocksaga/messaging";
import { createLogger } from "@stocksaga/platform";
import type { Message, Producer, ProducerBatch } from "kafkajs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

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

  afterAll(async () => {
    await pool?.end();
    await admin?.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
  });

  function recordingProducer() {
    const sent: string[] = [];
    const producer = {
      sendBatch: async ({ topicMessages }: ProducerBatch) => {
        for (const { messages } of topicMessages ?? [])
          sent.push(...messages.map((m: Message) => String(m.value)));
        return [];
      },
    } as unknown as Producer;
    return { producer, sent };
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
});

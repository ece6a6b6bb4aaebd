import { setTimeout as sleep } from "node:timers/promises";
import { topicName } from "@stocksaga/contracts";
import { createKafka, createProducer, Subscription } from "@stocksaga/messaging";
import type { Logger } from "@stocksaga/platform";
import pg from "pg";

const HOP_TOPIC = "bench-floor-hop";
const COMMIT_SCHEMA = "stocksaga_bench_floor";

interface Probe {
  type: "Probe";
  id: string;
}

/**
 * One Kafka hop as the saga makes it, unloaded: the services' own producer (idempotent, acks
 * all, one request in flight) and consumer loop (`Subscription`: same group settings, one
 * message at a time), on the same broker. A message is sent only after the previous one
 * arrived, so each sample is send-start to handler-start.
 */
export async function measureKafkaHop(options: {
  brokers: readonly string[];
  samples: number;
  warmup: number;
  logger: Logger;
  runId: string;
}): Promise<number[]> {
  const kafka = createKafka({ clientId: "bench-floor", brokers: options.brokers, logger: options.logger });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: HOP_TOPIC, numPartitions: 1 }], waitForLeaders: true });
  const producer = createProducer(kafka);
  await producer.connect();
  const groupId = `bench-floor-${options.runId}`;
  const waiting = new Map<string, (at: number) => void>();
  const subscription = new Subscription<Probe>({
    kafka,
    groupId,
    topics: [HOP_TOPIC],
    decode: (_topic, value) => ({ type: "Probe", id: value.toString() }),
    handle: async ({ event }) => {
      const at = performance.now();
      waiting.get(event.id)?.(at);
    },
    deadLetters: { producer, topic: topicName("dead-letters") },
    logger: options.logger,
  });
  const hops: number[] = [];
  try {
    await subscription.start();
    for (let waited = 0; !subscription.joined; waited += 50) {
      if (waited > 30_000) throw new Error("the floor consumer did not join its group within 30 s");
      await sleep(50);
    }
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const id = `${options.runId}-${i}`;
      const arrived = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`floor probe ${id} did not arrive within 30 s`)),
          30_000,
        );
        waiting.set(id, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const sentAt = performance.now();
      await producer.send({ topic: HOP_TOPIC, acks: -1, messages: [{ key: id, value: id }] });
      const at = await arrived;
      waiting.delete(id);
      if (i >= options.warmup) hops.push(at - sentAt);
    }
  } finally {
    await subscription.stop().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.deleteTopics({ topics: [HOP_TOPIC] }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return hops;
}

/**
 * One durable commit on the services' PostgreSQL: begin, a small insert, commit, through `pg`
 * (what Prisma's adapter uses underneath). The probe table lives in a schema of its own in the
 * order database, dropped afterwards.
 */
export async function measureCommit(options: {
  databaseUrl: string;
  samples: number;
  warmup: number;
}): Promise<number[]> {
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const commits: number[] = [];
  try {
    await client.query(`create schema if not exists ${COMMIT_SCHEMA}`);
    await client.query(
      `create table if not exists ${COMMIT_SCHEMA}.commit_probe (
         id bigserial primary key, note text not null, at timestamptz not null default now())`,
    );
    for (let i = 0; i < options.warmup + options.samples; i++) {
      const started = performance.now();
      await client.query("begin");
      await client.query(`insert into ${COMMIT_SCHEMA}.commit_probe (note) values ($1)`, [`probe ${i}`]);
      await client.query("commit");
      if (i >= options.warmup) commits.push(performance.now() - started);
    }
  } finally {
    await client.query(`drop schema if exists ${COMMIT_SCHEMA} cascade`).catch(() => undefined);
    await client.end();
  }
  return commits;
}

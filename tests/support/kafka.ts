import { randomUUID } from "node:crypto";
import { EventCodec, type IntegrationEvent } from "@stocksaga/contracts";
import { type Admin, Kafka, type KafkaMessage, logLevel } from "kafkajs";
import { inject } from "vitest";
import { eventually } from "./api.js";

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  message: KafkaMessage;
}

export function testKafka(): Kafka {
  return new Kafka({
    clientId: `test-${randomUUID()}`,
    brokers: inject("kafkaBrokers").split(","),
    logLevel: logLevel.NOTHING,
  });
}

export async function testCodec(): Promise<EventCodec> {
  return EventCodec.connect({ registryUrl: inject("schemaRegistryUrl") });
}

/** Reads every record of `topic` up to its current end, from the beginning. */
/** The end offset of each partition of a topic now: where records written from now on start. */
export async function topicEnds(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, BigInt(e.high)]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Every record of a topic up to its end now, or only those from `from` on (offsets per partition,
 * from `topicEnds`): a test that reads only what it wrote stays fast on a topic earlier runs filled.
 */
export async function readTopic(
  kafka: Kafka,
  topic: string,
  from?: ReadonlyMap<number, bigint>,
): Promise<RawRecord[]> {
  const remaining = await topicEnds(kafka, topic);
  for (const [partition, high] of remaining) {
    if (high <= (from?.get(partition) ?? 0n)) remaining.delete(partition);
  }
  const records: RawRecord[] = [];
  if (remaining.size === 0) return records;

  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  if (from) {
    // Seeking is only possible once the consumer runs; it starts each partition at its offset.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: String(offset) });
    });
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reading ${topic} took over 30 s`)), 30_000);
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        const high = remaining.get(partition);
        if (high === undefined || BigInt(message.offset) < (from?.get(partition) ?? 0n)) return;
        records.push({ topic, partition, offset: message.offset, message });
        if (BigInt(message.offset) + 1n >= high) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return records;
}

export async function eventsOf(
  codec: EventCodec,
  records: readonly RawRecord[],
): Promise<(RawRecord & { event: IntegrationEvent })[]> {
  const decoded = [];
  for (const record of records) {
    if (!record.message.value) continue;
    try {
      decoded.push({ ...record, event: await codec.decode(record.topic, record.message.value) });
    } catch {
      // Poison planted by other tests: not an event.
    }
  }
  return decoded;
}

/** Sends the exact bytes (and key and headers) of a record again: a duplicate delivery. */
export async function redeliver(kafka: Kafka, record: RawRecord): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic: record.topic,
    messages: [
      {
        key: record.message.key,
        value: record.message.value,
        headers: record.message.headers,
        partition: record.partition,
      },
    ],
  });
  await producer.disconnect();
}

async function lag(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let total = 0n;
  for (const end of ends) {
    const position = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1";
    const at = BigInt(position) < 0n ? 0n : BigInt(position);
    total += BigInt(end.high) - at;
  }
  return total;
}

/** Waits until the consumer group has committed every record now on the topic. */
export async function caughtUp(
  kafka: Kafka,
  groupId: string,
  topic: string,
  timeoutMs = 30_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await eventually(
      `${groupId} to catch up on ${topic}`,
      async () => ((await lag(admin, groupId, topic)) === 0n ? true : undefined),
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

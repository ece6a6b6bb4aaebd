import { randomUUID } from "node:crypto";
import type { Admin, Kafka, KafkaMessage } from "kafkajs";

export type Offsets = Map<string, Map<number, bigint>>;

export interface RawRecord {
  topic: string;
  partition: number;
  offset: bigint;
  message: KafkaMessage;
}

export async function endOffsets(admin: Admin, topics: readonly string[]): Promise<Offsets> {
  const offsets: Offsets = new Map();
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    offsets.set(topic, new Map(ends.map((end) => [end.partition, BigInt(end.high)])));
  }
  return offsets;
}

/** Records the group has not committed yet on `topic` (a group that never committed counts from 0). */
export async function groupLag(admin: Admin, groupId: string, topic: string): Promise<bigint> {
  const ends = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  let total = 0n;
  for (const end of ends) {
    const position = BigInt(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? "-1");
    total += BigInt(end.high) - (position < 0n ? 0n : position);
  }
  return total;
}

export function sameOffsets(a: Offsets, b: Offsets): boolean {
  for (const [topic, partitions] of a) {
    const other = b.get(topic);
    if (!other || other.size !== partitions.size) return false;
    for (const [partition, offset] of partitions) if (other.get(partition) !== offset) return false;
  }
  return a.size === b.size;
}

/**
 * Reads every record of `topics` from `from` (offsets recorded at the start of the run) up to the
 * ends as they are now, with a consumer group of its own that nobody else uses.
 */
export async function readRecords(
  kafka: Kafka,
  topics: readonly string[],
  from: Offsets,
): Promise<RawRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const until = await endOffsets(admin, topics).finally(() => admin.disconnect());
  const remaining = new Map<string, bigint>();
  for (const [topic, partitions] of until) {
    for (const [partition, high] of partitions) {
      const start = from.get(topic)?.get(partition) ?? 0n;
      if (high > start) remaining.set(`${topic}/${partition}`, high);
    }
  }
  const records: RawRecord[] = [];
  if (remaining.size === 0) return records;

  const consumer = kafka.consumer({ groupId: `faults-reader-${randomUUID()}`, maxBytes: 10 * 1024 * 1024 });
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`reading ${topics.join(", ")}: ${remaining.size} partitions unfinished after 5 min`),
          ),
        300_000,
      );
      void consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const key = `${topic}/${partition}`;
            const high = remaining.get(key);
            if (high === undefined) return;
            const offset = BigInt(message.offset);
            const start = from.get(topic)?.get(partition) ?? 0n;
            if (offset >= start && offset < high) records.push({ topic, partition, offset, message });
            if (offset + 1n >= high) remaining.delete(key);
            if (remaining.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  records.sort((a, b) =>
    a.topic === b.topic
      ? a.partition === b.partition
        ? Number(a.offset - b.offset)
        : a.partition - b.partition
      : a.topic.localeCompare(b.topic),
  );
  return records;
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

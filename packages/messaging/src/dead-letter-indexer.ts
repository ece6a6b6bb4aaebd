import type { Consumer, IHeaders, Kafka } from "kafkajs";
import type { Logger } from "pino";
import type { DeadLetterIndex, IndexedDeadLetter } from "./dead-letter-index.js";
import { DEAD_LETTER_HEADERS } from "./dead-letters.js";

function text(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/** The dead letter a record of the dead-letters topic is, or undefined when its headers are not ours. */
export function deadLetterOf(
  topic: string,
  partition: number,
  message: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders },
): Omit<IndexedDeadLetter, "replays"> | undefined {
  const headers = message.headers ?? {};
  const group = text(headers[DEAD_LETTER_HEADERS.group]);
  const originTopic = text(headers[DEAD_LETTER_HEADERS.topic]);
  const originPartition = Number(text(headers[DEAD_LETTER_HEADERS.partition]));
  const originOffset = Number(text(headers[DEAD_LETTER_HEADERS.offset]));
  if (!group || !originTopic || !Number.isInteger(originPartition) || !Number.isInteger(originOffset)) {
    return undefined;
  }
  const failedAt = new Date(text(headers[DEAD_LETTER_HEADERS.at]) ?? "");
  const dlt = new Set<string>(Object.values(DEAD_LETTER_HEADERS));
  const original: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (dlt.has(name) || first === undefined) continue;
    original[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return {
    id: `${topic}-${partition}-${message.offset}`,
    reason: text(headers[DEAD_LETTER_HEADERS.reason]) ?? "unknown",
    detail: text(headers[DEAD_LETTER_HEADERS.detail]) ?? "",
    origin: { topic: originTopic, partition: originPartition, offset: originOffset, consumerGroup: group },
    failedAt: Number.isNaN(failedAt.getTime()) ? new Date(0) : failedAt,
    key: message.key,
    value: message.value,
    headers: original,
  };
}

/**
 * Reads the dead-letters topic in a consumer group of its own (`<group>-dead-letters`) and keeps
 * the letters that `consumerGroup` sent there in the service's `dead_letters` table. Offsets are
 * committed after the letters are stored; storing twice changes nothing.
 */
export class DeadLetterIndexer {
  private readonly consumer: Consumer;
  private stopping = false;

  constructor(
    private readonly options: {
      kafka: Kafka;
      topic: string;
      consumerGroup: string;
      index: DeadLetterIndex;
      logger: Logger;
    },
  ) {
    this.consumer = options.kafka.consumer({
      groupId: `${options.consumerGroup}-dead-letters`,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      if (this.stopping || payload.restart) return;
      options.logger.warn({ err: payload.error }, "dead-letter indexer stopped; starting again");
      setTimeout(() => {
        if (!this.stopping)
          this.start().catch((error: unknown) =>
            options.logger.warn({ err: error }, "dead-letter indexer did not start"),
          );
      }, 2_000);
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.options.topic, fromBeginning: true });
    await this.consumer.run({
      eachBatch: async ({ batch }) => {
        const ours = batch.messages
          .map((message) => deadLetterOf(batch.topic, batch.partition, message))
          .filter((letter) => letter?.origin.consumerGroup === this.options.consumerGroup);
        await this.options.index.record(ours.filter((letter) => letter !== undefined));
        if (ours.length > 0) this.options.logger.info({ count: ours.length }, "indexed dead letters");
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.consumer.disconnect();
  }
}

import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { type IntegrationEvent, type StockReserved, topicName } from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import {
  createProducer,
  DEAD_LETTER_HEADERS,
  InvalidEventError,
  kafkaRequestMetrics,
  Subscription,
} from "@stocksaga/messaging";
import { createLogger, Registry } from "@stocksaga/platform";
import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../support/api.js";
import { readTopic, testCodec, testKafka } from "../support/kafka.js";

const silent = createLogger("test", "silent", new Writable({ write: (_c, _e, cb) => cb() }));

/**
 * The consumer loop on a real broker: poison goes to the dead-letter topic with its reason and
 * origin, and consumption carries on; a transient failure is retried, never skipped.
 */
describe("a subscription", () => {
  let kafka: Kafka;
  let producer: Producer;
  const topic = `test-reservations-${randomUUID()}`;
  const deadLetters = `test-dead-letters-${randomUUID()}`;

  beforeAll(async () => {
    kafka = testKafka();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic, numPartitions: 1, replicationFactor: 1 },
        { topic: deadLetters, numPartitions: 1, replicationFactor: 1 },
      ],
    });
    await admin.disconnect();
    producer = createProducer(kafka);
    await producer.connect();
  });

  afterAll(async () => {
    await producer?.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic, deadLetters] }).catch(() => undefined);
    await admin.disconnect();
  });

  it("dead-letters what it cannot use, retries what failed for now, and keeps order", async () => {
    const codec = await testCodec();
    const valid = (orderId: string): StockReserved => ({
      ...SAMPLE_EVENTS.StockReserved,
      orderId,
      metadata: { ...SAMPLE_EVENTS.StockReserved.metadata, eventId: randomUUID() },
    });
    const first = valid(randomUUID());
    const impossible = valid(randomUUID());
    const flaky = valid(randomUUID());
    const last = valid(randomUUID());
    const wrongType = SAMPLE_EVENTS.OrderRequested as IntegrationEvent;

    const encodedWrongType = codec.encode(wrongType);
    await producer.send({
      topic,
      messages: [
        { key: "a", value: codec.encode(first) },
        { key: "b", value: Buffer.from("not avro at all") },
        { key: "c", value: Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]) },
        { key: "d", value: encodedWrongType },
        { key: "e", value: codec.encode(impossible) },
        { key: "f", value: codec.encode(flaky) },
        { key: "g", value: codec.encode(last) },
      ],
    });

    const handled: string[] = [];
    let flakyAttempts = 0;
    const subscription = new Subscription<IntegrationEvent>({
      kafka,
      groupId: `test-${randomUUID()}`,
      topics: [topic],
      // Decode as if this topic were reservation-events: an OrderRequested does not belong there.
      decode: (_topic, value) => codec.decode(topicName("reservation-events"), value),
      handle: async ({ event }) => {
        if (event.type !== "StockReserved") throw new Error(`unexpected ${event.type}`);
        if (event.orderId === impossible.orderId)
          throw new InvalidEventError("UNKNOWN_ORDER", "no such order");
        if (event.orderId === flaky.orderId && ++flakyAttempts < 3) throw new Error("database is restarting");
        handled.push(event.orderId);
      },
      deadLetters: { producer, topic: deadLetters },
      logger: silent,
      retry: { initialMs: 50, maxMs: 200 },
    });
    await subscription.start();
    try {
      await eventually("the last message to be handled", async () =>
        handled.includes(last.orderId) ? true : undefined,
      );
    } finally {
      await subscription.stop();
    }

    expect(handled).toEqual([first.orderId, flaky.orderId, last.orderId]);
    expect(flakyAttempts).toBe(3);

    const letters = await readTopic(kafka, deadLetters);
    const summary = letters.map((l) => ({
      key: l.message.key?.toString(),
      reason: l.message.headers?.[DEAD_LETTER_HEADERS.reason]?.toString(),
      topic: l.message.headers?.[DEAD_LETTER_HEADERS.topic]?.toString(),
      offset: l.message.headers?.[DEAD_LETTER_HEADERS.offset]?.toString(),
    }));
    expect(summary).toEqual([
      { key: "b", reason: "DECODE_WRONG_MAGIC_BYTE", topic, offset: "1" },
      { key: "c", reason: "DECODE_UNKNOWN_SCHEMA_ID", topic, offset: "2" },
      { key: "d", reason: "DECODE_UNEXPECTED_RECORD_TYPE", topic, offset: "3" },
      { key: "e", reason: "UNKNOWN_ORDER", topic, offset: "4" },
    ]);
    expect(letters[0]?.message.value?.toString()).toBe("not avro at all");
    expect(letters[2]?.message.value?.equals(encodedWrongType)).toBe(true);
  });

  it("counts the Kafka requests of its producer and its consumer, by API", async () => {
    const registry = new Registry();
    const requests = kafkaRequestMetrics(registry);
    const counted = createProducer(kafka);
    requests.countProducer(counted);
    await counted.connect();
    const codec = await testCodec();
    const orderId = randomUUID();
    const event: StockReserved = {
      ...SAMPLE_EVENTS.StockReserved,
      orderId,
      metadata: { ...SAMPLE_EVENTS.StockReserved.metadata, eventId: randomUUID() },
    };
    const requestsOf = async (client: string, api: string) => {
      const series = `stocksaga_kafka_requests_total{client="${client}",api="${api}"} `;
      const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(series));
      return line === undefined ? 0 : Number(line.slice(series.length));
    };
    try {
      await counted.send({ topic, messages: [{ key: orderId, value: codec.encode(event) }] });
      expect(await requestsOf("producer", "Produce")).toBe(1);
    } finally {
      await counted.disconnect();
    }

    const handled: string[] = [];
    const subscription = new Subscription<IntegrationEvent>({
      kafka,
      groupId: `test-${randomUUID()}`,
      topics: [topic],
      decode: (_topic, value) => codec.decode(topicName("reservation-events"), value),
      handle: async ({ event: received }) => {
        if (received.type === "StockReserved") handled.push(received.orderId);
      },
      deadLetters: { producer, topic: deadLetters },
      logger: silent,
      instrument: requests.countConsumer,
    });
    await subscription.start();
    try {
      await eventually("the counted message to be handled", async () =>
        handled.includes(orderId) ? true : undefined,
      );
    } finally {
      await subscription.stop();
    }
    expect(await requestsOf("consumer", "Fetch")).toBeGreaterThanOrEqual(1);
    expect(await requestsOf("consumer", "Produce")).toBe(0);
  });
});

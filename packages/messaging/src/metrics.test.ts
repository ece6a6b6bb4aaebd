import { EventEmitter } from "node:events";
import { Writable } from "node:stream";
import type { Consumer, Kafka, Producer } from "kafkajs";
import { pino } from "pino";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import {
  consumerLagMetrics,
  kafkaRequestMetrics,
  outboxRelayMetrics,
  subscriptionMetrics,
} from "./metrics.js";
import type { OutboxRow } from "./outbox-relay.js";

const lines: string[] = [];
const logger = pino(
  { level: "warn" },
  new Writable({
    write: (chunk, _encoding, callback) => {
      lines.push(String(chunk));
      callback();
    },
  }),
);

/** The value of one sample in the text exposition, matched by name and exact label set. */
async function sample(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const wanted = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(",");
  const line = (await registry.metrics())
    .split("\n")
    .find((l) => l.startsWith(wanted ? `${name}{${wanted}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

function row(id: number, eventType: string, createdAt: Date): OutboxRow {
  return {
    id: String(id),
    eventId: `00000000-0000-4000-8000-00000000000${id}`,
    eventType,
    topic: "order-events",
    messageKey: "order-1",
    payload: {},
    headers: null,
    createdAt,
  };
}

describe("subscription metrics", () => {
  it("counts deliveries by type and outcome, and times handled ones", async () => {
    const registry = new Registry();
    const hooks = subscriptionMetrics(registry);
    hooks.handled("order-events", "OrderRequested", 12);
    hooks.handled("order-events", "OrderRequested", 30);
    hooks.handled("order-events", "OrderConfirmed", 5);
    hooks.retried("order-events", 1, "OrderConfirmed");
    hooks.retried("order-events", 2, "OrderConfirmed");
    hooks.deadLettered("order-events", "UNKNOWN_ORDER_REQUEST", "OrderCancelled");

    const consumed = (type: string, outcome: string) =>
      sample(registry, "stocksaga_events_consumed_total", { topic: "order-events", type, outcome });
    expect(await consumed("OrderRequested", "handled")).toBe(2);
    expect(await consumed("OrderConfirmed", "handled")).toBe(1);
    expect(await consumed("OrderConfirmed", "retried")).toBe(2);
    expect(await consumed("OrderCancelled", "dead_lettered")).toBe(1);
    expect(
      await sample(registry, "stocksaga_event_handler_duration_seconds_count", { type: "OrderRequested" }),
    ).toBe(2);
    expect(
      await sample(registry, "stocksaga_event_handler_duration_seconds_sum", { type: "OrderRequested" }),
    ).toBeCloseTo(0.042, 6);
    expect(
      await sample(registry, "stocksaga_dead_letters_total", {
        topic: "order-events",
        reason: "UNKNOWN_ORDER_REQUEST",
      }),
    ).toBe(1);
  });

  it("counts a message that never decoded under the type unknown", async () => {
    const registry = new Registry();
    const hooks = subscriptionMetrics(registry);
    hooks.deadLettered("reservation-events", "DECODE_UNKNOWN_SCHEMA");
    hooks.retried("reservation-events", 1);
    const consumed = (outcome: string) =>
      sample(registry, "stocksaga_events_consumed_total", {
        topic: "reservation-events",
        type: "unknown",
        outcome,
      });
    expect(await consumed("dead_lettered")).toBe(1);
    expect(await consumed("retried")).toBe(1);
    expect(
      await sample(registry, "stocksaga_dead_letters_total", {
        topic: "reservation-events",
        reason: "DECODE_UNKNOWN_SCHEMA",
      }),
    ).toBe(1);
  });
});

describe("outbox relay metrics", () => {
  it("counts published events by type and observes how long each row waited", async () => {
    const registry = new Registry();
    const now = Date.parse("2025-01-01T12:00:10.000Z");
    const relay = outboxRelayMetrics(registry, { backlog: async () => 0, logger, clock: () => now });
    relay.published([
      row(1, "OrderRequested", new Date("2025-01-01T12:00:09.950Z")),
      row(2, "OrderRequested", new Date("2025-01-01T12:00:08.000Z")),
      row(3, "OrderConfirmed", new Date("2025-01-01T12:00:09.999Z")),
    ]);

    expect(
      await sample(registry, "stocksaga_events_produced_total", {
        topic: "order-events",
        type: "OrderRequested",
      }),
    ).toBe(2);
    expect(
      await sample(registry, "stocksaga_events_produced_total", {
        topic: "order-events",
        type: "OrderConfirmed",
      }),
    ).toBe(1);
    expect(await sample(registry, "stocksaga_outbox_relay_latency_seconds_count")).toBe(3);
    expect(await sample(registry, "stocksaga_outbox_relay_latency_seconds_sum")).toBeCloseTo(2.051, 6);
    expect(await sample(registry, "stocksaga_outbox_relay_latency_seconds_bucket", { le: "0.05" })).toBe(2);
    expect(await sample(registry, "stocksaga_outbox_relay_latency_seconds_bucket", { le: "1" })).toBe(2);
    expect(await sample(registry, "stocksaga_outbox_relay_latency_seconds_bucket", { le: "2.5" })).toBe(3);
  });

  it("counts the backlog when scraped, and says NaN rather than a stale count when it cannot", async () => {
    const registry = new Registry();
    let backlog: () => Promise<number> = async () => 7;
    outboxRelayMetrics(registry, { backlog: () => backlog(), logger });
    expect(await sample(registry, "stocksaga_outbox_backlog_events")).toBe(7);

    backlog = async () => 0;
    expect(await sample(registry, "stocksaga_outbox_backlog_events")).toBe(0);

    backlog = async () => {
      throw new Error("database unreachable");
    };
    lines.length = 0;
    expect(await sample(registry, "stocksaga_outbox_backlog_events")).toBeNaN();
    expect(lines.join("")).toContain("could not count the outbox backlog");
  });
});

type Offsets = { high: number; low: number; committed?: number };

/** An admin client over fixed offsets, per partition of `order-events`. */
function kafkaWith(state: { partitions: Offsets[]; hang?: boolean; connects: number; disconnects: number }) {
  const admin = {
    connect: async () => {
      state.connects++;
    },
    disconnect: async () => {
      state.disconnects++;
    },
    fetchTopicOffsets: async (topic: string) => {
      if (state.hang) await new Promise(() => undefined);
      expect(topic).toBe("order-events");
      return state.partitions.map((p, partition) => ({
        partition,
        offset: String(p.high),
        high: String(p.high),
        low: String(p.low),
      }));
    },
    fetchOffsets: async ({ groupId, topics }: { groupId: string; topics: string[] }) => {
      expect(groupId).toBe("inventory-service");
      return topics.map((topic) => ({
        topic,
        partitions: state.partitions.map((p, partition) => ({
          partition,
          offset: String(p.committed ?? -1),
          metadata: null,
        })),
      }));
    },
  };
  return { admin: () => admin } as unknown as Kafka;
}

describe("consumer lag metrics", () => {
  it("reports end offset minus committed offset per partition, asked at scrape time", async () => {
    const registry = new Registry();
    const state = {
      partitions: [
        { high: 10, low: 0, committed: 10 },
        { high: 25, low: 0, committed: 20 },
        { high: 8, low: 3 },
      ],
      connects: 0,
      disconnects: 0,
    };
    const lag = consumerLagMetrics(registry, {
      kafka: kafkaWith(state),
      groupId: "inventory-service",
      topics: ["order-events"],
      logger,
    });
    const partition = (p: number) =>
      sample(registry, "stocksaga_consumer_lag_messages", { topic: "order-events", partition: String(p) });
    expect(await partition(0)).toBe(0);
    expect(await partition(1)).toBe(5);
    // Nothing committed: the group reads from the beginning, so every retained message waits.
    expect(await partition(2)).toBe(5);

    state.partitions[1] = { high: 30, low: 0, committed: 21 };
    expect(await partition(1)).toBe(9);
    expect(state.connects).toBe(1);

    await lag.stop();
    expect(state.disconnects).toBe(1);
  });

  it("leaves the series out, rather than stale, when the broker does not answer in time", async () => {
    const registry = new Registry();
    const state = {
      partitions: [{ high: 4, low: 0, committed: 1 }],
      connects: 0,
      disconnects: 0,
      hang: false,
    };
    const lag = consumerLagMetrics(registry, {
      kafka: kafkaWith(state),
      groupId: "inventory-service",
      topics: ["order-events"],
      logger,
      timeoutMs: 50,
    });
    expect(
      await sample(registry, "stocksaga_consumer_lag_messages", { topic: "order-events", partition: "0" }),
    ).toBe(3);
    state.hang = true;
    lines.length = 0;
    const text = await registry.metrics();
    expect(text).not.toMatch(/^stocksaga_consumer_lag_messages\{/m);
    expect(lines.join("")).toContain("could not read consumer lag");
    await lag.stop();
  });
});

describe("Kafka request metrics", () => {
  /** A kafkajs client reduced to its instrumentation: `request` plays one answered request. */
  function instrumented(prefix: string) {
    const emitter = new EventEmitter();
    const events = { REQUEST: `${prefix}.network.request` };
    const client = {
      events,
      on: (name: string, listener: (event: unknown) => void) => emitter.on(name, listener),
    };
    const request = (apiName: string) => emitter.emit(events.REQUEST, { payload: { apiName } });
    return { client, request };
  }

  it("counts the requests of the producer and of the consumer, by API", async () => {
    const registry = new Registry();
    const requests = kafkaRequestMetrics(registry);
    const producer = instrumented("producer");
    const consumer = instrumented("consumer");
    requests.countProducer(producer.client as unknown as Producer);
    requests.countConsumer(consumer.client as unknown as Consumer);

    producer.request("Metadata");
    producer.request("Produce");
    producer.request("Produce");
    consumer.request("Fetch");

    expect(
      await sample(registry, "stocksaga_kafka_requests_total", { client: "producer", api: "Produce" }),
    ).toBe(2);
    expect(
      await sample(registry, "stocksaga_kafka_requests_total", { client: "producer", api: "Metadata" }),
    ).toBe(1);
    expect(
      await sample(registry, "stocksaga_kafka_requests_total", { client: "consumer", api: "Fetch" }),
    ).toBe(1);
    expect(
      await sample(registry, "stocksaga_kafka_requests_total", { client: "consumer", api: "Produce" }),
    ).toBeUndefined();
  });
});

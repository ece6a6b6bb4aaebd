import type { Admin, Consumer, Kafka, Producer } from "kafkajs";
import type { Logger } from "pino";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { SubscriptionHooks } from "./consumer.js";
import type { OutboxRow } from "./outbox-relay.js";

/** Seconds a reaction takes: one short database transaction, up to a slow one. */
const HANDLER_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds from commit to publish: a NOTIFY wakes the relay at once; a poll, a backlog or an outage take longer. */
const RELAY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A decode failure has no event type; one label value keeps those countable without inventing one. */
const UNKNOWN_TYPE = "unknown";

/**
 * Subscription hooks that count what the consumer does with each delivery:
 * `stocksaga_events_consumed_total{topic, type, outcome}` (`handled`, `dead_lettered`, and
 * `retried` once per failed attempt that will be tried again),
 * `stocksaga_event_handler_duration_seconds{type}` for handled events, and
 * `stocksaga_dead_letters_total{topic, reason}`.
 */
export function subscriptionMetrics(registry: Registry): Required<SubscriptionHooks> {
  const consumed = new Counter({
    name: "stocksaga_events_consumed_total",
    help: "Deliveries consumed, by topic, event type and outcome (handled, dead_lettered, retried).",
    labelNames: ["topic", "type", "outcome"] as const,
    registers: [registry],
  });
  const handlerDuration = new Histogram({
    name: "stocksaga_event_handler_duration_seconds",
    help: "Time a reaction took to apply an event durably, by event type (handled events only).",
    labelNames: ["type"] as const,
    buckets: HANDLER_BUCKETS,
    registers: [registry],
  });
  const deadLetters = new Counter({
    name: "stocksaga_dead_letters_total",
    help: "Messages sent to the dead-letter topic, by origin topic and reason.",
    labelNames: ["topic", "reason"] as const,
    registers: [registry],
  });
  return {
    handled: (topic, eventType, durationMs) => {
      consumed.inc({ topic, type: eventType, outcome: "handled" });
      handlerDuration.observe({ type: eventType }, durationMs / 1000);
    },
    deadLettered: (topic, reason, eventType) => {
      consumed.inc({ topic, type: eventType ?? UNKNOWN_TYPE, outcome: "dead_lettered" });
      deadLetters.inc({ topic, reason });
    },
    retried: (topic, _attempt, eventType) => {
      consumed.inc({ topic, type: eventType ?? UNKNOWN_TYPE, outcome: "retried" });
    },
  };
}

/**
 * The outbox relay's `published` hook, counting `stocksaga_events_produced_total{topic, type}` and
 * observing `stocksaga_outbox_relay_latency_seconds` (publish time minus the row's `created_at`);
 * and `stocksaga_outbox_backlog_events`, the rows waiting, counted when the registry is scraped
 * (NaN when they cannot be counted).
 */
export function outboxRelayMetrics(
  registry: Registry,
  options: { backlog: () => Promise<number>; logger: Logger; clock?: () => number },
): { published: (rows: readonly OutboxRow[]) => void; failed: () => void } {
  const clock = options.clock ?? Date.now;
  const failures = new Counter({
    name: "stocksaga_outbox_relay_failures_total",
    help: "Outbox drains that failed and were retried (a row that cannot be encoded fails every time).",
    registers: [registry],
  });
  const produced = new Counter({
    name: "stocksaga_events_produced_total",
    help: "Events published from the outbox to Kafka, by topic and event type.",
    labelNames: ["topic", "type"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "stocksaga_outbox_relay_latency_seconds",
    help: "Time from an outbox row's commit (created_at) to its publication on Kafka.",
    buckets: RELAY_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: "stocksaga_outbox_backlog_events",
    help: "Outbox rows committed and not yet published, counted at scrape time.",
    registers: [registry],
    async collect() {
      try {
        this.set(await options.backlog());
      } catch (error) {
        // Unknown rather than stale (a gauge without labels cannot be left out), and the rest of
        // the scrape still answers.
        this.set(Number.NaN);
        options.logger.warn({ err: error }, "could not count the outbox backlog for metrics");
      }
    },
  });
  return {
    published: (rows) => {
      const now = clock();
      for (const row of rows) {
        produced.inc({ topic: row.topic, type: row.eventType });
        latency.observe(Math.max(0, now - new Date(row.createdAt).getTime()) / 1000);
      }
    },
    failed: () => failures.inc(),
  };
}

export interface ConsumerLagOptions {
  kafka: Kafka;
  groupId: string;
  topics: readonly string[];
  logger: Logger;
  /** A scrape waits at most this long for the broker; defaults to 3 s. */
  timeoutMs?: number;
}

/**
 * `stocksaga_consumer_lag_messages{topic, partition}`: the partition's end offset minus the
 * group's committed offset, asked of the broker when the registry is scraped. Committed offsets,
 * not kafkajs' fetch instrumentation, because a partition stuck retrying one message fetches
 * nothing, so fetch events would keep showing the lag of before the stall while it grows.
 */
export function consumerLagMetrics(
  registry: Registry,
  options: ConsumerLagOptions,
): { stop: () => Promise<void> } {
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;
  const connected = (): Promise<Admin> => {
    connecting ??= (async () => {
      const client = options.kafka.admin();
      try {
        await client.connect();
      } catch (error) {
        connecting = undefined;
        throw error;
      }
      admin = client;
      return client;
    })();
    return connecting;
  };

  const read = async (): Promise<{ topic: string; partition: number; lag: number }[]> => {
    const client = await connected();
    const lags: { topic: string; partition: number; lag: number }[] = [];
    for (const topic of options.topics) {
      const [ends, committed] = await Promise.all([
        client.fetchTopicOffsets(topic),
        client.fetchOffsets({ groupId: options.groupId, topics: [topic] }),
      ]);
      const committedByPartition = new Map(
        (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((p) => [
          p.partition,
          p.offset,
        ]),
      );
      for (const end of ends) {
        const offset = committedByPartition.get(end.partition);
        // Nothing committed yet: the group starts from the beginning, so everything retained is lag.
        const from = offset === undefined || Number(offset) < 0 ? Number(end.low) : Number(offset);
        lags.push({ topic, partition: end.partition, lag: Math.max(0, Number(end.high) - from) });
      }
    }
    return lags;
  };

  const timeoutMs = options.timeoutMs ?? 3_000;
  new Gauge({
    name: "stocksaga_consumer_lag_messages",
    help: "Messages between the consumer group's committed offset and the end of each partition.",
    labelNames: ["topic", "partition"] as const,
    registers: [registry],
    async collect() {
      let timer: NodeJS.Timeout | undefined;
      try {
        const lags = await Promise.race([
          read(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        this.reset();
        for (const { topic, partition, lag } of lags) this.set({ topic, partition: String(partition) }, lag);
      } catch (error) {
        this.reset();
        options.logger.warn({ err: error }, "could not read consumer lag for metrics");
      } finally {
        clearTimeout(timer);
      }
    },
  });

  return {
    stop: async () => {
      const client = admin ?? (await connecting?.catch(() => undefined));
      admin = undefined;
      connecting = undefined;
      await client?.disconnect();
    },
  };
}

/**
 * `stocksaga_kafka_requests_total{client, api}`: requests sent to the brokers, by the kafkajs client
 * that sent them (`producer`, `consumer`) and the Kafka API (`Produce`, `Fetch`, `Metadata`,
 * `OffsetCommit`, `Heartbeat`…), counted from kafkajs' instrumentation events as each is answered.
 * `Produce` requests per published message show how well the relay's batches fill.
 */
export function kafkaRequestMetrics(registry: Registry): {
  countProducer: (producer: Producer) => void;
  countConsumer: (consumer: Consumer) => void;
} {
  const counts = new Map<string, { client: string; api: string; n: number }>();
  new Counter({
    name: "stocksaga_kafka_requests_total",
    help: "Requests sent to the Kafka brokers, by client (producer, consumer) and API.",
    labelNames: ["client", "api"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { client, api, n } of counts.values()) this.inc({ client, api }, n);
    },
  });
  const count = (client: string, api: string) => {
    const key = `${client} ${api}`;
    const entry = counts.get(key);
    if (entry) entry.n++;
    else counts.set(key, { client, api, n: 1 });
  };
  return {
    countProducer: (producer) => {
      producer.on(producer.events.REQUEST, ({ payload }) => count("producer", payload.apiName));
    },
    countConsumer: (consumer) => {
      consumer.on(consumer.events.REQUEST, ({ payload }) => count("consumer", payload.apiName));
    },
  };
}

import {
  DEAD_LETTER_TOPIC,
  EventCodec,
  type EventType,
  type IntegrationEvent,
  keyFor,
  type SagaTopic,
  topicName,
} from "@stocksaga/contracts";
import type { ReadinessCheck, ServiceConfig } from "@stocksaga/platform";
import type { Consumer, Kafka, Producer } from "kafkajs";
import type pg from "pg";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { type BatchHandler, Subscription } from "./consumer.js";
import { traceConsumption } from "./consumer-tracing.js";
import { DeadLetterAdmin } from "./dead-letter-admin.js";
import { DeadLetterIndex } from "./dead-letter-index.js";
import { DeadLetterIndexer } from "./dead-letter-indexer.js";
import { eventLogContext, logPublished } from "./event-logging.js";
import { createKafka, createProducer } from "./kafka.js";
import {
  consumerLagMetrics,
  kafkaRequestMetrics,
  outboxRelayMetrics,
  subscriptionMetrics,
} from "./metrics.js";
import { OutboxRelay } from "./outbox-relay.js";

/** What a service's messaging reads of its config: shared keys, and the service's own consumer group. */
export type MessagingConfig = Pick<
  ServiceConfig,
  | "SCHEMA_REGISTRY_URL"
  | "KAFKA_BROKERS"
  | "KAFKA_MAX_BATCH_SIZE"
  | "KAFKA_SESSION_TIMEOUT_MS"
  | "KAFKA_HEARTBEAT_INTERVAL_MS"
  | "KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY"
  | "OUTBOX_POLL_INTERVAL_MS"
  | "OUTBOX_VACUUM_AFTER_ROWS"
  | "STOCKSAGA_FAULT_DUPLICATE_PUBLISH"
> & { KAFKA_GROUP_ID: string };

export interface ServiceMessagingOptions {
  /** The service's name, its Kafka client id. */
  clientId: string;
  /** What this service writes and reads; the codec refuses to start unless each schema is registered. */
  events: readonly EventType[];
  config: MessagingConfig;
  /** A plain pool on the service's database (see `createPool`), where its outbox is. */
  pool: pg.Pool;
  /**
   * The session advisory lock that elects the one relay of that database (held on a connection of
   * `pool` for as long as it leads or stands by), and the channel on which instances whose relay
   * does not lead wake the one that does.
   */
  outbox: { lockKey: number; channel: string };
  logger: Logger;
  metrics: Registry;
}

export interface ConsumeOptions {
  topics: readonly SagaTopic[];
  handleBatch: BatchHandler<IntegrationEvent>;
  /** The consumer died for good: the process should exit. */
  onFatal: (error: unknown) => void;
}

/**
 * The Kafka side every service has: the codec, one idempotent producer, the outbox relay that
 * publishes what the service commits, and the subscription that feeds its reactions, with their
 * metrics, log lines and readiness checks.
 *
 * `start` connects and starts the relay, so that the service's application can wake it on every
 * commit; `consume` starts the subscription once the reactions exist. A service stops it in two
 * steps around the drain of its HTTP server: `stopConsuming`, and after the last request has been
 * answered `stopPublishing`, whose relay flushes what those requests committed.
 */
export class ServiceMessaging {
  /** consumer (joined its group), outboxRelay (not stalled), registry (answers), in that order. */
  readonly readiness: readonly ReadinessCheck[];
  private subscription: Subscription<IntegrationEvent> | undefined;
  private lag: { stop: () => Promise<void> } | undefined;
  private deadLetterIndexer: DeadLetterIndexer | undefined;

  private constructor(
    private readonly options: ServiceMessagingOptions,
    private readonly codec: EventCodec,
    private readonly kafka: Kafka,
    private readonly producer: Producer,
    private readonly relay: OutboxRelay,
    private readonly countConsumerRequests: (consumer: Consumer) => void,
  ) {
    const registryUrl = options.config.SCHEMA_REGISTRY_URL;
    this.readiness = [
      { name: "consumer", check: async () => this.subscription?.joined ?? false },
      { name: "outboxRelay", check: async () => this.relay.stalled === undefined },
      {
        name: "registry",
        check: async () =>
          (await fetch(`${registryUrl}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok,
      },
    ];
  }

  static async start(options: ServiceMessagingOptions): Promise<ServiceMessaging> {
    const { config, logger, metrics } = options;
    const codec = await EventCodec.connect({
      registryUrl: config.SCHEMA_REGISTRY_URL,
      events: options.events,
    });
    const kafka = createKafka({ clientId: options.clientId, brokers: config.KAFKA_BROKERS, logger });
    const producer = createProducer(kafka);
    const kafkaRequests = kafkaRequestMetrics(metrics);
    kafkaRequests.countProducer(producer);
    await producer.connect();

    const relayMetrics = outboxRelayMetrics(metrics, { backlog: () => relay.backlog(), logger });
    const relay = new OutboxRelay({
      pool: options.pool,
      producer,
      logger,
      lockKey: options.outbox.lockKey,
      channel: options.outbox.channel,
      pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
      vacuumAfterRows: config.OUTBOX_VACUUM_AFTER_ROWS,
      duplicateDeliveries: config.STOCKSAGA_FAULT_DUPLICATE_PUBLISH,
      toMessage: (row) => ({
        key: row.messageKey,
        value: codec.encode(row.payload as IntegrationEvent),
        headers: { ...(row.headers ?? {}), "event-type": row.eventType, "event-id": row.eventId },
      }),
      hooks: {
        published: (rows) => {
          relayMetrics.published(rows);
          logPublished(logger, rows);
        },
        failed: relayMetrics.failed,
      },
    });
    await relay.start();
    return new ServiceMessaging(options, codec, kafka, producer, relay, kafkaRequests.countConsumer);
  }

  /** Where an event is published: the topic of its type, keyed by the aggregate whose order matters. */
  readonly route = (event: IntegrationEvent): { topic: string; key: string } => ({
    topic: this.codec.topicFor(event.type),
    key: keyFor(event),
  });

  /** Events this instance's consumer is behind the end of its partitions (0 before it consumes). */
  get consumerLag(): number {
    return this.subscription?.lag ?? 0;
  }

  /** Committed events the relay has not published yet (one count over the outbox). */
  outboxBacklog(): Promise<number> {
    return this.relay.backlog();
  }

  /**
   * Call after each commit that wrote outbox rows, outside the transaction: the relay publishes at
   * once if it leads, and if it does not, the leader (in another instance) is told on the outbox
   * channel — one notification in flight at most, however many commits call this meanwhile.
   */
  notify(): void {
    this.relay.notify();
  }

  async consume({ topics, handleBatch, onFatal }: ConsumeOptions): Promise<void> {
    if (this.subscription) throw new Error("already consuming");
    const { config, logger, metrics } = this.options;
    const names = topics.map((topic) => topicName(topic));
    this.subscription = new Subscription<IntegrationEvent>({
      kafka: this.kafka,
      groupId: config.KAFKA_GROUP_ID,
      topics: names,
      decode: (topic, value) => this.codec.decode(topic, value),
      handleBatch: traceConsumption(handleBatch, config.KAFKA_GROUP_ID),
      maxBatchSize: config.KAFKA_MAX_BATCH_SIZE,
      session: {
        timeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: config.KAFKA_HEARTBEAT_INTERVAL_MS,
      },
      partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
      deadLetters: { producer: this.producer, topic: topicName(DEAD_LETTER_TOPIC) },
      logger,
      onFatal,
      hooks: subscriptionMetrics(metrics),
      logContext: eventLogContext,
      instrument: this.countConsumerRequests,
    });
    await this.subscription.start();
    this.lag = consumerLagMetrics(metrics, {
      kafka: this.kafka,
      groupId: config.KAFKA_GROUP_ID,
      topics: names,
      logger,
    });
  }

  /**
   * Starts indexing the dead letters of this service's consumer group into `pool`'s database (a
   * consumer group of its own, `<group>-dead-letters`), and returns what the admin routes use:
   * list, show (decoded by the registry codec where the bytes decode) and replay to the origin topic.
   */
  async startDeadLetters(pool: pg.Pool): Promise<DeadLetterAdmin> {
    if (this.deadLetterIndexer) throw new Error("dead letters already started");
    const { config, logger } = this.options;
    const index = new DeadLetterIndex(pool);
    this.deadLetterIndexer = new DeadLetterIndexer({
      kafka: this.kafka,
      topic: topicName(DEAD_LETTER_TOPIC),
      consumerGroup: config.KAFKA_GROUP_ID,
      index,
      logger: logger.child({ component: "dead-letter-indexer" }),
    });
    await this.deadLetterIndexer.start();
    return new DeadLetterAdmin({
      index,
      consumerGroup: config.KAFKA_GROUP_ID,
      decode: (topic, value) => this.codec.decode(topic, value),
      send: async (topic, message) => {
        await this.producer.send({ topic, acks: -1, messages: [message] });
      },
    });
  }

  /** Leaves the consumer groups, and lets go of the lag metrics' admin client. */
  async stopConsuming(): Promise<void> {
    await this.deadLetterIndexer?.stop();
    await this.subscription?.stop();
    await this.lag?.stop();
  }

  /** Flushes the outbox and disconnects the producer: after the last request that may commit. */
  async stopPublishing(): Promise<void> {
    await this.relay.stop();
    await this.producer.disconnect();
  }
}

import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import {
  DEAD_LETTER_TOPIC,
  EventCodec,
  type EventType,
  type IntegrationEvent,
  keyFor,
  topicName,
} from "@stocksaga/contracts";
import {
  consumerLagMetrics,
  createKafka,
  createProducer,
  OutboxRelay,
  outboxRelayMetrics,
  Subscription,
  subscriptionMetrics,
} from "@stocksaga/messaging";
import {
  answerClientErrors,
  createMetricsRegistry,
  drainable,
  type Logger,
  parseTraceparent,
  type Running,
  requestErrorResponse,
} from "@stocksaga/platform";
import { OrderApplication } from "./application/orders.js";
import type { OrderConfig } from "./config.js";
import { createOrderHttpApp } from "./http/app.js";
import { eventLogContext, logPublished } from "./messaging/logging.js";
import { orderReactions } from "./messaging/reactions.js";
import { sagaMetrics } from "./metrics.js";
import { createDatabase, createPool, OUTBOX_CHANNEL, OUTBOX_LOCK_KEY } from "./persistence/database.js";
import { OrderChangeFeed } from "./persistence/order-changes.js";

/** What this service writes and reads; the codec refuses to start unless each schema is registered. */
export const ORDER_SERVICE_EVENTS: readonly EventType[] = [
  "OrderRequested",
  "OrderConfirmed",
  "OrderAdjusted",
  "OrderRejected",
  "OrderCancelled",
  "StockReserved",
  "StockRejected",
  "StockCommitted",
  "StockReleased",
  "ReservationExpired",
];

export interface RunningOrderService extends Running {
  port: number;
}

export async function startOrderService(
  config: OrderConfig,
  logger: Logger,
  fatal: (error: unknown) => void,
): Promise<RunningOrderService> {
  const codec = await EventCodec.connect({
    registryUrl: config.SCHEMA_REGISTRY_URL,
    events: ORDER_SERVICE_EVENTS,
  });
  const db = createDatabase(config.ORDER_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const pool = createPool(config.ORDER_DATABASE_URL, 3);
  const kafka = createKafka({ clientId: "order-service", brokers: config.KAFKA_BROKERS, logger });
  const producer = createProducer(kafka);
  await producer.connect();

  const metrics = createMetricsRegistry();
  const saga = sagaMetrics(metrics);
  const orders = new OrderApplication({
    db,
    onCommitted: (change) => {
      saga(change);
      // Publish at once: the relay of this process need not wait for the database's notification.
      relay.notify();
    },
    decisionTimeoutMs: config.ORDER_DECISION_TIMEOUT_MS,
    route: (event: IntegrationEvent) => ({ topic: codec.topicFor(event.type), key: keyFor(event) }),
  });

  const relayMetrics = outboxRelayMetrics(metrics, { backlog: () => relay.backlog(), logger });
  const relay = new OutboxRelay({
    pool,
    producer,
    logger,
    lockKey: OUTBOX_LOCK_KEY,
    channel: OUTBOX_CHANNEL,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
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

  const subscription = new Subscription<IntegrationEvent>({
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    topics: [topicName("reservation-events")],
    decode: (topic, value) => codec.decode(topic, value),
    handleBatch: orderReactions(orders, config.KAFKA_GROUP_ID),
    maxBatchSize: config.KAFKA_MAX_BATCH_SIZE,
    partitionsConsumedConcurrently: config.KAFKA_PARTITIONS_CONSUMED_CONCURRENTLY,
    deadLetters: { producer, topic: topicName(DEAD_LETTER_TOPIC) },
    logger,
    onFatal: fatal,
    hooks: subscriptionMetrics(metrics),
    logContext: eventLogContext,
  });
  await subscription.start();
  const lag = consumerLagMetrics(metrics, {
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    topics: [topicName("reservation-events")],
    logger,
  });

  const changes = new OrderChangeFeed(pool, logger);
  await changes.start();

  // One sweep at a time per instance; a tick that finds the last one still running skips.
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    sweeping ??= orders
      .rejectOverdue(200)
      .then(
        ({ rejected, failures }) => {
          for (const { orderId, traceparent } of rejected) {
            logger.info(
              { orderId, traceId: parseTraceparent(traceparent)?.traceId },
              "rejected order past its decision deadline",
            );
          }
          for (const { orderId, error } of failures) {
            logger.warn({ err: error, orderId }, "could not reject an order past its deadline; will retry");
          }
        },
        (error: unknown) => logger.warn({ err: error }, "timeout sweep failed; will retry"),
      )
      .finally(() => {
        sweeping = undefined;
      });
  }, config.ORDER_SWEEP_INTERVAL_MS);

  const app = createOrderHttpApp({
    db,
    orders,
    changes,
    jwtSecret: config.AUTH_JWT_SECRET,
    logger,
    metrics,
    rateLimit: { perSecond: config.HTTP_RATE_LIMIT_PER_SECOND, burst: config.HTTP_RATE_LIMIT_BURST },
    readiness: [
      { name: "database", check: async () => (await db.$queryRaw<unknown[]>`select 1`).length === 1 },
      { name: "consumer", check: async () => subscription.joined },
      { name: "outboxRelay", check: async () => relay.stalled === undefined },
      {
        name: "registry",
        check: async () =>
          (await fetch(`${config.SCHEMA_REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok,
      },
      { name: "changeFeed", check: async () => changes.listening },
    ],
  });
  // Requests node or the adapter cannot parse are answered with problem+json like any other error.
  const server = createServer(getRequestListener(app.fetch, { errorHandler: requestErrorResponse }));
  answerClientErrors(server);
  const connections = drainable(server);
  server.listen(config.ORDER_SERVICE_PORT, config.ORDER_SERVICE_HOST);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.ORDER_SERVICE_HOST }, "order service listening");

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // No new connections from here; every request already sent is answered before this resolves.
      const closed = connections.close();
      clearInterval(sweeper);
      await sweeping;
      await changes.stop();
      await subscription.stop();
      await lag.stop();
      await closed;
      await relay.stop();
      await producer.disconnect();
      await db.$disconnect();
      await pool.end();
    })();
    return stopped;
  };
  return { port, stop };
}

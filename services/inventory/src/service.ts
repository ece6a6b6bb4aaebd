import { randomUUID } from "node:crypto";
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
import { InventoryApplication } from "./application/inventory.js";
import type { InventoryConfig } from "./config.js";
import { createInventoryHttpApp } from "./http/app.js";
import { eventLogContext, logPublished } from "./messaging/logging.js";
import { inventoryReactions } from "./messaging/reactions.js";
import { inventoryMetrics } from "./metrics.js";
import { createDatabase, createPool, OUTBOX_CHANNEL, OUTBOX_LOCK_KEY } from "./persistence/database.js";

/** What this service writes and reads; the codec refuses to start unless each schema is registered. */
export const INVENTORY_SERVICE_EVENTS: readonly EventType[] = [
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
  "StockAdjusted",
  "ProductOutOfStock",
];

/** Reservations expired per sweep; the rest wait for the next tick. */
const SWEEP_BATCH = 200;

export interface RunningInventoryService extends Running {
  port: number;
}

export async function startInventoryService(
  config: InventoryConfig,
  logger: Logger,
  fatal: (error: unknown) => void,
): Promise<RunningInventoryService> {
  const codec = await EventCodec.connect({
    registryUrl: config.SCHEMA_REGISTRY_URL,
    events: INVENTORY_SERVICE_EVENTS,
  });
  const db = createDatabase(config.INVENTORY_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const pool = createPool(config.INVENTORY_DATABASE_URL, 3);
  const kafka = createKafka({ clientId: "inventory-service", brokers: config.KAFKA_BROKERS, logger });
  const producer = createProducer(kafka);
  await producer.connect();

  const metrics = createMetricsRegistry();
  const stock = inventoryMetrics(metrics);
  const inventory = new InventoryApplication({
    db,
    onCommitted: (events) => {
      stock(events);
      // Publish at once: the relay of this process need not wait for the database's notification.
      relay.notify();
    },
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
    topics: [topicName("order-events")],
    decode: (topic, value) => codec.decode(topic, value),
    handleBatch: inventoryReactions(inventory, config.KAFKA_GROUP_ID, {
      reservationTtlMs: config.RESERVATION_TTL_MS,
      newReservationId: randomUUID,
      now: () => new Date(),
    }),
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
    topics: [topicName("order-events")],
    logger,
  });

  // One sweep at a time per instance; a tick that finds the last one still running skips.
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    sweeping ??= inventory
      .expireOverdue(SWEEP_BATCH)
      .then(
        ({ expired, failures }) => {
          for (const { reservationId, orderId, traceparent } of expired) {
            logger.info(
              { orderId, reservationId, traceId: parseTraceparent(traceparent)?.traceId },
              "expired a reservation past its expiry",
            );
          }
          for (const { reservationId, orderId, error } of failures) {
            logger.warn({ err: error, orderId, reservationId }, "could not expire a reservation; will retry");
          }
        },
        (error: unknown) => logger.warn({ err: error }, "expiry sweep failed; will retry"),
      )
      .finally(() => {
        sweeping = undefined;
      });
  }, config.RESERVATION_SWEEP_INTERVAL_MS);

  const app = createInventoryHttpApp({
    db,
    inventory,
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
    ],
  });
  // Requests node or the adapter cannot parse are answered with problem+json like any other error.
  const server = createServer(getRequestListener(app.fetch, { errorHandler: requestErrorResponse }));
  answerClientErrors(server);
  const connections = drainable(server);
  server.listen(config.INVENTORY_SERVICE_PORT, config.INVENTORY_SERVICE_HOST);
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.INVENTORY_SERVICE_HOST }, "inventory service listening");

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // No new connections from here; every request already sent is answered before this resolves.
      const closed = connections.close();
      clearInterval(sweeper);
      await sweeping;
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

import { randomUUID } from "node:crypto";
import type { EventType } from "@stocksaga/contracts";
import {
  ChangeFeed,
  ChangeNotifier,
  createKafka,
  createPool,
  Retention,
  ServiceMessaging,
  warnIfRecordsOutliveInbox,
} from "@stocksaga/messaging";
import {
  createMetricsRegistry,
  type Logger,
  parseTraceparent,
  type Running,
  runEvery,
  serve,
} from "@stocksaga/platform";
import { changedSkus } from "./application/changed-products.js";
import { InventoryApplication } from "./application/inventory.js";
import type { InventoryConfig } from "./config.js";
import { createInventoryHttpApp } from "./http/app.js";
import { inventoryReactions } from "./messaging/reactions.js";
import { inventoryMetrics } from "./metrics.js";
import { OUTBOX_CHANNEL, OUTBOX_LOCK_KEY, PRODUCT_CHANGED_CHANNEL } from "./persistence/database.js";
import { PgInventoryStore } from "./persistence/pg-inventory-store.js";
import { INVENTORY_TABLES_UPDATED_IN_PLACE, inventoryRetentionRules } from "./persistence/retention.js";

/** What this service writes and reads; the codec refuses to start unless each schema is registered. */
export const INVENTORY_SERVICE_EVENTS: readonly EventType[] = [
  "OrderRequested",
  "OrderConfirmed",
  "OrderAdjusted",
  "OrderRejected",
  "OrderCancelled",
  "StockReserved",
  "StockRejected",
  "StockRequestAnswered",
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
  // Reactions and the sweeper on one pool, the HTTP API on another: a burst of admin requests or
  // reads cannot take the connections the saga needs, nor the saga those of the API.
  const metrics = createMetricsRegistry();
  const url = config.INVENTORY_DATABASE_URL;
  const reactionsPool = createPool(url, config.DATABASE_POOL_SIZE, { metrics, name: "reactions" });
  const httpPool = createPool(url, config.HTTP_DATABASE_POOL_SIZE, { metrics, name: "http" });
  // The outbox relay (its LISTEN and its drains), the product feed's LISTEN and the change notifications.
  const relayPool = createPool(url, 5, { metrics, name: "relay" });
  const stock = inventoryMetrics(metrics);
  const messaging = await ServiceMessaging.start({
    clientId: "inventory-service",
    events: INVENTORY_SERVICE_EVENTS,
    config,
    pool: relayPool,
    outbox: { lockKey: OUTBOX_LOCK_KEY, channel: OUTBOX_CHANNEL },
    logger,
    metrics,
  });

  const productChanges = new ChangeNotifier(relayPool, PRODUCT_CHANGED_CHANNEL, logger);
  const application = (store: PgInventoryStore) =>
    new InventoryApplication({
      store,
      onCommitted: (events) => {
        stock(events);
        messaging.notify();
        productChanges.announce(changedSkus(events));
      },
      route: messaging.route,
      answers: config.STOCK_ANSWERS,
    });
  const inventory = application(new PgInventoryStore(reactionsPool));
  const httpStore = new PgInventoryStore(httpPool);
  await messaging.consume({
    topics: ["order-events"],
    handleBatch: inventoryReactions(inventory, config.KAFKA_GROUP_ID, {
      reservationTtlMs: config.RESERVATION_TTL_MS,
      newReservationId: randomUUID,
      now: () => new Date(),
    }),
    onFatal: fatal,
  });

  const changes = new ChangeFeed(relayPool, PRODUCT_CHANGED_CHANNEL, logger);
  await changes.start();

  const sweeper = runEvery(config.RESERVATION_SWEEP_INTERVAL_MS, () =>
    inventory.expireOverdue(SWEEP_BATCH).then(
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
    ),
  );

  // One connection of its own: a batch or a VACUUM never holds one that a request or a reaction needs.
  const retentionPool = createPool(url, 1, { metrics, name: "retention" });
  const retention = new Retention({
    db: retentionPool,
    rules: inventoryRetentionRules({
      inboxMs: config.INBOX_RETENTION_MS,
      orderRequestsMs: config.INVENTORY_ORDER_RETENTION_MS,
    }),
    logger,
    batchSize: config.RETENTION_BATCH_SIZE,
    intervalMs: config.RETENTION_INTERVAL_MS,
    vacuumAfterRows: config.RETENTION_VACUUM_AFTER_ROWS,
    vacuumWatch: INVENTORY_TABLES_UPDATED_IN_PLACE,
    metrics,
  });
  retention.start();
  // The inbox window was checked against what the service was told; this checks what the broker keeps.
  void warnIfRecordsOutliveInbox(
    createKafka({ clientId: "inventory-service-checks", brokers: config.KAFKA_BROKERS, logger }),
    ["order-events"],
    config.KAFKA_RECORD_LIFETIME_MS,
    logger,
  );

  const deadLetters = await messaging.startDeadLetters(httpPool);
  const app = createInventoryHttpApp({
    deadLetters,
    store: httpStore,
    inventory: application(httpStore),
    changes,
    jwtSecret: config.AUTH_JWT_SECRET,
    logger,
    metrics,
    rateLimit: { perSecond: config.HTTP_RATE_LIMIT_PER_SECOND, burst: config.HTTP_RATE_LIMIT_BURST },
    corsOrigins: config.CORS_ORIGINS,
    readiness: [
      { name: "database", check: () => httpStore.ping() },
      ...messaging.readiness,
      { name: "changeFeed", check: async () => changes.listening },
    ],
  });
  const http = await serve(app, config.INVENTORY_SERVICE_HOST, config.INVENTORY_SERVICE_PORT);
  logger.info({ port: http.port, host: config.INVENTORY_SERVICE_HOST }, "inventory service listening");

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // No new connections from here; every request already sent is answered before this resolves.
      const closed = http.close();
      await sweeper.stop();
      await retention.stop();
      // Live streams end here, so that closing the server does not wait for them.
      await changes.stop();
      await messaging.stopConsuming();
      await closed;
      await productChanges.settled();
      await messaging.stopPublishing();
      await Promise.all([reactionsPool.end(), httpPool.end(), relayPool.end(), retentionPool.end()]);
    })();
    return stopped;
  };
  return { port: http.port, stop };
}

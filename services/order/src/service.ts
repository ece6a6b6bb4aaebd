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
  AdmissionControl,
  createMetricsRegistry,
  type Logger,
  parseTraceparent,
  type Running,
  runEvery,
  serve,
} from "@stocksaga/platform";
import { orderBacklogSignals } from "./admission.js";
import { OrderApplication } from "./application/orders.js";
import type { OrderConfig } from "./config.js";
import { createOrderHttpApp } from "./http/app.js";
import { orderReactions } from "./messaging/reactions.js";
import { admissionMetrics, sagaMetrics } from "./metrics.js";
import { ORDER_CHANGED_CHANNEL, OUTBOX_CHANNEL, OUTBOX_LOCK_KEY } from "./persistence/database.js";
import type { OrderStore } from "./persistence/order-store.js";
import { PgOrderStore } from "./persistence/pg-order-store.js";
import { ORDER_TABLES_UPDATED_IN_PLACE, orderRetentionRules } from "./persistence/retention.js";

/** What this service writes and reads; the codec refuses to start unless each schema is registered. */
export const ORDER_SERVICE_EVENTS: readonly EventType[] = [
  "OrderRequested",
  "OrderConfirmed",
  "OrderAdjusted",
  "OrderRejected",
  "OrderCancelled",
  "StockRequestAnswered",
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
  // Reactions and HTTP requests on pools of their own: neither waits for a connection the other holds.
  const metrics = createMetricsRegistry();
  const url = config.ORDER_DATABASE_URL;
  const consumerPool = createPool(url, config.DATABASE_POOL_SIZE, { metrics, name: "reactions" });
  const httpPool = createPool(url, config.HTTP_DATABASE_POOL_SIZE, { metrics, name: "http" });
  // The outbox relay (its LISTEN and its drains), the change feed's LISTEN and the change notifications.
  const pool = createPool(url, 4, { metrics, name: "relay" });
  const saga = sagaMetrics(metrics);
  const messaging = await ServiceMessaging.start({
    clientId: "order-service",
    events: ORDER_SERVICE_EVENTS,
    config,
    pool,
    outbox: { lockKey: OUTBOX_LOCK_KEY, channel: OUTBOX_CHANNEL },
    logger,
    metrics,
  });

  const notifier = new ChangeNotifier(pool, ORDER_CHANGED_CHANNEL, logger);
  const ordersOn = (store: OrderStore) =>
    new OrderApplication({
      store,
      onCommitted: (changes) => {
        for (const change of changes) saga(change);
        messaging.notify();
        notifier.announce(changes.map((change) => change.after.orderId));
      },
      decisionTimeoutMs: config.ORDER_DECISION_TIMEOUT_MS,
      placementGroupSize: config.ORDER_PLACEMENT_GROUP_SIZE,
      route: messaging.route,
    });
  const httpStore = new PgOrderStore(httpPool);
  const ordersOfRequests = ordersOn(httpStore);
  const ordersOfEvents = ordersOn(new PgOrderStore(consumerPool));
  await messaging.consume({
    topics: ["reservation-events"],
    handleBatch: orderReactions(ordersOfEvents, config.KAFKA_GROUP_ID),
    onFatal: fatal,
  });

  const changes = new ChangeFeed(pool, ORDER_CHANGED_CHANNEL, logger);
  await changes.start();

  const sweeper = runEvery(config.ORDER_SWEEP_INTERVAL_MS, () =>
    ordersOfEvents.rejectOverdue(200).then(
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
    ),
  );

  // One connection of its own: a batch or a VACUUM never holds one that a request or a reaction needs.
  const retentionPool = createPool(url, 1, { metrics, name: "retention" });
  const retention = new Retention({
    db: retentionPool,
    rules: orderRetentionRules({ inboxMs: config.INBOX_RETENTION_MS, ordersMs: config.ORDER_RETENTION_MS }),
    logger,
    batchSize: config.RETENTION_BATCH_SIZE,
    intervalMs: config.RETENTION_INTERVAL_MS,
    vacuumAfterRows: config.RETENTION_VACUUM_AFTER_ROWS,
    vacuumWatch: ORDER_TABLES_UPDATED_IN_PLACE,
    metrics,
  });
  retention.start();
  // The inbox window was checked against what the service was told; this checks what the broker keeps.
  void warnIfRecordsOutliveInbox(
    createKafka({ clientId: "order-service-checks", brokers: config.KAFKA_BROKERS, logger }),
    ["reservation-events"],
    config.KAFKA_RECORD_LIFETIME_MS,
    logger,
  );

  const backlog = orderBacklogSignals(
    {
      pendingBacklog: () => httpStore.pendingBacklog(),
      outboxBacklog: () => messaging.outboxBacklog(),
      consumerLag: () => messaging.consumerLag,
      placementsWaiting: () => ordersOfRequests.placementsWaiting,
    },
    config,
  );
  const admission = new AdmissionControl({
    ...backlog,
    intervalMs: config.ADMISSION_SAMPLE_INTERVAL_MS,
    baseRetryAfterSeconds: 1,
    logger,
    refused: (signal) => admitted.refused(signal),
  });
  const admitted = admissionMetrics(metrics, () => admission.latest);
  await admission.start();

  const deadLetters = await messaging.startDeadLetters(httpPool);
  const app = createOrderHttpApp({
    deadLetters,
    store: httpStore,
    orders: ordersOfRequests,
    changes,
    jwtSecret: config.AUTH_JWT_SECRET,
    logger,
    metrics,
    rateLimit: { perSecond: config.HTTP_RATE_LIMIT_PER_SECOND, burst: config.HTTP_RATE_LIMIT_BURST },
    corsOrigins: config.CORS_ORIGINS,
    admission: admission.middleware(),
    readiness: [
      { name: "database", check: () => httpStore.ping() },
      ...messaging.readiness,
      { name: "changeFeed", check: async () => changes.listening },
    ],
  });
  const http = await serve(app, config.ORDER_SERVICE_HOST, config.ORDER_SERVICE_PORT);
  logger.info({ port: http.port, host: config.ORDER_SERVICE_HOST }, "order service listening");

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // No new connections from here; every request already sent is answered before this resolves.
      const closed = http.close();
      await sweeper.stop();
      await retention.stop();
      await admission.stop();
      await changes.stop();
      await messaging.stopConsuming();
      await closed;
      await messaging.stopPublishing();
      await notifier.settled();
      await Promise.all([httpPool.end(), consumerPool.end(), pool.end(), retentionPool.end()]);
    })();
    return stopped;
  };
  return { port: http.port, stop };
}

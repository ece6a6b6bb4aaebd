import type { EventType } from "@stocksaga/contracts";
import { createPool, ServiceMessaging } from "@stocksaga/messaging";
import {
  createMetricsRegistry,
  type Logger,
  parseTraceparent,
  type Running,
  runEvery,
  serve,
} from "@stocksaga/platform";
import { OrderApplication } from "./application/orders.js";
import type { OrderConfig } from "./config.js";
import { createOrderHttpApp } from "./http/app.js";
import { orderReactions } from "./messaging/reactions.js";
import { sagaMetrics } from "./metrics.js";
import { createDatabase, OUTBOX_CHANNEL, OUTBOX_LOCK_KEY } from "./persistence/database.js";
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
  const db = createDatabase(config.ORDER_DATABASE_URL, config.DATABASE_POOL_SIZE);
  const pool = createPool(config.ORDER_DATABASE_URL, 3);
  const metrics = createMetricsRegistry();
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

  const orders = new OrderApplication({
    db,
    onCommitted: (change) => {
      saga(change);
      messaging.notify();
    },
    decisionTimeoutMs: config.ORDER_DECISION_TIMEOUT_MS,
    route: messaging.route,
  });
  await messaging.consume({
    topics: ["reservation-events"],
    handleBatch: orderReactions(orders, config.KAFKA_GROUP_ID),
    onFatal: fatal,
  });

  const changes = new OrderChangeFeed(pool, logger);
  await changes.start();

  const sweeper = runEvery(config.ORDER_SWEEP_INTERVAL_MS, () =>
    orders.rejectOverdue(200).then(
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
      await changes.stop();
      await messaging.stopConsuming();
      await closed;
      await messaging.stopPublishing();
      await db.$disconnect();
      await pool.end();
    })();
    return stopped;
  };
  return { port: http.port, stop };
}

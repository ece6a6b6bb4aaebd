import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import {
  DEAD_LETTER_TOPIC,
  EventCodec,
  type EventType,
  type IntegrationEvent,
  keyFor,
  topicName,
} from "@stocksaga/contracts";
import { createKafka, createProducer, OutboxRelay, Subscription } from "@stocksaga/messaging";
import type { Logger, Running } from "@stocksaga/platform";
import { InventoryApplication } from "./application/inventory.js";
import type { InventoryConfig } from "./config.js";
import { createInventoryHttpApp } from "./http/app.js";
import { inventoryReactions } from "./messaging/reactions.js";
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

  const inventory = new InventoryApplication({
    db,
    route: (event: IntegrationEvent) => ({ topic: codec.topicFor(event.type), key: keyFor(event) }),
  });

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
  });
  await relay.start();

  const subscription = new Subscription<IntegrationEvent>({
    kafka,
    groupId: config.KAFKA_GROUP_ID,
    topics: [topicName("order-events")],
    decode: (topic, value) => codec.decode(topic, value),
    handle: inventoryReactions(inventory, config.KAFKA_GROUP_ID, {
      reservationTtlMs: config.RESERVATION_TTL_MS,
      newReservationId: randomUUID,
      now: () => new Date(),
    }),
    deadLetters: { producer, topic: topicName(DEAD_LETTER_TOPIC) },
    logger,
    onFatal: fatal,
  });
  await subscription.start();

  // One sweep at a time per instance; a tick that finds the last one still running skips.
  let sweeping: Promise<void> | undefined;
  const sweeper = setInterval(() => {
    sweeping ??= inventory
      .expireOverdue(SWEEP_BATCH)
      .then(
        ({ expired, failures }) => {
          if (expired > 0) logger.info({ expired }, "expired reservations past their expiry");
          for (const { reservationId, error } of failures) {
            logger.warn({ err: error, reservationId }, "could not expire a reservation; will retry");
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
    readiness: [
      { name: "database", check: async () => (await db.$queryRaw<unknown[]>`select 1`).length === 1 },
      { name: "consumer", check: async () => subscription.joined },
      {
        name: "registry",
        check: async () =>
          (await fetch(`${config.SCHEMA_REGISTRY_URL}/subjects`, { signal: AbortSignal.timeout(2_000) })).ok,
      },
    ],
  });
  const server = serve({
    fetch: app.fetch,
    port: config.INVENTORY_SERVICE_PORT,
    hostname: config.INVENTORY_SERVICE_HOST,
  });
  await new Promise<void>((resolve) => server.once("listening", resolve));
  const port = (server.address() as AddressInfo).port;
  logger.info({ port, host: config.INVENTORY_SERVICE_HOST }, "inventory service listening");

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // New requests are refused from here; in-flight ones finish before close resolves.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      clearInterval(sweeper);
      await sweeping;
      await subscription.stop();
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

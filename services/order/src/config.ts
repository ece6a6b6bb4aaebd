import {
  ConfigError,
  env,
  parseConfig,
  retentionWindowIssues,
  serviceConfigShape,
} from "@stocksaga/platform";
import { z } from "zod";
import { DEFAULT_PLACEMENT_GROUP_SIZE } from "./application/orders.js";

/** Every setting of the order service: one environment variable each, parsed once at start-up. */
export const orderConfigShape = {
  ...serviceConfigShape,
  ORDER_SERVICE_PORT: env.port(3001).describe("HTTP port of the order service (0 picks a free port)."),
  ORDER_SERVICE_HOST: z.string().default("127.0.0.1").describe("Interface the HTTP server binds to."),
  ORDER_DATABASE_URL: env
    .url("postgresql://postgres@127.0.0.1:5432/stocksaga_order")
    .describe("PostgreSQL database of the order service."),
  DATABASE_POOL_SIZE: serviceConfigShape.DATABASE_POOL_SIZE.describe(
    "Connections of the consumer's reactions and the timeout sweeper (each partition applied at once holds one); HTTP has its own pool.",
  ),
  ORDER_DECISION_TIMEOUT_MS: env
    .milliseconds(30_000)
    .describe("How long an order waits for the inventory's answers before it is rejected with TIMEOUT."),
  ORDER_PLACEMENT_GROUP_SIZE: env
    .positiveInt(DEFAULT_PLACEMENT_GROUP_SIZE)
    .describe(
      "Most order placements committed in one transaction: placements that arrive while one commits wait and go together in the next (one arriving when none is committing starts at once).",
    ),
  ORDER_SWEEP_INTERVAL_MS: env
    .milliseconds(1_000)
    .describe("How often overdue PENDING orders are looked for."),
  ORDER_RETENTION_MS: env
    .milliseconds(90 * 24 * 60 * 60_000)
    .describe(
      "A decided order (not PENDING) unchanged for this long is deleted with its lines and timeline: the window in which it can be read, cancelled, or its Idempotency-Key replayed. No shorter than INBOX_RETENTION_MS.",
    ),
  KAFKA_GROUP_ID: z.string().default("order-service").describe("Consumer group of the order service."),
  ADMISSION_MAX_PENDING_ORDERS: env
    .limit(1_000)
    .describe(
      "POST /orders answers 503 (Retry-After) while this many orders, over every instance, wait for their decision (0: no limit).",
    ),
  ADMISSION_MAX_PENDING_AGE_MS: env
    .limit(2_500)
    .describe(
      "... or while the 50th-oldest of them has waited this long (a few orders stuck on a lost answer do not count): the decision deadline is at risk well before it passes (0: no limit).",
    ),
  ADMISSION_MAX_OUTBOX_EVENTS: env
    .limit(5_000)
    .describe("... or while this many committed events wait in the outbox to be published (0: no limit)."),
  ADMISSION_MAX_CONSUMER_LAG: env
    .limit(2_000)
    .describe("... or while this instance's consumer is this many answers behind (0: no limit)."),
  ADMISSION_MAX_PLACEMENT_QUEUE: env
    .limit(300)
    .describe(
      "... or while this many placements of this instance wait for their group commit (0: no limit).",
    ),
  ADMISSION_SAMPLE_INTERVAL_MS: env
    .milliseconds(200)
    .describe(
      "How often the backlog is measured for admission control; requests are decided on the latest measure.",
    ),
};

export type OrderConfig = ReturnType<typeof loadOrderConfig>;

export function loadOrderConfig(source: Record<string, string | undefined> = process.env) {
  const config = parseConfig(orderConfigShape, source);
  const issues = retentionWindowIssues(config, { ORDER_RETENTION_MS: config.ORDER_RETENTION_MS });
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

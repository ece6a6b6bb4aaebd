import { env, parseConfig } from "@stocksaga/platform";
import { z } from "zod";

/** Every setting of the order service: one environment variable each, parsed once at start-up. */
export const orderConfigShape = {
  ORDER_SERVICE_PORT: env.port(3001).describe("HTTP port of the order service (0 picks a free port)."),
  ORDER_SERVICE_HOST: z.string().default("127.0.0.1").describe("Interface the HTTP server binds to."),
  ORDER_DATABASE_URL: env
    .url("postgresql://postgres@127.0.0.1:5432/stocksaga_order")
    .describe("PostgreSQL database of the order service."),
  DATABASE_POOL_SIZE: env.positiveInt(10).describe("Connections in the service's database pool."),
  KAFKA_BROKERS: env.list("127.0.0.1:9092").describe("Comma-separated Kafka bootstrap brokers."),
  SCHEMA_REGISTRY_URL: env
    .url("http://127.0.0.1:8081/apis/ccompat/v7")
    .describe("Confluent-compatible schema registry API."),
  AUTH_JWT_SECRET: env
    .secret()
    .describe("HS256 secret that verifies bearer tokens (at least 32 characters)."),
  ORDER_DECISION_TIMEOUT_MS: env
    .milliseconds(30_000)
    .describe("How long an order waits for the inventory's answers before it is rejected with TIMEOUT."),
  ORDER_SWEEP_INTERVAL_MS: env
    .milliseconds(1_000)
    .describe("How often overdue PENDING orders are looked for."),
  OUTBOX_POLL_INTERVAL_MS: env
    .milliseconds(250)
    .describe("Fallback poll of the outbox when no commit notification arrives."),
  HTTP_RATE_LIMIT_PER_SECOND: env
    .positiveInt(200)
    .describe("Requests per second each client (token subject, else address) may sustain; 429 beyond."),
  HTTP_RATE_LIMIT_BURST: env
    .positiveInt(400)
    .describe("Requests a client may send at once before the per-second rate applies."),
  SHUTDOWN_TIMEOUT_MS: env.milliseconds(15_000).describe("Upper bound for a graceful shutdown on SIGTERM."),
  LOG_LEVEL: env.logLevel().describe("Minimum level of the JSON logs on stdout."),
  KAFKA_GROUP_ID: z.string().default("order-service").describe("Consumer group of the order service."),
  STOCKSAGA_FAULT_DUPLICATE_PUBLISH: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true")
    .describe("Fault injection for the test harness: the outbox relay publishes every event twice."),
};

export type OrderConfig = ReturnType<typeof loadOrderConfig>;

export function loadOrderConfig(source: Record<string, string | undefined> = process.env) {
  return parseConfig(orderConfigShape, source);
}

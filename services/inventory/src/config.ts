import {
  ConfigError,
  env,
  parseConfig,
  retentionWindowIssues,
  serviceConfigShape,
} from "@stocksaga/platform";
import { z } from "zod";

/** Every setting of the inventory service: one environment variable each, parsed once at start-up. */
export const inventoryConfigShape = {
  ...serviceConfigShape,
  INVENTORY_SERVICE_PORT: env
    .port(3002)
    .describe("HTTP port of the inventory service (0 picks a free port)."),
  INVENTORY_SERVICE_HOST: z.string().default("127.0.0.1").describe("Interface the HTTP server binds to."),
  INVENTORY_DATABASE_URL: env
    .url("postgresql://postgres@127.0.0.1:5432/stocksaga_inventory")
    .describe("PostgreSQL database of the inventory service."),
  RESERVATION_TTL_MS: env
    .milliseconds(900_000)
    .describe("How long a reservation holds stock before it expires unless the order commits it."),
  RESERVATION_SWEEP_INTERVAL_MS: env
    .milliseconds(1_000)
    .describe("How often ACTIVE reservations past their expiry are looked for."),
  STOCK_ANSWERS: z
    .enum(["per-request", "per-line"])
    .default("per-request")
    .describe(
      "How an order request is answered: one StockRequestAnswered with every line (per-request), or one StockReserved/StockRejected per line (per-line, for order services that do not read StockRequestAnswered yet).",
    ),
  INVENTORY_ORDER_RETENTION_MS: env
    .milliseconds(90 * 24 * 60 * 60_000)
    .describe(
      "An order request unchanged for this long, and holding no ACTIVE reservation, is deleted with its reservations (a released order's tombstone too). No shorter than INBOX_RETENTION_MS; keep it no shorter than the order service's ORDER_RETENTION_MS, so that a cancellation still finds what it releases.",
    ),
  KAFKA_GROUP_ID: z
    .string()
    .default("inventory-service")
    .describe("Consumer group of the inventory service."),
};

export type InventoryConfig = ReturnType<typeof loadInventoryConfig>;

export function loadInventoryConfig(source: Record<string, string | undefined> = process.env) {
  const config = parseConfig(inventoryConfigShape, source);
  const issues = retentionWindowIssues(config, {
    INVENTORY_ORDER_RETENTION_MS: config.INVENTORY_ORDER_RETENTION_MS,
  });
  if (issues.length > 0) throw new ConfigError(issues);
  return config;
}

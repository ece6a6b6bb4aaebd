import { env, parseConfig, serviceConfigShape } from "@stocksaga/platform";
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
  KAFKA_GROUP_ID: z
    .string()
    .default("inventory-service")
    .describe("Consumer group of the inventory service."),
};

export type InventoryConfig = ReturnType<typeof loadInventoryConfig>;

export function loadInventoryConfig(source: Record<string, string | undefined> = process.env) {
  return parseConfig(inventoryConfigShape, source);
}

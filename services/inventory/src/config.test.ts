import { ConfigError } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { inventoryConfigShape, loadInventoryConfig } from "./config.js";

const REQUIRED = { AUTH_JWT_SECRET: "a-secret-of-at-least-thirty-two-characters" };

describe("inventory configuration", () => {
  it("gives the HTTP API a pool of its own, and answers each request with one event, by default", () => {
    const config = loadInventoryConfig(REQUIRED);
    expect(config.HTTP_DATABASE_POOL_SIZE).toBe(5);
    expect(config.DATABASE_POOL_SIZE).toBe(10);
    expect(config.STOCK_ANSWERS).toBe("per-request");
  });

  it("reads both pool sizes and the answer format from the environment", () => {
    const config = loadInventoryConfig({
      ...REQUIRED,
      HTTP_DATABASE_POOL_SIZE: "2",
      DATABASE_POOL_SIZE: "6",
      STOCK_ANSWERS: "per-line",
    });
    expect([config.HTTP_DATABASE_POOL_SIZE, config.DATABASE_POOL_SIZE, config.STOCK_ANSWERS]).toEqual([
      2,
      6,
      "per-line",
    ]);
  });

  it.each([
    ["HTTP_DATABASE_POOL_SIZE", "0"],
    ["HTTP_DATABASE_POOL_SIZE", "many"],
    ["STOCK_ANSWERS", "per-order"],
  ])("refuses %s=%s", (name, value) => {
    expect(() => loadInventoryConfig({ ...REQUIRED, [name]: value })).toThrow(ConfigError);
  });

  it("documents every setting", () => {
    for (const [name, schema] of Object.entries(inventoryConfigShape)) {
      expect(schema.description, name).toMatch(/\S/);
    }
  });

  it("refuses an order-request window shorter than the inbox's, and an inbox shorter than the topics'", () => {
    const windows = {
      KAFKA_RECORD_LIFETIME_MS: "60000",
      INBOX_RETENTION_MS: "60000",
      INVENTORY_ORDER_RETENTION_MS: "60000",
    };
    expect(loadInventoryConfig({ ...REQUIRED, ...windows })).toMatchObject({
      INVENTORY_ORDER_RETENTION_MS: 60_000,
    });
    expect(() => loadInventoryConfig({ ...REQUIRED, ...windows, KAFKA_RECORD_LIFETIME_MS: "60001" })).toThrow(
      ConfigError,
    );
    expect(() =>
      loadInventoryConfig({ ...REQUIRED, ...windows, INVENTORY_ORDER_RETENTION_MS: "1000" }),
    ).toThrow(/INVENTORY_ORDER_RETENTION_MS: shorter than INBOX_RETENTION_MS/);
  });
});

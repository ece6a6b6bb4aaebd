import { ConfigError } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { loadOrderConfig } from "./config.js";

const REQUIRED = { AUTH_JWT_SECRET: "a-secret-of-at-least-thirty-two-characters" };

describe("order service settings", () => {
  it("commits at most 100 placements together unless told otherwise", () => {
    expect(loadOrderConfig(REQUIRED).ORDER_PLACEMENT_GROUP_SIZE).toBe(100);
    expect(loadOrderConfig({ ...REQUIRED, ORDER_PLACEMENT_GROUP_SIZE: "7" }).ORDER_PLACEMENT_GROUP_SIZE).toBe(
      7,
    );
  });

  it("gives HTTP requests a pool of 5 connections beside the consumer's 10 unless told otherwise", () => {
    expect(loadOrderConfig(REQUIRED)).toMatchObject({ HTTP_DATABASE_POOL_SIZE: 5, DATABASE_POOL_SIZE: 10 });
    expect(loadOrderConfig({ ...REQUIRED, HTTP_DATABASE_POOL_SIZE: "2" }).HTTP_DATABASE_POOL_SIZE).toBe(2);
    expect(() => loadOrderConfig({ ...REQUIRED, HTTP_DATABASE_POOL_SIZE: "0" })).toThrow(ConfigError);
  });

  it("refuses a placement group that could hold nothing", () => {
    expect(() => loadOrderConfig({ ...REQUIRED, ORDER_PLACEMENT_GROUP_SIZE: "0" })).toThrow(ConfigError);
  });

  it("keeps the inbox past every redelivery and orders past the inbox, refusing shorter windows", () => {
    const config = loadOrderConfig(REQUIRED);
    expect(config.INBOX_RETENTION_MS).toBeGreaterThanOrEqual(config.KAFKA_RECORD_LIFETIME_MS);
    expect(config.ORDER_RETENTION_MS).toBeGreaterThanOrEqual(config.INBOX_RETENTION_MS);
    const windows = {
      KAFKA_RECORD_LIFETIME_MS: "60000",
      INBOX_RETENTION_MS: "60000",
      ORDER_RETENTION_MS: "60000",
    };
    expect(loadOrderConfig({ ...REQUIRED, ...windows })).toMatchObject({ INBOX_RETENTION_MS: 60_000 });
    expect(() => loadOrderConfig({ ...REQUIRED, ...windows, INBOX_RETENTION_MS: "59999" })).toThrow(
      /INBOX_RETENTION_MS: shorter than KAFKA_RECORD_LIFETIME_MS/,
    );
    expect(() => loadOrderConfig({ ...REQUIRED, ...windows, ORDER_RETENTION_MS: "59999" })).toThrow(
      /ORDER_RETENTION_MS: shorter than INBOX_RETENTION_MS/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { EVENT_SCHEMAS } from "./events/schemas.js";
import { EVENT_TYPES } from "./events/types.js";
import { SAMPLE_EVENTS } from "./fixtures.js";
import {
  ALL_TOPICS,
  EVENT_ROUTES,
  eventTypesOn,
  keyFor,
  ROUTED_EVENT_TYPES,
  replicationFor,
  subjectFor,
  TOPIC_SPECS,
  topicFor,
  topicOf,
  topicsToCreate,
} from "./topics.js";

describe("topic map", () => {
  it("routes every generated event type, and nothing else", () => {
    expect([...ROUTED_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
  });

  it("puts each event on the topic docs/architecture.md gives it", () => {
    expect(eventTypesOn("order-events")).toEqual([
      "OrderRequested",
      "OrderConfirmed",
      "OrderAdjusted",
      "OrderRejected",
      "OrderCancelled",
    ]);
    expect(eventTypesOn("reservation-events")).toEqual([
      "StockReserved",
      "StockRejected",
      "StockRequestAnswered",
      "StockCommitted",
      "StockReleased",
      "ReservationExpired",
    ]);
    expect(eventTypesOn("stock-events")).toEqual(["StockAdjusted", "ProductOutOfStock"]);
  });

  it("names subjects <topic>-<full.record.Name>", () => {
    expect(subjectFor("OrderRequested")).toBe("order-events-stocksaga.order.OrderRequested");
    expect(subjectFor("StockAdjusted")).toBe("stock-events-stocksaga.inventory.StockAdjusted");
    for (const eventType of EVENT_TYPES) {
      expect(subjectFor(eventType)).toBe(`${topicFor(eventType)}-${EVENT_SCHEMAS[eventType].recordName}`);
    }
  });

  it("prefixes topics and subjects alike", () => {
    const naming = { prefix: "test-1a2b-" };
    expect(topicFor("StockReserved", naming)).toBe("test-1a2b-reservation-events");
    expect(subjectFor("StockReserved", naming)).toBe(
      "test-1a2b-reservation-events-stocksaga.inventory.StockReserved",
    );
    expect(topicOf("test-1a2b-dead-letters", naming)).toBe("dead-letters");
    expect(topicOf("dead-letters", naming)).toBeUndefined();
  });

  it("keys saga events by order id and stock events by SKU", () => {
    for (const eventType of EVENT_TYPES) {
      const event = SAMPLE_EVENTS[eventType];
      const topic = EVENT_ROUTES[eventType].topic;
      const expected = TOPIC_SPECS[topic].key === "SKU" ? "sku" : "orderId";
      expect(keyFor(event), eventType).toBe((event as unknown as Record<string, unknown>)[expected]);
    }
  });

  it("keys stock events by SKU and carries the SKU as correlation id", () => {
    expect(keyFor(SAMPLE_EVENTS.ProductOutOfStock)).toBe(SAMPLE_EVENTS.ProductOutOfStock.sku);
    expect(SAMPLE_EVENTS.ProductOutOfStock.metadata.correlationId).toBe(SAMPLE_EVENTS.ProductOutOfStock.sku);
  });

  it("lists every topic to create with its partitions", () => {
    expect(
      topicsToCreate({ prefix: "p-" }).map(({ topic, numPartitions }) => [topic, numPartitions]),
    ).toEqual([
      ["p-order-events", 6],
      ["p-reservation-events", 6],
      ["p-stock-events", 3],
      ["p-dead-letters", 3],
    ]);
    expect(ALL_TOPICS).toContain("dead-letters");
  });

  it("replicates three ways with two in sync on three brokers, once on one", () => {
    const settingsOf = (brokers: number) =>
      topicsToCreate({}, brokers).map(({ replicationFactor, configEntries }) => ({
        replicationFactor,
        minIsr: configEntries.find((entry) => entry.name === "min.insync.replicas")?.value,
      }));
    for (const topic of settingsOf(1)) expect(topic).toEqual({ replicationFactor: 1, minIsr: "1" });
    for (const topic of settingsOf(3)) expect(topic).toEqual({ replicationFactor: 3, minIsr: "2" });
    for (const topic of settingsOf(5)) expect(topic).toEqual({ replicationFactor: 3, minIsr: "2" });
    expect(replicationFor(2)).toEqual({ replicationFactor: 2, minInSyncReplicas: 1 });
    expect(() => replicationFor(0)).toThrow();
  });

  it("keeps each topic as long as its spec says", () => {
    for (const creation of topicsToCreate()) {
      const retention = creation.configEntries.find((entry) => entry.name === "retention.ms")?.value;
      expect(Number(retention), creation.topic).toBe(
        TOPIC_SPECS[topicOf(creation.topic) ?? "order-events"].retentionMs,
      );
    }
    expect(TOPIC_SPECS["dead-letters"].retentionMs).toBeGreaterThan(TOPIC_SPECS["order-events"].retentionMs);
  });
});

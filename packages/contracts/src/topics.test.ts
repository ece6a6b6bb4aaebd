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
    expect(topicsToCreate({ prefix: "p-" })).toEqual([
      { topic: "p-order-events", numPartitions: 6 },
      { topic: "p-reservation-events", numPartitions: 6 },
      { topic: "p-stock-events", numPartitions: 3 },
      { topic: "p-dead-letters", numPartitions: 3 },
    ]);
    expect(ALL_TOPICS).toContain("dead-letters");
  });
});

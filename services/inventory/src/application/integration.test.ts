import { TraceFlags, trace } from "@opentelemetry/api";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { type Causation, causedBy, handledIn, startedByClock } from "@stocksaga/messaging";
import { parseTraceparent } from "@stocksaga/platform";
import { describe, expect, it } from "vitest";
import { decide, evolve, type InventoryEvent, inventoryState, type ReserveStock } from "../domain/index.js";
import {
  at,
  NOW,
  ORDER_ID,
  orderRequestRecorded,
  outOfStock,
  productCreated,
  reservationExpired,
  reservationIdFor,
  reserveStock,
  stockCommitted,
  stockRejected,
  stockReleased,
  stockReserved,
  TTL_MS,
} from "../domain/testing.js";
import { type StockAnswers, toIntegrationEvents } from "./integration.js";

const CAUSE: Causation = {
  causationId: "3e9a1f64-2c7b-4d85-b0e6-5a4c3d2e1f00",
  traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
};

function metadata(correlationId: string, when: Date, cause: Causation = CAUSE) {
  return {
    eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    occurredAt: when.getTime(),
    correlationId,
    causationId: cause.causationId,
    producer: "inventory-service",
    traceparent: cause.traceparent,
  };
}

function only(event: InventoryEvent, cause: Causation = CAUSE, answers: StockAnswers = "per-request") {
  const emitted = toIntegrationEvents([event], cause, answers);
  expect(emitted).toHaveLength(1);
  return emitted[0];
}

describe("domain events → integration events", () => {
  it("StockReserved (per line): keyed by the order, expiry in epoch milliseconds", () => {
    const event = stockReserved("SKU-A", 3, 2, 2);
    expect(only(event, CAUSE, "per-line")).toEqual({
      type: "StockReserved",
      metadata: metadata(ORDER_ID, NOW),
      orderId: ORDER_ID,
      lineCount: 2,
      sku: "SKU-A",
      requestedQuantity: 3,
      reservedQuantity: 2,
      reservationId: event.reservationId,
      expiresAt: event.expiresAt.getTime(),
    });
  });

  it("StockRejected (per line)", () => {
    expect(only(stockRejected("SKU-B", 4, "INSUFFICIENT_STOCK", 1), CAUSE, "per-line")).toEqual({
      type: "StockRejected",
      metadata: metadata(ORDER_ID, NOW),
      orderId: ORDER_ID,
      lineCount: 2,
      sku: "SKU-B",
      requestedQuantity: 4,
      reason: "INSUFFICIENT_STOCK",
      availableQuantity: 1,
    });
  });

  it("StockCommitted: one line per reservation, with what was really committed", () => {
    const event = stockCommitted([
      ["SKU-A", 2],
      ["SKU-B", 0],
    ]);
    expect(only(event)).toEqual({
      type: "StockCommitted",
      metadata: metadata(ORDER_ID, at(5)),
      orderId: ORDER_ID,
      lines: event.lines.map((line) => ({ ...line })),
    });
  });

  it("StockReleased, with an empty line list when the order held nothing", () => {
    const event = stockReleased("ORDER_CANCELLED", [["SKU-A", 2, true]]);
    expect(only(event)).toEqual({
      type: "StockReleased",
      metadata: metadata(ORDER_ID, at(9)),
      orderId: ORDER_ID,
      reason: "ORDER_CANCELLED",
      lines: event.lines.map((line) => ({ ...line })),
    });
    expect(only(stockReleased("ORDER_REJECTED", []))).toMatchObject({ lines: [] });
  });

  it("ReservationExpired: started by the clock, so no cause and no trace", () => {
    const event = reservationExpired("SKU-A", 2);
    const byTheClock = { causationId: null, traceparent: null };
    expect(only(event, byTheClock)).toEqual({
      type: "ReservationExpired",
      metadata: metadata(ORDER_ID, event.at, byTheClock),
      orderId: ORDER_ID,
      reservationId: event.reservationId,
      sku: "SKU-A",
      quantity: 2,
    });
  });

  it("StockAdjusted: keyed and correlated by SKU; the actor stays in the audit row", () => {
    expect(
      only({
        type: "StockAdjusted",
        sku: "SKU-A",
        delta: -3,
        reason: "damaged",
        actor: "admin-1",
        onHand: 7,
        reserved: 2,
        available: 5,
        at: at(1),
      }),
    ).toEqual({
      type: "StockAdjusted",
      metadata: metadata("SKU-A", at(1)),
      sku: "SKU-A",
      delta: -3,
      reason: "damaged",
      onHand: 7,
      reserved: 2,
      available: 5,
    });
  });

  it("ProductOutOfStock: correlated by SKU", () => {
    expect(only(outOfStock("SKU-B", 5, 5))).toEqual({
      type: "ProductOutOfStock",
      metadata: metadata("SKU-B", NOW),
      sku: "SKU-B",
      onHand: 5,
      reserved: 5,
    });
  });

  it("publishes nothing for the inventory's own records", () => {
    expect(toIntegrationEvents([orderRequestRecorded(2), productCreated("SKU-A", 10)], CAUSE)).toEqual([]);
  });

  it("keeps the decision's order and gives every event its own id", () => {
    const state = inventoryState({ products: [{ sku: "SKU-A", onHand: 2, reserved: 0 }] });
    const emitted = toIntegrationEvents(
      decide(
        reserveStock([
          ["SKU-A", 2],
          ["SKU-Z", 1],
        ]),
        state,
      ),
      CAUSE,
      "per-line",
    );
    expect(emitted.map((event) => event.type)).toEqual([
      "StockReserved",
      "ProductOutOfStock",
      "StockRejected",
    ]);
    expect(new Set(emitted.map((event) => event.metadata.eventId)).size).toBe(3);
  });
});

describe("one answer per order request (per-request, the default)", () => {
  const stock = inventoryState({
    products: [
      { sku: "SKU-A", onHand: 2, reserved: 0 },
      { sku: "SKU-B", onHand: 5, reserved: 2 },
    ],
  });

  function answerTo(command: ReserveStock) {
    return toIntegrationEvents(decide(command, stock), CAUSE);
  }

  it("answers every line at once, in the order of the request, with each line's reason and available units", () => {
    const command = reserveStock(
      [
        ["SKU-Z", 1],
        ["SKU-A", 2],
        ["SKU-B", 4],
      ],
      { fulfilment: "PARTIAL" },
    );
    const emitted = answerTo(command);
    expect(emitted.map((event) => event.type)).toEqual([
      "StockRequestAnswered",
      "ProductOutOfStock",
      "ProductOutOfStock",
    ]);
    expect(emitted[0]).toEqual({
      type: "StockRequestAnswered",
      metadata: metadata(ORDER_ID, NOW),
      orderId: ORDER_ID,
      lines: [
        {
          sku: "SKU-Z",
          requestedQuantity: 1,
          reservedQuantity: 0,
          reservationId: null,
          expiresAt: null,
          reason: "UNKNOWN_PRODUCT",
          availableQuantity: 0,
        },
        {
          sku: "SKU-A",
          requestedQuantity: 2,
          reservedQuantity: 2,
          reservationId: reservationIdFor("SKU-A"),
          expiresAt: at(TTL_MS).getTime(),
          reason: null,
          availableQuantity: 2,
        },
        {
          sku: "SKU-B",
          requestedQuantity: 4,
          reservedQuantity: 3,
          reservationId: reservationIdFor("SKU-B"),
          expiresAt: at(TTL_MS).getTime(),
          reason: null,
          availableQuantity: 3,
        },
      ],
    });
    expect(emitted.slice(1)).toEqual([
      expect.objectContaining({ sku: "SKU-A", onHand: 2, reserved: 2 }),
      expect.objectContaining({ sku: "SKU-B", onHand: 5, reserved: 5 }),
    ]);
  });

  it("under ALL_OR_NOTHING, rejects a line it cannot fill whole and says how much was available", () => {
    const [answer] = answerTo(
      reserveStock(
        [
          ["SKU-A", 1],
          ["SKU-B", 4],
        ],
        { fulfilment: "ALL_OR_NOTHING" },
      ),
    );
    expect(answer).toMatchObject({
      type: "StockRequestAnswered",
      lines: [
        { sku: "SKU-A", reservedQuantity: 1, reason: null, availableQuantity: 2 },
        {
          sku: "SKU-B",
          requestedQuantity: 4,
          reservedQuantity: 0,
          reservationId: null,
          expiresAt: null,
          reason: "INSUFFICIENT_STOCK",
          availableQuantity: 3,
        },
      ],
    });
  });

  it("answers a request whose every line is rejected", () => {
    expect(answerTo(reserveStock([["SKU-Z", 1]]))).toEqual([
      expect.objectContaining({
        type: "StockRequestAnswered",
        lines: [expect.objectContaining({ sku: "SKU-Z", reservedQuantity: 0, reason: "UNKNOWN_PRODUCT" })],
      }),
    ]);
  });

  it("answers each order of a run of decisions once", () => {
    const events = [
      ...decide(reserveStock([["SKU-A", 1]], { orderId: "order-1" }), stock),
      ...decide(reserveStock([["SKU-B", 1]], { orderId: "order-2" }), stock),
    ];
    const emitted = toIntegrationEvents(events, CAUSE);
    expect(emitted.map((event) => [event.type, "orderId" in event ? event.orderId : undefined])).toEqual([
      ["StockRequestAnswered", "order-1"],
      ["StockRequestAnswered", "order-2"],
    ]);
  });

  it("publishes nothing for a request already answered", () => {
    const answered = decide(reserveStock([["SKU-A", 1]]), stock).reduce(evolve, stock);
    expect(toIntegrationEvents(decide(reserveStock([["SKU-A", 1]]), answered), CAUSE)).toEqual([]);
  });
});

describe("causation and trace context", () => {
  it("a reaction names the event as its cause and continues its trace in the span handling it", () => {
    const received = { ...SAMPLE_EVENTS.OrderConfirmed };
    const parent = parseTraceparent(received.metadata.traceparent);
    handledIn(
      received,
      trace.wrapSpanContext({
        traceId: parent?.traceId ?? "",
        spanId: "b7ad6b7169203331",
        traceFlags: TraceFlags.SAMPLED,
      }),
    );
    const cause = causedBy(received);
    expect(cause.causationId).toBe(received.metadata.eventId);
    expect(parseTraceparent(cause.traceparent)).toEqual({
      traceId: parent?.traceId,
      spanId: "b7ad6b7169203331",
      sampled: true,
    });
  });

  it("untraced, a reaction carries the consumed event's context on", () => {
    const received = { ...SAMPLE_EVENTS.OrderConfirmed };
    expect(causedBy(received).traceparent).toBe(received.metadata.traceparent);
  });

  it("a reaction to an event without trace context starts a trace of its own", () => {
    const received = {
      ...SAMPLE_EVENTS.OrderRejected,
      metadata: { ...SAMPLE_EVENTS.OrderRejected.metadata, traceparent: null },
    };
    expect(parseTraceparent(causedBy(received).traceparent)?.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("a change the clock started has no cause and a new root span each time", () => {
    const [a, b] = [startedByClock(), startedByClock()];
    expect(a.causationId).toBeNull();
    expect(parseTraceparent(a.traceparent)?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(parseTraceparent(a.traceparent)?.traceId).not.toBe(parseTraceparent(b.traceparent)?.traceId);
  });
});

import type { EventMetadata, EventOfType, EventType } from "./events/types.js";

/** One valid event of every type, for tests; exported as `@stocksaga/contracts/fixtures`. */

const ORDER_ID = "5f0c6a8e-2b1d-4e0a-9c3f-7d2e1b4a6c08";
const SKU = "SKU-RED-MUG";
const OCCURRED_AT = Date.UTC(2026, 0, 15, 9, 30);

function metadata(producer: "order-service" | "inventory-service", correlationId: string): EventMetadata {
  return {
    eventId: "0b7e3c52-94d1-4f6a-8e2b-c1d0a9f8e7b6",
    occurredAt: OCCURRED_AT,
    correlationId,
    causationId: producer === "inventory-service" ? "3e9a1f64-2c7b-4d85-b0e6-5a4c3d2e1f00" : null,
    producer,
    traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
  };
}

const ORDER = metadata("order-service", ORDER_ID);
const RESERVATION = metadata("inventory-service", ORDER_ID);
const STOCK = metadata("inventory-service", SKU);

export const SAMPLE_EVENTS: { readonly [T in EventType]: EventOfType<T> } = {
  OrderRequested: {
    type: "OrderRequested",
    metadata: ORDER,
    orderId: ORDER_ID,
    customerId: "customer-42",
    fulfilment: "PARTIAL",
    lines: [
      { sku: SKU, quantity: 3 },
      { sku: "SKU-BLUE-CUP", quantity: 1 },
    ],
  },
  OrderConfirmed: {
    type: "OrderConfirmed",
    metadata: ORDER,
    orderId: ORDER_ID,
    lines: [{ sku: SKU, quantity: 3 }],
  },
  OrderAdjusted: {
    type: "OrderAdjusted",
    metadata: ORDER,
    orderId: ORDER_ID,
    lines: [{ sku: SKU, requestedQuantity: 3, confirmedQuantity: 2 }],
  },
  OrderRejected: {
    type: "OrderRejected",
    metadata: ORDER,
    orderId: ORDER_ID,
    reason: "SHORTFALL_NOT_ALLOWED",
    detail: "SKU-RED-MUG: 2 of 3 available",
  },
  OrderCancelled: {
    type: "OrderCancelled",
    metadata: ORDER,
    orderId: ORDER_ID,
    reason: null,
    cancelledBy: "customer-42",
  },
  StockReserved: {
    type: "StockReserved",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    lineCount: 2,
    sku: SKU,
    requestedQuantity: 3,
    reservedQuantity: 2,
    reservationId: "res-0001",
    expiresAt: OCCURRED_AT + 15 * 60_000,
  },
  StockRejected: {
    type: "StockRejected",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    lineCount: 2,
    sku: "SKU-BLUE-CUP",
    requestedQuantity: 1,
    reason: "INSUFFICIENT_STOCK",
    availableQuantity: 0,
  },
  StockRequestAnswered: {
    type: "StockRequestAnswered",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    lines: [
      {
        sku: SKU,
        requestedQuantity: 3,
        reservedQuantity: 2,
        reservationId: "res-0001",
        expiresAt: OCCURRED_AT + 15 * 60_000,
        reason: null,
        availableQuantity: 2,
      },
      {
        sku: "SKU-BLUE-CUP",
        requestedQuantity: 1,
        reservedQuantity: 0,
        reservationId: null,
        expiresAt: null,
        reason: "INSUFFICIENT_STOCK",
        availableQuantity: 0,
      },
    ],
  },
  StockCommitted: {
    type: "StockCommitted",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    lines: [{ reservationId: "res-0001", sku: SKU, committedQuantity: 2 }],
  },
  StockReleased: {
    type: "StockReleased",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    reason: "ORDER_CANCELLED",
    lines: [{ reservationId: "res-0001", sku: SKU, quantity: 2, wasCommitted: true }],
  },
  ReservationExpired: {
    type: "ReservationExpired",
    metadata: RESERVATION,
    orderId: ORDER_ID,
    reservationId: "res-0001",
    sku: SKU,
    quantity: 2,
  },
  StockAdjusted: {
    type: "StockAdjusted",
    metadata: STOCK,
    sku: SKU,
    delta: -5,
    reason: "breakage",
    onHand: 5,
    reserved: 5,
    available: 0,
  },
  ProductOutOfStock: {
    type: "ProductOutOfStock",
    metadata: STOCK,
    sku: SKU,
    onHand: 5,
    reserved: 5,
  },
};

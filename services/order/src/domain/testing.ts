import { deciderSpec } from "@stocksaga/decider/spec";
import type {
  AnsweredLine,
  CancelOrder,
  CommittedLine,
  PlaceOrder,
  RecordStockCommitted,
  RecordStockRejected,
  RecordStockRequestAnswered,
  RecordStockReserved,
} from "./commands.js";
import { decide } from "./decide.js";
import type {
  AdjustedLine,
  LineRejected,
  LineReserved,
  OrderAdjusted,
  OrderCancelled,
  OrderConfirmed,
  OrderPlaced,
  OrderRejected,
} from "./events.js";
import { evolve } from "./evolve.js";
import { type Fulfilment, initialState, type RequestedLine, type StockRejectionReason } from "./order.js";

export const spec = deciderSpec({ decide, evolve, initialState });

export const ORDER_ID = "order-1";
export const CUSTOMER_ID = "customer-1";
export const TIMEOUT_MS = 30_000;
export const NOW = new Date("2030-01-01T10:00:00.000Z");
export const DEADLINE = new Date(NOW.getTime() + TIMEOUT_MS);

/** A moment `ms` after the order was placed. */
export function at(ms: number): Date {
  return new Date(NOW.getTime() + ms);
}

export const TWO_LINES: readonly RequestedLine[] = [
  { sku: "SKU-A", quantity: 2 },
  { sku: "SKU-B", quantity: 5 },
];

export function placeOrder(changes: Partial<PlaceOrder> = {}): PlaceOrder {
  return {
    type: "PlaceOrder",
    orderId: ORDER_ID,
    customerId: CUSTOMER_ID,
    fulfilment: "PARTIAL",
    lines: TWO_LINES,
    now: NOW,
    decisionTimeoutMs: TIMEOUT_MS,
    ...changes,
  };
}

export function orderPlaced(
  lines: readonly RequestedLine[] = TWO_LINES,
  fulfilment: Fulfilment = "PARTIAL",
): OrderPlaced {
  return {
    type: "OrderPlaced",
    orderId: ORDER_ID,
    customerId: CUSTOMER_ID,
    fulfilment,
    lines,
    decisionDeadline: DEADLINE,
    at: NOW,
  };
}

export function stockReserved(
  sku: string,
  requestedQuantity: number,
  reservedQuantity: number,
  { lineCount = 2, now = at(1) }: { lineCount?: number; now?: Date } = {},
): RecordStockReserved {
  return {
    type: "RecordStockReserved",
    orderId: ORDER_ID,
    lineCount,
    sku,
    requestedQuantity,
    reservedQuantity,
    reservationId: reservationIdOf(sku),
    now,
  };
}

export function stockRejected(
  sku: string,
  requestedQuantity: number,
  availableQuantity: number,
  {
    lineCount = 2,
    now = at(1),
    reason = "INSUFFICIENT_STOCK",
  }: { lineCount?: number; now?: Date; reason?: StockRejectionReason } = {},
): RecordStockRejected {
  return {
    type: "RecordStockRejected",
    orderId: ORDER_ID,
    lineCount,
    sku,
    requestedQuantity,
    reason,
    availableQuantity,
    now,
  };
}

/** The inventory's answer for every line at once (`StockRequestAnswered`). */
export function stockRequestAnswered(
  lines: readonly AnsweredLine[],
  now: Date = at(1),
): RecordStockRequestAnswered {
  return { type: "RecordStockRequestAnswered", orderId: ORDER_ID, lines, now };
}

/** A line of that answer with units reserved (all requested, or fewer). */
export function answeredReserved(
  sku: string,
  requestedQuantity: number,
  reservedQuantity: number,
): AnsweredLine {
  return {
    sku,
    requestedQuantity,
    reservedQuantity,
    reservationId: reservationIdOf(sku),
    reason: null,
    availableQuantity: reservedQuantity,
  };
}

/** A line of that answer with nothing reserved. */
export function answeredRejected(
  sku: string,
  requestedQuantity: number,
  availableQuantity: number,
  reason: StockRejectionReason = "INSUFFICIENT_STOCK",
): AnsweredLine {
  return { sku, requestedQuantity, reservedQuantity: 0, reservationId: null, reason, availableQuantity };
}

export function lineReserved(sku: string, reservedQuantity: number, when: Date = at(1)): LineReserved {
  return {
    type: "LineReserved",
    orderId: ORDER_ID,
    sku,
    reservedQuantity,
    reservationId: reservationIdOf(sku),
    at: when,
  };
}

export function lineRejected(
  sku: string,
  availableQuantity: number,
  when: Date = at(1),
  reason: StockRejectionReason = "INSUFFICIENT_STOCK",
): LineRejected {
  return { type: "LineRejected", orderId: ORDER_ID, sku, reason, availableQuantity, at: when };
}

export function orderConfirmed(
  lines: readonly RequestedLine[] = TWO_LINES,
  when: Date = at(1),
): OrderConfirmed {
  return { type: "OrderConfirmed", orderId: ORDER_ID, lines, at: when };
}

export function orderAdjusted(lines: readonly AdjustedLine[], when: Date = at(1)): OrderAdjusted {
  return { type: "OrderAdjusted", orderId: ORDER_ID, lines, at: when };
}

export function orderRejected(
  reason: OrderRejected["reason"],
  detail: string,
  when: Date = at(1),
): OrderRejected {
  return { type: "OrderRejected", orderId: ORDER_ID, reason, detail, at: when };
}

export function cancelOrder(now: Date = at(2)): CancelOrder {
  return { type: "CancelOrder", orderId: ORDER_ID, cancelledBy: CUSTOMER_ID, reason: "changed my mind", now };
}

export function orderCancelled(when: Date = at(2)): OrderCancelled {
  return {
    type: "OrderCancelled",
    orderId: ORDER_ID,
    reason: "changed my mind",
    cancelledBy: CUSTOMER_ID,
    at: when,
  };
}

export function stockCommitted(lines: readonly CommittedLine[], now: Date = at(3)): RecordStockCommitted {
  return { type: "RecordStockCommitted", orderId: ORDER_ID, lines, now };
}

export function committed(sku: string, committedQuantity: number): CommittedLine {
  return { reservationId: reservationIdOf(sku), sku, committedQuantity };
}

export function reservationIdOf(sku: string): string {
  return `reservation-${sku}`;
}

/** The history of an order whose two lines were both reserved in full. */
export const CONFIRMED_HISTORY = [
  orderPlaced(),
  lineReserved("SKU-A", 2),
  lineReserved("SKU-B", 5),
  orderConfirmed(),
] as const;

/** The history of an order adjusted to 2 of SKU-A and 3 of the 5 SKU-B requested. */
export const ADJUSTED_HISTORY = [
  orderPlaced(),
  lineReserved("SKU-A", 2),
  lineReserved("SKU-B", 3),
  orderAdjusted([
    { sku: "SKU-A", requestedQuantity: 2, confirmedQuantity: 2 },
    { sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 3 },
  ]),
] as const;

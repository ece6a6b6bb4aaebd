import { deciderSpec } from "@stocksaga/decider/spec";
import type { CommitReservations, ExpireReservation, ReleaseReservations, ReserveStock } from "./commands.js";
import { decide } from "./decide.js";
import type {
  OrderRequestRecorded,
  ProductCreated,
  ProductOutOfStock,
  ReleaseReason,
  ReservationExpired,
  StockCommitted,
  StockRejected,
  StockRejectionReason,
  StockReleased,
  StockReserved,
  UnseenOrderReleased,
} from "./events.js";
import { evolve } from "./evolve.js";
import { type Fulfilment, initialState } from "./state.js";

export const spec = deciderSpec({ decide, evolve, initialState });

export const ORDER_ID = "order-1";
export const CUSTOMER_ID = "customer-1";
export const NOW = new Date("2030-01-01T10:00:00.000Z");
export const TTL_MS = 600_000;
export const EXPIRES_AT = at(TTL_MS);

/** A moment `ms` after the order was requested. */
export function at(ms: number): Date {
  return new Date(NOW.getTime() + ms);
}

export function reservationIdFor(sku: string, orderId = ORDER_ID): string {
  return `${orderId}:${sku}`;
}

interface OrderOptions {
  readonly orderId?: string;
  readonly fulfilment?: Fulfilment;
  readonly lineCount?: number;
  readonly now?: Date;
}

export function productCreated(sku: string, onHand: number): ProductCreated {
  return { type: "ProductCreated", sku, name: `Product ${sku}`, onHand, at: at(-1_000) };
}

export function reserveStock(
  lines: readonly (readonly [string, number])[],
  { orderId = ORDER_ID, fulfilment = "PARTIAL", now = NOW }: OrderOptions = {},
): ReserveStock {
  return {
    type: "ReserveStock",
    orderId,
    customerId: CUSTOMER_ID,
    fulfilment,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity, reservationId: reservationIdFor(sku, orderId) })),
    now,
    reservationTtlMs: TTL_MS,
  };
}

export function orderRequestRecorded(
  lineCount: number,
  { orderId = ORDER_ID, fulfilment = "PARTIAL", now = NOW }: OrderOptions = {},
): OrderRequestRecorded {
  return { type: "OrderRequestRecorded", orderId, customerId: CUSTOMER_ID, fulfilment, lineCount, at: now };
}

export function stockReserved(
  sku: string,
  requestedQuantity: number,
  reservedQuantity: number,
  availableQuantity: number,
  { orderId = ORDER_ID, lineCount = 2, now = NOW }: OrderOptions = {},
): StockReserved {
  return {
    type: "StockReserved",
    orderId,
    lineCount,
    sku,
    requestedQuantity,
    reservedQuantity,
    reservationId: reservationIdFor(sku, orderId),
    expiresAt: new Date(now.getTime() + TTL_MS),
    availableQuantity,
    at: now,
  };
}

export function stockRejected(
  sku: string,
  requestedQuantity: number,
  reason: StockRejectionReason,
  availableQuantity: number,
  { orderId = ORDER_ID, lineCount = 2, now = NOW }: OrderOptions = {},
): StockRejected {
  return {
    type: "StockRejected",
    orderId,
    lineCount,
    sku,
    requestedQuantity,
    reason,
    availableQuantity,
    at: now,
  };
}

export function outOfStock(
  sku: string,
  onHand: number,
  reserved: number,
  when: Date = NOW,
): ProductOutOfStock {
  return { type: "ProductOutOfStock", sku, onHand, reserved, at: when };
}

export function commit(
  lines: readonly (readonly [string, number])[],
  { orderId = ORDER_ID, now = at(5) }: OrderOptions = {},
): CommitReservations {
  return {
    type: "CommitReservations",
    orderId,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
    now,
  };
}

export function stockCommitted(
  lines: readonly (readonly [string, number])[],
  { orderId = ORDER_ID, now = at(5) }: OrderOptions = {},
): StockCommitted {
  return {
    type: "StockCommitted",
    orderId,
    lines: lines.map(([sku, committedQuantity]) => ({
      reservationId: reservationIdFor(sku, orderId),
      sku,
      committedQuantity,
    })),
    at: now,
  };
}

export function release(
  reason: ReleaseReason,
  { orderId = ORDER_ID, now = at(9) }: OrderOptions = {},
): ReleaseReservations {
  return { type: "ReleaseReservations", orderId, reason, now };
}

/** The tombstone of an order released before the inventory saw it requested. */
export function unseenOrderReleased(
  reason: ReleaseReason,
  { orderId = ORDER_ID, now = at(9) }: OrderOptions = {},
): UnseenOrderReleased {
  return { type: "UnseenOrderReleased", orderId, reason, at: now };
}

export function stockReleased(
  reason: ReleaseReason,
  lines: readonly (readonly [string, number, boolean])[],
  { orderId = ORDER_ID, now = at(9) }: OrderOptions = {},
): StockReleased {
  return {
    type: "StockReleased",
    orderId,
    reason,
    lines: lines.map(([sku, quantity, wasCommitted]) => ({
      reservationId: reservationIdFor(sku, orderId),
      sku,
      quantity,
      wasCommitted,
    })),
    at: now,
  };
}

export function expire(sku: string, now: Date, { orderId = ORDER_ID }: OrderOptions = {}): ExpireReservation {
  return { type: "ExpireReservation", orderId, reservationId: reservationIdFor(sku, orderId), now };
}

export function reservationExpired(
  sku: string,
  quantity: number,
  now: Date = at(TTL_MS + 1),
  { orderId = ORDER_ID }: OrderOptions = {},
): ReservationExpired {
  return {
    type: "ReservationExpired",
    orderId,
    reservationId: reservationIdFor(sku, orderId),
    sku,
    quantity,
    at: now,
  };
}

/** SKU-A with 10 on hand and SKU-B with 5; order-1 reserved 2 of SKU-A and all 5 of SKU-B. */
export const RESERVED_HISTORY = [
  productCreated("SKU-A", 10),
  productCreated("SKU-B", 5),
  orderRequestRecorded(2),
  stockReserved("SKU-A", 2, 2, 10),
  stockReserved("SKU-B", 5, 5, 5),
  outOfStock("SKU-B", 5, 5),
] as const;

/** The same order once the inventory committed both reservations in full. */
export const COMMITTED_HISTORY = [
  ...RESERVED_HISTORY,
  stockCommitted([
    ["SKU-A", 2],
    ["SKU-B", 5],
  ]),
] as const;

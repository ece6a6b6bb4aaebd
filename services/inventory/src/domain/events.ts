import type { Fulfilment } from "./state.js";

export type StockRejectionReason = "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT";
export type ReleaseReason = "ORDER_REJECTED" | "ORDER_CANCELLED";

export interface ProductCreated {
  readonly type: "ProductCreated";
  readonly sku: string;
  readonly name: string;
  readonly onHand: number;
  readonly at: Date;
}

export interface StockAdjusted {
  readonly type: "StockAdjusted";
  readonly sku: string;
  readonly delta: number;
  readonly reason: string;
  /** Who adjusted; for the audit row, not part of the integration event. */
  readonly actor: string;
  /** The stock after the adjustment. */
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly at: Date;
}

/** Emitted after any event that brings a product's available stock from above 0 to 0. */
export interface ProductOutOfStock {
  readonly type: "ProductOutOfStock";
  readonly sku: string;
  readonly onHand: number;
  readonly reserved: number;
  readonly at: Date;
}

/** The inventory took an order in (the `order_requests` row). Internal: nothing is published for it. */
export interface OrderRequestRecorded {
  readonly type: "OrderRequestRecorded";
  readonly orderId: string;
  readonly customerId: string;
  readonly fulfilment: Fulfilment;
  readonly lineCount: number;
  readonly at: Date;
}

/**
 * The order was released (rejected or cancelled) before the inventory saw it requested. Recorded as
 * a tombstone: a RELEASED order request without lines or reservations, so that an `OrderRequested`
 * arriving late reserves nothing for an order that is already final. Internal: nothing is published.
 */
export interface UnseenOrderReleased {
  readonly type: "UnseenOrderReleased";
  readonly orderId: string;
  readonly reason: ReleaseReason;
  readonly at: Date;
}

export interface StockReserved {
  readonly type: "StockReserved";
  readonly orderId: string;
  readonly lineCount: number;
  readonly sku: string;
  readonly requestedQuantity: number;
  readonly reservedQuantity: number;
  readonly reservationId: string;
  readonly expiresAt: Date;
  /** Units available for the SKU when the line was answered, before this reservation. */
  readonly availableQuantity: number;
  readonly at: Date;
}

export interface StockRejected {
  readonly type: "StockRejected";
  readonly orderId: string;
  readonly lineCount: number;
  readonly sku: string;
  readonly requestedQuantity: number;
  readonly reason: StockRejectionReason;
  readonly availableQuantity: number;
  readonly at: Date;
}

export interface CommittedLine {
  readonly reservationId: string;
  readonly sku: string;
  /** 0 for a reservation no longer active. Below the reservation's quantity, the rest was released. */
  readonly committedQuantity: number;
}

export interface StockCommitted {
  readonly type: "StockCommitted";
  readonly orderId: string;
  /** One line per reservation of the order. */
  readonly lines: readonly CommittedLine[];
  readonly at: Date;
}

export interface ReleasedLine {
  readonly reservationId: string;
  readonly sku: string;
  readonly quantity: number;
  /** The units had been committed and go back on hand (cancellation only). */
  readonly wasCommitted: boolean;
}

export interface StockReleased {
  readonly type: "StockReleased";
  readonly orderId: string;
  readonly reason: ReleaseReason;
  /** Empty when the order held nothing any more: the release is still acknowledged, once. */
  readonly lines: readonly ReleasedLine[];
  readonly at: Date;
}

export interface ReservationExpired {
  readonly type: "ReservationExpired";
  readonly orderId: string;
  readonly reservationId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly at: Date;
}

export type InventoryEvent =
  | ProductCreated
  | StockAdjusted
  | ProductOutOfStock
  | OrderRequestRecorded
  | UnseenOrderReleased
  | StockReserved
  | StockRejected
  | StockCommitted
  | StockReleased
  | ReservationExpired;

import type { Fulfilment, OrderRejectionReason, RequestedLine, StockRejectionReason } from "./order.js";

/** The order was accepted as PENDING; published as the integration event `OrderRequested`. */
export interface OrderPlaced {
  readonly type: "OrderPlaced";
  readonly orderId: string;
  readonly customerId: string;
  readonly fulfilment: Fulfilment;
  readonly lines: readonly RequestedLine[];
  readonly decisionDeadline: Date;
  readonly at: Date;
}

/** The inventory's answer for one line was recorded. Internal: nothing is published for it. */
export interface LineReserved {
  readonly type: "LineReserved";
  readonly orderId: string;
  readonly sku: string;
  readonly reservedQuantity: number;
  readonly reservationId: string;
  readonly at: Date;
}

/** The inventory's refusal for one line was recorded. Internal: nothing is published for it. */
export interface LineRejected {
  readonly type: "LineRejected";
  readonly orderId: string;
  readonly sku: string;
  readonly reason: StockRejectionReason;
  readonly availableQuantity: number;
  readonly at: Date;
}

export interface OrderConfirmed {
  readonly type: "OrderConfirmed";
  readonly orderId: string;
  /** Every line, as requested. */
  readonly lines: readonly RequestedLine[];
  readonly at: Date;
}

export interface AdjustedLine {
  readonly sku: string;
  readonly requestedQuantity: number;
  readonly confirmedQuantity: number;
}

export interface OrderAdjusted {
  readonly type: "OrderAdjusted";
  readonly orderId: string;
  /** Only the lines with at least one unit; a line left out holds nothing. */
  readonly lines: readonly AdjustedLine[];
  readonly at: Date;
}

export interface OrderRejected {
  readonly type: "OrderRejected";
  readonly orderId: string;
  readonly reason: OrderRejectionReason;
  readonly detail: string;
  readonly at: Date;
}

export interface OrderCancelled {
  readonly type: "OrderCancelled";
  readonly orderId: string;
  readonly reason: string;
  readonly cancelledBy: string;
  readonly at: Date;
}

export type OrderEvent =
  | OrderPlaced
  | LineReserved
  | LineRejected
  | OrderConfirmed
  | OrderAdjusted
  | OrderRejected
  | OrderCancelled;

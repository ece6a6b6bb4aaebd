import type { Fulfilment, RequestedLine, StockRejectionReason } from "./order.js";

export interface PlaceOrder {
  readonly type: "PlaceOrder";
  readonly orderId: string;
  readonly customerId: string;
  /** Defaults to `PARTIAL`. */
  readonly fulfilment?: Fulfilment | undefined;
  readonly lines: readonly RequestedLine[];
  readonly now: Date;
  /** The decision deadline is `now + decisionTimeoutMs`. */
  readonly decisionTimeoutMs: number;
}

/** From the inventory's `StockReserved`. */
export interface RecordStockReserved {
  readonly type: "RecordStockReserved";
  readonly orderId: string;
  readonly lineCount: number;
  readonly sku: string;
  readonly requestedQuantity: number;
  readonly reservedQuantity: number;
  readonly reservationId: string;
  readonly now: Date;
}

/** From the inventory's `StockRejected`. */
export interface RecordStockRejected {
  readonly type: "RecordStockRejected";
  readonly orderId: string;
  readonly lineCount: number;
  readonly sku: string;
  readonly requestedQuantity: number;
  readonly reason: StockRejectionReason;
  readonly availableQuantity: number;
  readonly now: Date;
}

/** The inventory's answer for one line, within an answer for the whole order. */
export interface AnsweredLine {
  readonly sku: string;
  readonly requestedQuantity: number;
  /** 0 when the line was rejected. */
  readonly reservedQuantity: number;
  /** Set exactly when units were reserved. */
  readonly reservationId: string | null;
  /** Set exactly when nothing was reserved. */
  readonly reason: StockRejectionReason | null;
  readonly availableQuantity: number;
}

/** From the inventory's `StockRequestAnswered`: every line of the order answered at once. */
export interface RecordStockRequestAnswered {
  readonly type: "RecordStockRequestAnswered";
  readonly orderId: string;
  readonly lines: readonly AnsweredLine[];
  readonly now: Date;
}

/** From the sweeper. */
export interface RejectForTimeout {
  readonly type: "RejectForTimeout";
  readonly orderId: string;
  readonly now: Date;
}

/** From the inventory's `ReservationExpired`. */
export interface RecordReservationExpired {
  readonly type: "RecordReservationExpired";
  readonly orderId: string;
  readonly reservationId: string;
  readonly sku: string;
  readonly quantity: number;
  readonly now: Date;
}

export interface CommittedLine {
  readonly reservationId: string;
  readonly sku: string;
  readonly committedQuantity: number;
}

/** From the inventory's `StockCommitted`. */
export interface RecordStockCommitted {
  readonly type: "RecordStockCommitted";
  readonly orderId: string;
  readonly lines: readonly CommittedLine[];
  readonly now: Date;
}

/** From the customer, through the HTTP layer, which has already checked who asks. */
export interface CancelOrder {
  readonly type: "CancelOrder";
  readonly orderId: string;
  readonly cancelledBy: string;
  readonly reason: string;
  readonly now: Date;
}

export type OrderCommand =
  | PlaceOrder
  | RecordStockReserved
  | RecordStockRejected
  | RecordStockRequestAnswered
  | RejectForTimeout
  | RecordReservationExpired
  | RecordStockCommitted
  | CancelOrder;

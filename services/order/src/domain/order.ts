export type Fulfilment = "PARTIAL" | "ALL_OR_NOTHING";
export const DEFAULT_FULFILMENT: Fulfilment = "PARTIAL";

export type OrderStatus = "PENDING" | "CONFIRMED" | "ADJUSTED" | "REJECTED" | "CANCELLED";
export type LineStatus = "PENDING" | "RESERVED" | "PARTIAL" | "REJECTED";

export type OrderRejectionReason =
  | "NO_STOCK"
  | "SHORTFALL_NOT_ALLOWED"
  | "TIMEOUT"
  | "RESERVATION_EXPIRED"
  | "NOT_HONOURED";

export type StockRejectionReason = "INSUFFICIENT_STOCK" | "UNKNOWN_PRODUCT";

export interface RequestedLine {
  readonly sku: string;
  readonly quantity: number;
}

export interface OrderLine {
  readonly sku: string;
  readonly requestedQuantity: number;
  /**
   * `null` until the inventory answers; then the units it reserved (0 when rejected), lowered by an
   * `OrderAdjusted` to what was really committed. A rejection leaves it alone: the order's status
   * says nothing is held, and the line keeps the evidence of the decision.
   */
  readonly confirmedQuantity: number | null;
  /** The inventory's answer for the line, kept as answered whatever the order becomes. */
  readonly status: LineStatus;
  readonly reason: StockRejectionReason | null;
  readonly reservationId: string | null;
  /** What the inventory had available when it rejected or shortened the line; `null` otherwise. */
  readonly availableQuantity: number | null;
}

export interface Cancellation {
  readonly reason: string;
  readonly cancelledBy: string;
}

export interface Order {
  readonly status: OrderStatus;
  readonly orderId: string;
  readonly customerId: string;
  readonly fulfilment: Fulfilment;
  readonly lines: readonly OrderLine[];
  readonly reason: OrderRejectionReason | null;
  readonly rejectionDetail: string | null;
  readonly cancellation: Cancellation | null;
  readonly decisionDeadline: Date;
  readonly placedAt: Date;
  readonly updatedAt: Date;
}

/** Before `PlaceOrder` there is no order: a state of its own, so no field has to pretend. */
export interface NoOrder {
  readonly status: "NOT_PLACED";
}

export type OrderState = NoOrder | Order;

export function initialState(): OrderState {
  return { status: "NOT_PLACED" };
}

export function unreachable(value: never): never {
  throw new Error(`Unhandled case: ${JSON.stringify(value)}`);
}

import type { ReleaseReason } from "./events.js";
import type { Fulfilment } from "./state.js";

export interface RequestLine {
  readonly sku: string;
  readonly quantity: number;
  /** A fresh id, used only if the line gets a reservation; the caller generates it. */
  readonly reservationId: string;
}

/** From `OrderRequested`. */
export interface ReserveStock {
  readonly type: "ReserveStock";
  readonly orderId: string;
  readonly customerId: string;
  readonly fulfilment: Fulfilment;
  readonly lines: readonly RequestLine[];
  readonly now: Date;
  /** A reservation expires at `now + reservationTtlMs`. */
  readonly reservationTtlMs: number;
}

export interface ConfirmedLine {
  readonly sku: string;
  readonly quantity: number;
}

/** From `OrderConfirmed` (each line's quantity) or `OrderAdjusted` (each line's confirmedQuantity). */
export interface CommitReservations {
  readonly type: "CommitReservations";
  readonly orderId: string;
  readonly lines: readonly ConfirmedLine[];
  readonly now: Date;
}

/** From `OrderRejected` (`ORDER_REJECTED`) or `OrderCancelled` (`ORDER_CANCELLED`). */
export interface ReleaseReservations {
  readonly type: "ReleaseReservations";
  readonly orderId: string;
  readonly reason: ReleaseReason;
  readonly now: Date;
}

/** From the sweeper. */
export interface ExpireReservation {
  readonly type: "ExpireReservation";
  readonly orderId: string;
  readonly reservationId: string;
  readonly now: Date;
}

/** From an admin. */
export interface AdjustStock {
  readonly type: "AdjustStock";
  readonly sku: string;
  readonly delta: number;
  readonly reason: string;
  readonly actor: string;
  readonly now: Date;
}

/** From an admin. */
export interface CreateProduct {
  readonly type: "CreateProduct";
  readonly sku: string;
  readonly name: string;
  readonly onHand: number;
  readonly now: Date;
}

export type InventoryCommand =
  | ReserveStock
  | CommitReservations
  | ReleaseReservations
  | ExpireReservation
  | AdjustStock
  | CreateProduct;

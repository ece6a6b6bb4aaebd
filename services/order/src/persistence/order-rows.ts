import type { Order, OrderLine, OrderRejectionReason, StockRejectionReason } from "../domain/index.js";
import type { LineRow, OrderRow } from "./order-statements.js";

const REJECTION_REASONS = new Set<string>([
  "NO_STOCK",
  "SHORTFALL_NOT_ALLOWED",
  "TIMEOUT",
  "RESERVATION_EXPIRED",
  "NOT_HONOURED",
]);

const STOCK_REJECTION_REASONS = new Set<string>(["INSUFFICIENT_STOCK", "UNKNOWN_PRODUCT"]);

export function toOrder(row: OrderRow, lines: readonly LineRow[]): Order {
  const rejection =
    row.status === "REJECTED" && row.reason && REJECTION_REASONS.has(row.reason)
      ? (row.reason as OrderRejectionReason)
      : null;
  return {
    status: row.status,
    orderId: row.id,
    customerId: row.customer_id,
    fulfilment: row.fulfilment,
    lines: [...lines]
      .sort((a, b) => a.line_no - b.line_no)
      .map(
        (line): OrderLine => ({
          sku: line.sku,
          requestedQuantity: line.requested_quantity,
          confirmedQuantity: line.confirmed_quantity,
          status: line.status,
          reason:
            line.reason !== null && STOCK_REJECTION_REASONS.has(line.reason)
              ? (line.reason as StockRejectionReason)
              : null,
          reservationId: line.reservation_id,
          availableQuantity: line.available_quantity,
        }),
      ),
    reason: rejection,
    rejectionDetail: row.rejection_detail,
    cancellation:
      row.status === "CANCELLED"
        ? { reason: row.reason ?? "", cancelledBy: row.cancelled_by ?? row.customer_id }
        : null,
    decisionDeadline: new Date(row.decision_deadline),
    placedAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The one text column `reason` says why an order ended where it did. */
export function reasonColumn(order: Order): string | null {
  if (order.status === "REJECTED") return order.reason;
  if (order.status === "CANCELLED") return order.cancellation?.reason ?? null;
  return null;
}

/** Whether a line needs writing: it is new, or the inventory's answer for it changed. */
export function linesChanged(before: OrderLine | undefined, after: OrderLine): boolean {
  return (
    before === undefined ||
    before.status !== after.status ||
    before.confirmedQuantity !== after.confirmedQuantity ||
    before.reservationId !== after.reservationId ||
    before.availableQuantity !== after.availableQuantity ||
    before.reason !== after.reason
  );
}

import { type EventType, ROUTED_EVENT_TYPES, topicFor } from "@stocksaga/contracts";
import type { Order, OrderStatus } from "../domain/index.js";
import type { OrderCursor, TimelineRecord } from "../persistence/order-store.js";

/** An order as the API shows it. */
export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatus;
  fulfilment: "PARTIAL" | "ALL_OR_NOTHING";
  /** Why it was rejected (an OrderRejected reason) or cancelled (free text); null otherwise. */
  reason: string | null;
  items: {
    sku: string;
    requestedQuantity: number;
    confirmedQuantity: number | null;
    status: "PENDING" | "RESERVED" | "PARTIAL" | "REJECTED";
    reason: string | null;
  }[];
  decisionDeadline: string;
  createdAt: string;
  updatedAt: string;
}

export function viewOf(order: Order): OrderView {
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: order.status,
    fulfilment: order.fulfilment,
    reason: order.status === "CANCELLED" ? (order.cancellation?.reason ?? null) : order.reason,
    items: order.lines.map((line) => ({
      sku: line.sku,
      requestedQuantity: line.requestedQuantity,
      // A rejected order holds nothing, whatever its lines were answered.
      confirmedQuantity:
        order.status === "REJECTED" && line.confirmedQuantity !== null ? 0 : line.confirmedQuantity,
      status: line.status,
      reason: line.reason,
    })),
    decisionDeadline: order.decisionDeadline.toISOString(),
    createdAt: order.placedAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export interface TimelineItem {
  eventId: string;
  type: string;
  direction: "EMITTED" | "RECEIVED";
  /** The Kafka topic the event travels on (the lane between the services); null for none. */
  topic: string | null;
  occurredAt: string;
  recordedAt: string;
  event: unknown;
}

const ROUTED = new Set<string>(ROUTED_EVENT_TYPES);

export function timelineItemOf(record: TimelineRecord): TimelineItem {
  return {
    eventId: record.eventId,
    type: record.type,
    direction: record.direction,
    topic: ROUTED.has(record.type) ? topicFor(record.type as EventType) : null,
    occurredAt: record.occurredAt.toISOString(),
    recordedAt: record.recordedAt.toISOString(),
    event: record.event,
  };
}

export function encodeCursor(cursor: OrderCursor): string {
  return Buffer.from(JSON.stringify([cursor.placedAt.toISOString(), cursor.orderId])).toString("base64url");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The position a cursor this API gave out stands for; undefined for anything else. */
export function decodeCursor(text: string): OrderCursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [placedAt, orderId] = value as unknown[];
    if (typeof placedAt !== "string" || typeof orderId !== "string" || !UUID.test(orderId)) return undefined;
    const date = new Date(placedAt);
    if (Number.isNaN(date.getTime())) return undefined;
    // Every cursor given out holds an order's creation time; a year PostgreSQL cannot hold
    // (before 1 AD, say) would fail the query with a 500 instead of a 400.
    const year = date.getUTCFullYear();
    return year >= 1970 && year <= 9999 ? { placedAt: date, orderId } : undefined;
  } catch {
    return undefined;
  }
}

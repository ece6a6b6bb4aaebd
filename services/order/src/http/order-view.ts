import { z } from "@hono/zod-openapi";
import { type EventType, ROUTED_EVENT_TYPES, topicFor } from "@stocksaga/contracts";
import type { Order } from "../domain/index.js";
import type { OrderCursor, TimelineRecord } from "../persistence/order-store.js";

export const ORDER_STATUSES = ["PENDING", "CONFIRMED", "ADJUSTED", "REJECTED", "CANCELLED"] as const;
export const FULFILMENTS = ["PARTIAL", "ALL_OR_NOTHING"] as const;

const instant = z.iso.datetime({ offset: true });

export const OrderSchema = z
  .object({
    orderId: z.uuid(),
    customerId: z.string(),
    status: z.enum(ORDER_STATUSES),
    fulfilment: z.enum(FULFILMENTS),
    reason: z
      .string()
      .nullable()
      .openapi({ description: "Why it was rejected (an OrderRejected reason) or cancelled (free text)." }),
    items: z.array(
      z.object({
        sku: z.string(),
        requestedQuantity: z.number().int(),
        confirmedQuantity: z.number().int().nullable().openapi({ description: "null until answered." }),
        status: z.enum(["PENDING", "RESERVED", "PARTIAL", "REJECTED"]),
        reason: z.string().nullable(),
      }),
    ),
    decisionDeadline: instant,
    createdAt: instant,
    updatedAt: instant,
  })
  .openapi("Order");

/** An order as the API shows it. */
export type OrderView = z.infer<typeof OrderSchema>;

export const OrderPageSchema = z
  .object({
    items: z.array(OrderSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last." }),
  })
  .openapi("OrderPage");

export const TimelineItemSchema = z
  .object({
    eventId: z.uuid(),
    type: z.string().openapi({ example: "OrderRequested" }),
    direction: z.enum(["EMITTED", "RECEIVED"]),
    topic: z.string().nullable().openapi({
      description: "The Kafka topic the event travels on (the lane between the services); null for none.",
    }),
    occurredAt: instant,
    recordedAt: instant,
    event: z.unknown().openapi({ description: "The integration event, as its Avro schema decodes to JSON." }),
  })
  .openapi("TimelineItem");

export type TimelineItem = z.infer<typeof TimelineItemSchema>;

export const TimelineSchema = z
  .object({ orderId: z.uuid(), events: z.array(TimelineItemSchema) })
  .openapi("Timeline");

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

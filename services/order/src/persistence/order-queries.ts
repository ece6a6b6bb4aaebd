import type { Database } from "./database.js";

export type OrderStatusName = "PENDING" | "CONFIRMED" | "ADJUSTED" | "REJECTED" | "CANCELLED";

export interface OrderView {
  orderId: string;
  customerId: string;
  status: OrderStatusName;
  fulfilment: "PARTIAL" | "ALL_OR_NOTHING";
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

const include = { lines: { orderBy: { lineNo: "asc" as const } } };

type Loaded = NonNullable<Awaited<ReturnType<Database["order"]["findUnique"]>>> & {
  lines: Awaited<ReturnType<Database["orderLine"]["findMany"]>>;
};

export function toView(order: Loaded): OrderView {
  return {
    orderId: order.id,
    customerId: order.customerId,
    status: order.status,
    fulfilment: order.fulfilment,
    reason: order.reason,
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
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

export async function findOrder(db: Database, orderId: string): Promise<OrderView | undefined> {
  const order = await db.order.findUnique({ where: { id: orderId }, include });
  return order ? toView(order) : undefined;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString("base64url");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(text: string): Cursor | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value as unknown[];
    if (typeof createdAt !== "string" || typeof id !== "string" || !UUID.test(id)) return undefined;
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime())) return undefined;
    // Every cursor given out holds an order's creation time; a year PostgreSQL cannot hold
    // (before 1 AD, say) would fail the query with a 500 instead of a 400.
    const year = date.getUTCFullYear();
    return year >= 1970 && year <= 9999 ? { createdAt: date, id } : undefined;
  } catch {
    return undefined;
  }
}

/** Newest first, keyset-paginated on (created_at, id). */
export async function listOrders(
  db: Database,
  filter: { customerId?: string; status?: OrderStatusName; limit: number; cursor?: Cursor },
): Promise<Page<OrderView>> {
  const orders = await db.order.findMany({
    where: {
      ...(filter.customerId !== undefined ? { customerId: filter.customerId } : {}),
      ...(filter.status !== undefined ? { status: filter.status } : {}),
      ...(filter.cursor
        ? {
            OR: [
              { createdAt: { lt: filter.cursor.createdAt } },
              { createdAt: filter.cursor.createdAt, id: { lt: filter.cursor.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: filter.limit + 1,
    include,
  });
  const page = orders.slice(0, filter.limit);
  const last = page.at(-1);
  return {
    items: page.map(toView),
    nextCursor:
      orders.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
  };
}

export interface TimelineItem {
  eventId: string;
  type: string;
  direction: "EMITTED" | "RECEIVED";
  occurredAt: string;
  recordedAt: string;
  event: unknown;
}

export async function orderTimeline(db: Database, orderId: string): Promise<TimelineItem[]> {
  const entries = await db.orderTimelineEntry.findMany({ where: { orderId }, orderBy: { id: "asc" } });
  return entries.map((entry) => ({
    eventId: entry.eventId,
    type: entry.eventType,
    direction: entry.direction,
    occurredAt: entry.occurredAt.toISOString(),
    recordedAt: entry.recordedAt.toISOString(),
    event: entry.payload,
  }));
}

/** The same view, from a domain order just saved (no second read). */
export function viewOfDomainOrder(order: {
  orderId: string;
  customerId: string;
  status: OrderStatusName;
  fulfilment: "PARTIAL" | "ALL_OR_NOTHING";
  reason: string | null;
  cancellation: { reason: string } | null;
  lines: readonly {
    sku: string;
    requestedQuantity: number;
    confirmedQuantity: number | null;
    status: "PENDING" | "RESERVED" | "PARTIAL" | "REJECTED";
    reason: string | null;
  }[];
  decisionDeadline: Date;
  placedAt: Date;
  updatedAt: Date;
}): OrderView {
  return toView({
    id: order.orderId,
    customerId: order.customerId,
    status: order.status,
    fulfilment: order.fulfilment,
    reason: order.status === "CANCELLED" ? (order.cancellation?.reason ?? null) : order.reason,
    decisionDeadline: order.decisionDeadline,
    idempotencyKey: null,
    requestHash: null,
    version: 0,
    createdAt: order.placedAt,
    updatedAt: order.updatedAt,
    lines: order.lines.map((line, lineNo) => ({
      orderId: order.orderId,
      lineNo,
      sku: line.sku,
      requestedQuantity: line.requestedQuantity,
      confirmedQuantity: line.confirmedQuantity,
      status: line.status,
      reason: line.reason,
      reservationId: null,
      availableQuantity: null,
    })),
  });
}

import type { IntegrationEvent } from "@stocksaga/contracts";
import { outboxEntry, writeOutbox } from "@stocksaga/messaging";
import type { Fulfilment, Order, OrderLine, OrderRejectionReason, OrderState } from "../domain/index.js";
import type { Prisma } from "../generated/prisma/client.js";
import { ORDER_CHANGED_CHANNEL, OUTBOX_CHANNEL, type Tx } from "./database.js";

export interface LoadedOrder {
  state: OrderState;
  version: number;
}

type LineRow = Prisma.OrderLineGetPayload<object>;

type OrderRow = {
  id: string;
  customer_id: string;
  status: Order["status"];
  fulfilment: Fulfilment;
  reason: string | null;
  decision_deadline: Date;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const REJECTION_REASONS = new Set<string>([
  "NO_STOCK",
  "SHORTFALL_NOT_ALLOWED",
  "TIMEOUT",
  "RESERVATION_EXPIRED",
  "NOT_HONOURED",
]);

function toDomain(row: OrderRow, lines: Prisma.OrderLineGetPayload<object>[]): Order {
  const rejection =
    row.status === "REJECTED" && row.reason && REJECTION_REASONS.has(row.reason)
      ? (row.reason as OrderRejectionReason)
      : null;
  return {
    status: row.status,
    orderId: row.id,
    customerId: row.customer_id,
    fulfilment: row.fulfilment,
    lines: lines
      .sort((a, b) => a.lineNo - b.lineNo)
      .map(
        (line): OrderLine => ({
          sku: line.sku,
          requestedQuantity: line.requestedQuantity,
          confirmedQuantity: line.confirmedQuantity,
          status: line.status,
          reason:
            line.reason === "INSUFFICIENT_STOCK" || line.reason === "UNKNOWN_PRODUCT" ? line.reason : null,
          reservationId: line.reservationId,
          availableQuantity: line.availableQuantity,
        }),
      ),
    reason: rejection,
    rejectionDetail: null,
    cancellation:
      row.status === "CANCELLED" ? { reason: row.reason ?? "", cancelledBy: row.customer_id } : null,
    decisionDeadline: row.decision_deadline,
    placedAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The one text column `reason` says why an order ended where it did. */
function reasonColumn(order: Order): string | null {
  if (order.status === "REJECTED") return order.reason;
  if (order.status === "CANCELLED") return order.cancellation?.reason ?? null;
  return null;
}

/**
 * Locks a PENDING order for the timeout sweeper unless another transaction holds it (another
 * instance's sweep, or a reaction deciding it now): true when this transaction got it. Sweepers
 * never queue behind each other; an order left to its holder is seen again on the next tick.
 */
export async function claimPendingOrder(tx: Tx, orderId: string): Promise<boolean> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    select id::text from orders where id = ${orderId}::uuid and status = 'PENDING' for update skip locked`;
  return rows.length === 1;
}

/** Loads the order and locks its row until the transaction ends: every state change starts here. */
export async function lockOrder(tx: Tx, orderId: string): Promise<LoadedOrder> {
  const loaded = await lockOrders(tx, [orderId]);
  return loaded.get(orderId) ?? { state: { status: "NOT_PLACED" }, version: -1 };
}

/**
 * `lockOrder` for several orders at once (a batch of events), locked in id order so that two
 * batches sharing orders wait for each other instead of deadlocking. Orders that do not exist are
 * NOT_PLACED.
 */
export async function lockOrders(tx: Tx, orderIds: Iterable<string>): Promise<Map<string, LoadedOrder>> {
  const ids = [...new Set(orderIds)].sort();
  const loaded = new Map<string, LoadedOrder>(
    ids.map((id) => [id, { state: { status: "NOT_PLACED" }, version: -1 }]),
  );
  if (ids.length === 0) return loaded;
  const rows = await tx.$queryRaw<OrderRow[]>`
    select id::text, customer_id, status::text as status, fulfilment::text as fulfilment, reason,
           decision_deadline, version, created_at, updated_at
      from orders where id = any(${ids}::uuid[]) order by id for update`;
  if (rows.length === 0) return loaded;
  const lines = await tx.$queryRaw<LineRow[]>`
    select order_id::text as "orderId", line_no as "lineNo", sku, requested_quantity as "requestedQuantity",
           confirmed_quantity as "confirmedQuantity", status::text as status, reason,
           reservation_id::text as "reservationId", available_quantity as "availableQuantity"
      from order_lines where order_id = any(${rows.map((row) => row.id)}::uuid[])`;
  for (const row of rows) {
    loaded.set(row.id, {
      state: toDomain(
        row,
        lines.filter((line) => line.orderId === row.id),
      ),
      version: row.version,
    });
  }
  return loaded;
}

/** A new order and its lines, in one statement; every instance's live streams hear of it at commit. */
export async function insertOrder(
  tx: Tx,
  order: Order,
  idempotency: { key: string; requestHash: string } | undefined,
): Promise<void> {
  const lines = order.lines;
  await tx.$executeRaw`
    with placed as (
      insert into orders (id, customer_id, status, fulfilment, reason, decision_deadline, idempotency_key,
                          request_hash, created_at, updated_at)
      values (${order.orderId}::uuid, ${order.customerId}, ${order.status}::order_status,
              ${order.fulfilment}::fulfilment_policy, ${reasonColumn(order)}, ${order.decisionDeadline},
              ${idempotency?.key ?? null}, ${idempotency?.requestHash ?? null}, ${order.placedAt}, ${order.updatedAt})
      returning id),
    lines as (
      insert into order_lines (order_id, line_no, sku, requested_quantity, confirmed_quantity, status, reason,
                               reservation_id, available_quantity)
      select placed.id, l.n - 1, l.sku, l.requested_quantity, l.confirmed_quantity, l.status::order_line_status,
             l.reason, l.reservation_id, l.available_quantity
        from placed,
             unnest(${lines.map((l) => l.sku)}::text[], ${lines.map((l) => l.requestedQuantity)}::int[],
                    ${lines.map((l) => l.confirmedQuantity)}::int[], ${lines.map((l) => l.status)}::text[],
                    ${lines.map((l) => l.reason)}::text[], ${lines.map((l) => l.reservationId)}::uuid[],
                    ${lines.map((l) => l.availableQuantity)}::int[])
             with ordinality as l(sku, requested_quantity, confirmed_quantity, status, reason, reservation_id,
                                  available_quantity, n))
    select pg_notify(${ORDER_CHANGED_CHANNEL}, id::text) from placed`;
}

/** Saves one changed order (see `updateOrders`). */
export async function updateOrder(tx: Tx, before: Order, after: Order, version: number): Promise<void> {
  await updateOrders(tx, [{ before, after, version }]);
}

/**
 * Saves changed orders — each conditional on the version it was loaded at, a second guard behind
 * the row lock — and their changed lines, in two statements whatever their number; every
 * instance's live streams hear of each order at commit.
 */
export async function updateOrders(
  tx: Tx,
  changes: readonly { before: Order; after: Order; version: number }[],
): Promise<void> {
  if (changes.length === 0) return;
  const orders = changes.map((change) => change.after);
  const updated = await tx.$executeRaw`
    with saved as (
      update orders as o
         set status = c.status::order_status, reason = c.reason, version = c.version + 1, updated_at = c.updated_at
        from unnest(${orders.map((o) => o.orderId)}::uuid[], ${changes.map((c) => c.version)}::int[],
                    ${orders.map((o) => o.status)}::text[], ${orders.map(reasonColumn)}::text[],
                    ${orders.map((o) => o.updatedAt.toISOString())}::timestamptz[])
             as c(id, version, status, reason, updated_at)
       where o.id = c.id and o.version = c.version
      returning o.id)
    select pg_notify(${ORDER_CHANGED_CHANNEL}, id::text) from saved`;
  if (updated !== changes.length) {
    throw new Error(`${changes.length - updated} of ${changes.length} orders changed under a held lock`);
  }
  const lines = changes.flatMap(({ before, after }) =>
    after.lines.flatMap((line, index) => {
      const previous = before.lines[index];
      const same =
        previous !== undefined &&
        previous.status === line.status &&
        previous.confirmedQuantity === line.confirmedQuantity &&
        previous.reservationId === line.reservationId &&
        previous.availableQuantity === line.availableQuantity &&
        previous.reason === line.reason;
      return same ? [] : [{ orderId: after.orderId, line }];
    }),
  );
  if (lines.length === 0) return;
  const l = lines.map(({ line }) => line);
  await tx.$executeRaw`
    update order_lines as ol
       set status = c.status::order_line_status, confirmed_quantity = c.confirmed_quantity,
           reservation_id = c.reservation_id, available_quantity = c.available_quantity, reason = c.reason
      from unnest(${lines.map((x) => x.orderId)}::uuid[], ${l.map((x) => x.sku)}::text[],
                  ${l.map((x) => x.status)}::text[], ${l.map((x) => x.confirmedQuantity)}::int[],
                  ${l.map((x) => x.reservationId)}::uuid[], ${l.map((x) => x.availableQuantity)}::int[],
                  ${l.map((x) => x.reason)}::text[])
           as c(order_id, sku, status, confirmed_quantity, reservation_id, available_quantity, reason)
     where ol.order_id = c.order_id and ol.sku = c.sku`;
}

export interface TimelineEntry {
  orderId: string;
  event: IntegrationEvent;
  direction: "EMITTED" | "RECEIVED";
}

/** Outgoing events (outbox, in order) and the order's history, in the transaction of the change. */
export async function recordEvents(
  tx: Tx,
  emitted: readonly IntegrationEvent[],
  topicOf: (event: IntegrationEvent) => { topic: string; key: string },
  timeline: readonly TimelineEntry[],
): Promise<void> {
  await writeOutbox(
    tx,
    OUTBOX_CHANNEL,
    emitted.map((event) => outboxEntry(event, topicOf(event))),
  );
  if (timeline.length === 0) return;
  // A received event already in the history (a redelivery applied as a duplicate) is kept once.
  await tx.$executeRaw`
    insert into order_timeline (order_id, event_id, event_type, direction, occurred_at, payload)
    select t.order_id, t.event_id, t.event_type, t.direction::timeline_direction, t.occurred_at, t.payload
      from unnest(${timeline.map((e) => e.orderId)}::uuid[], ${timeline.map((e) => e.event.metadata.eventId)}::uuid[],
                  ${timeline.map((e) => e.event.type)}::text[], ${timeline.map((e) => e.direction)}::text[],
                  ${timeline.map((e) => new Date(e.event.metadata.occurredAt).toISOString())}::timestamptz[],
                  ${timeline.map((e) => JSON.stringify(e.event))}::jsonb[])
           with ordinality as t(order_id, event_id, event_type, direction, occurred_at, payload, n)
     order by t.n
    on conflict (event_id) do nothing`;
}

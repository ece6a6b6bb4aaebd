import type { IntegrationEvent } from "@stocksaga/contracts";
import type { Fulfilment, Order, OrderLine, OrderRejectionReason, OrderState } from "../domain/index.js";
import type { Prisma } from "../generated/prisma/client.js";
import { ORDER_CHANGED_CHANNEL, OUTBOX_CHANNEL, type Tx } from "./database.js";

export interface LoadedOrder {
  state: OrderState;
  version: number;
}

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
  const rows = await tx.$queryRaw<OrderRow[]>`
    select id::text, customer_id, status::text as status, fulfilment::text as fulfilment, reason,
           decision_deadline, version, created_at, updated_at
      from orders where id = ${orderId}::uuid for update`;
  const row = rows[0];
  if (!row) return { state: { status: "NOT_PLACED" }, version: -1 };
  const lines = await tx.orderLine.findMany({ where: { orderId } });
  return { state: toDomain(row, lines), version: row.version };
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
  const lines = await tx.orderLine.findMany({ where: { orderId: { in: rows.map((row) => row.id) } } });
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

export async function insertOrder(
  tx: Tx,
  order: Order,
  idempotency: { key: string; requestHash: string } | undefined,
): Promise<void> {
  await tx.order.create({
    data: {
      id: order.orderId,
      customerId: order.customerId,
      status: order.status,
      fulfilment: order.fulfilment,
      reason: reasonColumn(order),
      decisionDeadline: order.decisionDeadline,
      idempotencyKey: idempotency?.key ?? null,
      requestHash: idempotency?.requestHash ?? null,
      createdAt: order.placedAt,
      updatedAt: order.updatedAt,
      lines: {
        create: order.lines.map((line, index) => ({
          lineNo: index,
          sku: line.sku,
          requestedQuantity: line.requestedQuantity,
          confirmedQuantity: line.confirmedQuantity,
          status: line.status,
          reason: line.reason,
          reservationId: line.reservationId,
          availableQuantity: line.availableQuantity,
        })),
      },
    },
  });
}

export async function updateOrder(tx: Tx, before: Order, after: Order, version: number): Promise<void> {
  const updated = await tx.order.updateMany({
    where: { id: after.orderId, version },
    data: {
      status: after.status,
      reason: reasonColumn(after),
      version: version + 1,
      updatedAt: after.updatedAt,
    },
  });
  if (updated.count !== 1)
    throw new Error(`order ${after.orderId} changed under a held lock (version ${version})`);
  for (const [index, line] of after.lines.entries()) {
    const previous = before.lines[index];
    if (
      previous &&
      previous.status === line.status &&
      previous.confirmedQuantity === line.confirmedQuantity &&
      previous.reservationId === line.reservationId &&
      previous.availableQuantity === line.availableQuantity &&
      previous.reason === line.reason
    ) {
      continue;
    }
    await tx.orderLine.update({
      where: { orderId_sku: { orderId: after.orderId, sku: line.sku } },
      data: {
        status: line.status,
        confirmedQuantity: line.confirmedQuantity,
        reservationId: line.reservationId,
        availableQuantity: line.availableQuantity,
        reason: line.reason,
      },
    });
  }
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
  if (emitted.length > 0) {
    await tx.outboxMessage.createMany({
      data: emitted.map((event) => {
        const { topic, key } = topicOf(event);
        return {
          eventId: event.metadata.eventId,
          eventType: event.type,
          topic,
          messageKey: key,
          payload: event as unknown as Prisma.InputJsonValue,
          headers: event.metadata.traceparent ? { traceparent: event.metadata.traceparent } : {},
        };
      }),
    });
    await tx.$executeRaw`select pg_notify(${OUTBOX_CHANNEL}, '')`;
  }
  if (timeline.length > 0) {
    await tx.orderTimelineEntry.createMany({
      data: timeline.map((entry) => ({
        orderId: entry.orderId,
        eventId: entry.event.metadata.eventId,
        eventType: entry.event.type,
        direction: entry.direction,
        occurredAt: new Date(entry.event.metadata.occurredAt),
        payload: entry.event as unknown as Prisma.InputJsonValue,
      })),
      skipDuplicates: true,
    });
  }
}

/** Tells every instance (their SSE streams) that an order changed, when the transaction commits. */
export async function announceChange(tx: Tx, orderId: string): Promise<void> {
  await tx.$executeRaw`select pg_notify(${ORDER_CHANGED_CHANNEL}, ${orderId})`;
}

/** True when this consumer already applied the event; records it otherwise (same transaction as the effect). */
export async function alreadyProcessed(
  tx: Tx,
  consumer: string,
  message: { eventId: string; topic: string; partition: number; offset: string },
): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    insert into inbox (consumer, event_id, topic, partition, "offset")
    values (${consumer}, ${message.eventId}::uuid, ${message.topic}, ${message.partition}, ${BigInt(message.offset)})
    on conflict do nothing`;
  return inserted === 0;
}

import type { IntegrationEvent } from "@stocksaga/contracts";
import {
  type Fulfilment,
  type InventoryEvent,
  type InventoryState,
  type OrderRequest,
  type OrderRequestStatus,
  ProductAlreadyExists,
  type ProductStock,
  type Reservation,
  type ReservationStatus,
} from "../domain/index.js";
import type { Prisma } from "../generated/prisma/client.js";
import { ORDER_REQUEST_LOCK_CLASS, OUTBOX_CHANNEL, type Tx } from "./database.js";

export interface LockedProduct extends ProductStock {
  name: string;
  updatedAt: Date;
}

type OrderRequestRow = {
  order_id: string;
  customer_id: string;
  fulfilment: Fulfilment;
  line_count: number;
  status: OrderRequestStatus;
};

type ProductRow = {
  sku: string;
  name: string;
  on_hand: number;
  reserved: number;
  updated_at: Date;
};

/**
 * Loads the inventory's view of an order and locks it until the transaction ends: every change
 * that emits an event for the order starts here. The advisory lock also covers an order not
 * recorded yet, so two deliveries of one `OrderRequested` cannot both reserve.
 */
export async function lockOrderRequest(tx: Tx, orderId: string): Promise<OrderRequest | undefined> {
  const [order] = await lockOrderRequests(tx, [orderId]);
  return order;
}

/**
 * `lockOrderRequest` for several orders at once (a batch of events): the advisory locks are taken
 * in order-id order, so that two batches sharing orders wait for each other instead of deadlocking.
 * Returns the orders the inventory has recorded, in order-id order.
 */
export async function lockOrderRequests(tx: Tx, orderIds: Iterable<string>): Promise<OrderRequest[]> {
  const ids = [...new Set(orderIds)].sort();
  if (ids.length === 0) return [];
  await tx.$executeRaw`
    select pg_advisory_xact_lock(${ORDER_REQUEST_LOCK_CLASS}::int, hashtext(id))
      from (select id from unnest(${ids}::text[]) as ids(id) order by id) as sorted`;
  const rows = await tx.$queryRaw<OrderRequestRow[]>`
    select order_id::text, customer_id, fulfilment::text as fulfilment, line_count, status::text as status
      from order_requests where order_id = any(${ids}::uuid[]) order by order_id for update`;
  if (rows.length === 0) return [];
  const reservations = await tx.reservation.findMany({
    where: { orderId: { in: rows.map((row) => row.order_id) } },
    orderBy: [{ orderId: "asc" }, { sku: "asc" }],
  });
  return rows.map((row) => ({
    orderId: row.order_id,
    customerId: row.customer_id,
    fulfilment: row.fulfilment,
    lineCount: row.line_count,
    status: row.status,
    reservations: reservations
      .filter((reservation) => reservation.orderId === row.order_id)
      .map(
        (reservation): Reservation => ({
          id: reservation.id,
          sku: reservation.sku,
          requestedQuantity: reservation.requestedQuantity,
          quantity: reservation.quantity,
          status: reservation.status,
          expiresAt: reservation.expiresAt,
        }),
      ),
  }));
}

/** Locks the products that exist among `skus`, always in SKU order so that two orders cannot deadlock. */
export async function lockProducts(tx: Tx, skus: Iterable<string>): Promise<LockedProduct[]> {
  const distinct = [...new Set(skus)].sort();
  if (distinct.length === 0) return [];
  const rows = await tx.$queryRaw<ProductRow[]>`
    select sku, name, on_hand, reserved, updated_at
      from products where sku = any(${distinct}::text[]) order by sku for update`;
  return rows.map((row) => ({
    sku: row.sku,
    name: row.name,
    onHand: row.on_hand,
    reserved: row.reserved,
    updatedAt: row.updated_at,
  }));
}

/**
 * Writes what the domain changed, by comparing the locked state with the folded one. Every update
 * is conditional on the values it was decided on, a second guard behind the locks; inserts use
 * ON CONFLICT DO NOTHING, so no statement here fails in the database.
 */
export async function saveChanges(
  tx: Tx,
  before: InventoryState,
  after: InventoryState,
  events: readonly InventoryEvent[],
  now: Date,
): Promise<void> {
  for (const event of events) {
    if (event.type === "ProductCreated")
      await insertProduct(tx, event.sku, event.name, event.onHand, event.at);
  }
  for (const [sku, stock] of after.products) {
    const previous = before.products.get(sku);
    if (previous && (previous.onHand !== stock.onHand || previous.reserved !== stock.reserved)) {
      await updateStock(tx, previous, stock, now);
    }
  }
  for (const [orderId, order] of after.orders) {
    const previous = before.orders.get(orderId);
    if (!previous) {
      await insertOrderRequest(tx, order, now);
    } else if (previous.status !== order.status) {
      const updated = await tx.orderRequest.updateMany({
        where: { orderId, status: previous.status },
        data: { status: order.status, updatedAt: now },
      });
      if (updated.count !== 1) throw new Error(`order request ${orderId} changed under a held lock`);
    }
    await saveReservations(tx, order, previous?.reservations ?? [], now);
  }
  const adjustments = events.flatMap((event) => (event.type === "StockAdjusted" ? [event] : []));
  if (adjustments.length > 0) {
    await tx.stockAdjustment.createMany({
      data: adjustments.map((event) => ({
        sku: event.sku,
        delta: event.delta,
        reason: event.reason,
        actor: event.actor,
        createdAt: event.at,
      })),
    });
  }
}

async function insertProduct(tx: Tx, sku: string, name: string, onHand: number, at: Date): Promise<void> {
  const inserted = await tx.$executeRaw`
    insert into products (sku, name, on_hand, reserved, version, created_at, updated_at)
    values (${sku}, ${name}, ${onHand}, 0, 0, ${at}, ${at})
    on conflict (sku) do nothing`;
  // Another request created it between our lookup and this insert.
  if (inserted === 0) throw new ProductAlreadyExists(sku);
}

async function updateStock(tx: Tx, previous: ProductStock, next: ProductStock, now: Date): Promise<void> {
  const updated = await tx.product.updateMany({
    where: { sku: previous.sku, onHand: previous.onHand, reserved: previous.reserved },
    data: { onHand: next.onHand, reserved: next.reserved, version: { increment: 1 }, updatedAt: now },
  });
  if (updated.count !== 1) throw new Error(`stock of ${previous.sku} changed under a held lock`);
}

async function insertOrderRequest(tx: Tx, order: OrderRequest, now: Date): Promise<void> {
  const inserted = await tx.orderRequest.createMany({
    data: [
      {
        orderId: order.orderId,
        customerId: order.customerId,
        fulfilment: order.fulfilment,
        lineCount: order.lineCount,
        status: order.status,
        createdAt: now,
        updatedAt: now,
      },
    ],
    skipDuplicates: true,
  });
  if (inserted.count !== 1) throw new Error(`order request ${order.orderId} was recorded under a held lock`);
}

async function saveReservations(
  tx: Tx,
  order: OrderRequest,
  previous: readonly Reservation[],
  now: Date,
): Promise<void> {
  const before = new Map(previous.map((reservation) => [reservation.id, reservation]));
  const created = order.reservations.filter((reservation) => !before.has(reservation.id));
  if (created.length > 0) {
    const inserted = await tx.reservation.createMany({
      data: created.map((reservation) => ({
        id: reservation.id,
        orderId: order.orderId,
        sku: reservation.sku,
        requestedQuantity: reservation.requestedQuantity,
        quantity: reservation.quantity,
        status: reservation.status,
        expiresAt: reservation.expiresAt,
        createdAt: now,
        updatedAt: now,
      })),
      skipDuplicates: true,
    });
    if (inserted.count !== created.length) {
      throw new Error(`reservations of order ${order.orderId} were recorded under a held lock`);
    }
  }
  for (const reservation of order.reservations) {
    const old = before.get(reservation.id);
    if (!old || (old.status === reservation.status && old.quantity === reservation.quantity)) continue;
    const updated = await tx.reservation.updateMany({
      where: { id: reservation.id, status: old.status as ReservationStatus },
      data: { status: reservation.status, quantity: reservation.quantity, updatedAt: now },
    });
    if (updated.count !== 1) throw new Error(`reservation ${reservation.id} changed under a held lock`);
  }
}

/** Outgoing events, in order, in the transaction of the change; the relay is woken at commit. */
export async function recordEvents(
  tx: Tx,
  emitted: readonly IntegrationEvent[],
  topicOf: (event: IntegrationEvent) => { topic: string; key: string },
): Promise<void> {
  if (emitted.length === 0) return;
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

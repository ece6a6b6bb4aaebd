import type { IntegrationEvent } from "@stocksaga/contracts";
import { outboxEntry, writeOutbox } from "@stocksaga/messaging";
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

type ReservationRow = {
  id: string;
  order_id: string;
  sku: string;
  requested_quantity: number;
  quantity: number;
  status: ReservationStatus;
  expires_at: Date;
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
  const reservations = await tx.$queryRaw<ReservationRow[]>`
    select id::text, order_id::text, sku, requested_quantity, quantity, status::text as status, expires_at
      from reservations where order_id = any(${rows.map((row) => row.order_id)}::uuid[]) order by order_id, sku`;
  return rows.map((row) => ({
    orderId: row.order_id,
    customerId: row.customer_id,
    fulfilment: row.fulfilment,
    lineCount: row.line_count,
    status: row.status,
    reservations: reservations
      .filter((reservation) => reservation.order_id === row.order_id)
      .map(
        (reservation): Reservation => ({
          id: reservation.id,
          sku: reservation.sku,
          requestedQuantity: reservation.requested_quantity,
          quantity: reservation.quantity,
          status: reservation.status,
          expiresAt: reservation.expires_at,
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
 * Writes what the domain changed, by comparing the locked state with the folded one, in one
 * statement per table whatever the number of orders and products (a batch of events). Every update
 * is conditional on the values it was decided on, a second guard behind the locks; inserts use
 * ON CONFLICT DO NOTHING; a count that differs from what was decided fails the transaction.
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
  await updateStock(
    tx,
    [...after.products.values()].flatMap((stock) => {
      const previous = before.products.get(stock.sku);
      return previous && (previous.onHand !== stock.onHand || previous.reserved !== stock.reserved)
        ? [{ previous, next: stock }]
        : [];
    }),
    now,
  );
  const created: OrderRequest[] = [];
  const statusChanges: { orderId: string; from: OrderRequestStatus; to: OrderRequestStatus }[] = [];
  const newReservations: { orderId: string; reservation: Reservation }[] = [];
  const reservationChanges: { old: Reservation; next: Reservation }[] = [];
  for (const [orderId, order] of after.orders) {
    const previous = before.orders.get(orderId);
    if (!previous) created.push(order);
    else if (previous.status !== order.status)
      statusChanges.push({ orderId, from: previous.status, to: order.status });
    const old = new Map((previous?.reservations ?? []).map((reservation) => [reservation.id, reservation]));
    for (const reservation of order.reservations) {
      const was = old.get(reservation.id);
      if (!was) newReservations.push({ orderId, reservation });
      else if (was.status !== reservation.status || was.quantity !== reservation.quantity) {
        reservationChanges.push({ old: was, next: reservation });
      }
    }
  }
  await insertOrderRequests(tx, created, now);
  await updateOrderRequestStatuses(tx, statusChanges, now);
  await insertReservations(tx, newReservations, now);
  await updateReservations(tx, reservationChanges, now);
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

function changedUnderLock(what: string, expected: number, actual: number): Error {
  return new Error(`${expected - actual} of ${expected} ${what} changed under a held lock`);
}

async function updateStock(
  tx: Tx,
  changes: readonly { previous: ProductStock; next: ProductStock }[],
  now: Date,
): Promise<void> {
  if (changes.length === 0) return;
  const updated = await tx.$executeRaw`
    update products as p
       set on_hand = c.on_hand, reserved = c.reserved, version = p.version + 1, updated_at = ${now}
      from unnest(${changes.map((c) => c.previous.sku)}::text[],
                  ${changes.map((c) => c.previous.onHand)}::int[], ${changes.map((c) => c.previous.reserved)}::int[],
                  ${changes.map((c) => c.next.onHand)}::int[], ${changes.map((c) => c.next.reserved)}::int[])
           as c(sku, was_on_hand, was_reserved, on_hand, reserved)
     where p.sku = c.sku and p.on_hand = c.was_on_hand and p.reserved = c.was_reserved`;
  if (updated !== changes.length) throw changedUnderLock("products", changes.length, updated);
}

async function insertOrderRequests(tx: Tx, orders: readonly OrderRequest[], now: Date): Promise<void> {
  if (orders.length === 0) return;
  const inserted = await tx.$executeRaw`
    insert into order_requests (order_id, customer_id, fulfilment, line_count, status, created_at, updated_at)
    select o.order_id, o.customer_id, o.fulfilment::fulfilment_policy, o.line_count,
           o.status::order_request_status, ${now}, ${now}
      from unnest(${orders.map((o) => o.orderId)}::uuid[], ${orders.map((o) => o.customerId)}::text[],
                  ${orders.map((o) => o.fulfilment)}::text[], ${orders.map((o) => o.lineCount)}::int[],
                  ${orders.map((o) => o.status)}::text[])
           as o(order_id, customer_id, fulfilment, line_count, status)
    on conflict (order_id) do nothing`;
  if (inserted !== orders.length) throw changedUnderLock("new order requests", orders.length, inserted);
}

async function updateOrderRequestStatuses(
  tx: Tx,
  changes: readonly { orderId: string; from: OrderRequestStatus; to: OrderRequestStatus }[],
  now: Date,
): Promise<void> {
  if (changes.length === 0) return;
  const updated = await tx.$executeRaw`
    update order_requests as r set status = c.status::order_request_status, updated_at = ${now}
      from unnest(${changes.map((c) => c.orderId)}::uuid[], ${changes.map((c) => c.from)}::text[],
                  ${changes.map((c) => c.to)}::text[]) as c(order_id, was, status)
     where r.order_id = c.order_id and r.status = c.was::order_request_status`;
  if (updated !== changes.length) throw changedUnderLock("order requests", changes.length, updated);
}

async function insertReservations(
  tx: Tx,
  created: readonly { orderId: string; reservation: Reservation }[],
  now: Date,
): Promise<void> {
  if (created.length === 0) return;
  const r = created.map(({ reservation }) => reservation);
  const inserted = await tx.$executeRaw`
    insert into reservations (id, order_id, sku, requested_quantity, quantity, status, expires_at, created_at, updated_at)
    select n.id, n.order_id, n.sku, n.requested_quantity, n.quantity, n.status::reservation_status, n.expires_at,
           ${now}, ${now}
      from unnest(${r.map((x) => x.id)}::uuid[], ${created.map((c) => c.orderId)}::uuid[], ${r.map((x) => x.sku)}::text[],
                  ${r.map((x) => x.requestedQuantity)}::int[], ${r.map((x) => x.quantity)}::int[],
                  ${r.map((x) => x.status)}::text[], ${r.map((x) => x.expiresAt.toISOString())}::timestamptz[])
           as n(id, order_id, sku, requested_quantity, quantity, status, expires_at)
    on conflict do nothing`;
  if (inserted !== created.length) throw changedUnderLock("new reservations", created.length, inserted);
}

async function updateReservations(
  tx: Tx,
  changes: readonly { old: Reservation; next: Reservation }[],
  now: Date,
): Promise<void> {
  if (changes.length === 0) return;
  const updated = await tx.$executeRaw`
    update reservations as r
       set status = c.status::reservation_status, quantity = c.quantity, updated_at = ${now}
      from unnest(${changes.map((c) => c.old.id)}::uuid[], ${changes.map((c) => c.old.status)}::text[],
                  ${changes.map((c) => c.next.status)}::text[], ${changes.map((c) => c.next.quantity)}::int[])
           as c(id, was, status, quantity)
     where r.id = c.id and r.status = c.was::reservation_status`;
  if (updated !== changes.length) throw changedUnderLock("reservations", changes.length, updated);
}

/** Outgoing events, in order, in the transaction of the change; the relay is woken at commit. */
export async function recordEvents(
  tx: Tx,
  emitted: readonly IntegrationEvent[],
  topicOf: (event: IntegrationEvent) => { topic: string; key: string },
): Promise<void> {
  await writeOutbox(
    tx,
    OUTBOX_CHANNEL,
    emitted.map((event) => outboxEntry(event, topicOf(event))),
  );
}

import {
  claimInbox,
  type InboxEntry,
  inTransaction,
  type OutboxEntry,
  unclaimInbox,
  writeOutbox,
} from "@stocksaga/messaging";
import type pg from "pg";
import {
  type Fulfilment,
  type OrderRequest,
  type OrderRequestStatus,
  ProductAlreadyExists,
  type ReservationStatus,
} from "../domain/index.js";
import { isUnchanged, type RowChanges, rowChanges } from "./changes.js";
import { ORDER_REQUEST_LOCK_CLASS } from "./database.js";
import type {
  Decided,
  DueReservation,
  InventoryStore,
  InventoryTransaction,
  ProductRecord,
  ReservationRecord,
} from "./inventory-store.js";

/**
 * Every statement of the store, by name. Each is prepared once per connection (a named statement)
 * and takes whole batches as arrays, so a transaction costs one round trip per step whatever the
 * number of orders and products it touches. `pg-inventory-store.schema.test.ts` prepares each
 * against a freshly migrated database, so a table, column or type the schema lost fails it.
 */
export const INVENTORY_SQL = {
  /**
   * The two-key advisory lock of each order, in order-id order. It covers an order whose row does
   * not exist yet; every writer of an order takes it first, so the order's rows read after it are
   * the last committed ones.
   */
  lockOrderIds: `
    select pg_advisory_xact_lock($1::int, hashtext(id))
      from (select id from unnest($2::text[]) as ids(id) order by id) as sorted`,

  /** The recorded orders among the ids, each with its reservations (as JSON, in SKU order). */
  lockOrderRequests: `
    select o.order_id::text as order_id, o.customer_id, o.fulfilment::text as fulfilment, o.line_count,
           o.status::text as status,
           coalesce((select json_agg(json_build_object(
                               'id', r.id, 'sku', r.sku, 'requestedQuantity', r.requested_quantity,
                               'quantity', r.quantity, 'status', r.status, 'expiresAt', r.expires_at)
                             order by r.sku)
                       from reservations as r where r.order_id = o.order_id), '[]') as reservations
      from order_requests as o
     where o.order_id = any($1::uuid[])
     order by o.order_id
       for update of o`,

  lockProducts: `
    select sku, name, on_hand, reserved, updated_at
      from products where sku = any($1::text[]) order by sku for update`,

  /**
   * Every row a decision changed, in one statement: each table's rows as arrays. Updates are
   * conditional on the values decided on, inserts do nothing on a conflict, and the counts (the
   * SKUs of new products) tell the caller whether every row was written.
   */
  save: `
    with created_products as (
      insert into products (sku, name, on_hand, reserved, version, created_at, updated_at)
      select n.sku, n.name, n.on_hand, n.reserved, 0, $1, $1
        from unnest($2::text[], $3::text[], $4::int[], $5::int[]) as n(sku, name, on_hand, reserved)
      on conflict (sku) do nothing
      returning sku
    ), stock as (
      update products as p
         set on_hand = c.on_hand, reserved = c.reserved, version = p.version + 1, updated_at = $1
        from unnest($6::text[], $7::int[], $8::int[], $9::int[], $10::int[])
             as c(sku, was_on_hand, was_reserved, on_hand, reserved)
       where p.sku = c.sku and p.on_hand = c.was_on_hand and p.reserved = c.was_reserved
      returning 1
    ), created_orders as (
      insert into order_requests (order_id, customer_id, fulfilment, line_count, status, created_at, updated_at)
      select n.order_id, n.customer_id, n.fulfilment::fulfilment_policy, n.line_count,
             n.status::order_request_status, $1, $1
        from unnest($11::uuid[], $12::text[], $13::text[], $14::int[], $15::text[])
             as n(order_id, customer_id, fulfilment, line_count, status)
      on conflict (order_id) do nothing
      returning 1
    ), order_statuses as (
      update order_requests as o set status = c.status::order_request_status, updated_at = $1
        from unnest($16::uuid[], $17::text[], $18::text[]) as c(order_id, was, status)
       where o.order_id = c.order_id and o.status = c.was::order_request_status
      returning 1
    ), created_reservations as (
      insert into reservations
             (id, order_id, sku, requested_quantity, quantity, status, expires_at, created_at, updated_at)
      select n.id, n.order_id, n.sku, n.requested_quantity, n.quantity, n.status::reservation_status,
             n.expires_at, $1, $1
        from unnest($19::uuid[], $20::uuid[], $21::text[], $22::int[], $23::int[], $24::text[],
                    $25::timestamptz[])
             as n(id, order_id, sku, requested_quantity, quantity, status, expires_at)
      on conflict do nothing
      returning 1
    ), reservation_changes as (
      update reservations as r
         set status = c.status::reservation_status, quantity = c.quantity, updated_at = $1
        from unnest($26::uuid[], $27::text[], $28::text[], $29::int[]) as c(id, was, status, quantity)
       where r.id = c.id and r.status = c.was::reservation_status
      returning 1
    ), adjustments as (
      insert into stock_adjustments (sku, delta, reason, actor, created_at)
      select a.sku, a.delta, a.reason, a.actor, a.created_at
        from unnest($30::text[], $31::int[], $32::text[], $33::text[], $34::timestamptz[])
             as a(sku, delta, reason, actor, created_at)
      returning 1
    )
    select array(select sku from created_products) as created_products,
           (select count(*) from stock)::int as stock,
           (select count(*) from created_orders)::int as created_orders,
           (select count(*) from order_statuses)::int as order_statuses,
           (select count(*) from created_reservations)::int as created_reservations,
           (select count(*) from reservation_changes)::int as reservations,
           (select count(*) from adjustments)::int as adjustments`,

  findProduct: `select sku, name, on_hand, reserved, updated_at from products where sku = $1`,

  findProducts: `
    select sku, name, on_hand, reserved, updated_at
      from products where sku = any($1::text[]) order by sku`,

  /** Keyset pagination on the SKU; '' sorts before every SKU (which is never empty). */
  listProducts: `
    select sku, name, on_hand, reserved, updated_at
      from products where sku > $1 order by sku limit $2`,

  reservationsOfOrder: `
    select id::text as id, order_id::text as order_id, sku, quantity, status::text as status,
           expires_at, created_at, updated_at
      from reservations where order_id = $1::uuid order by sku`,

  overdueReservations: `
    select id::text as reservation_id, order_id::text as order_id
      from reservations where status = 'ACTIVE' and expires_at < $1
     order by expires_at limit $2`,

  ping: "select 1 as answer",
} as const;

type StatementName = keyof typeof INVENTORY_SQL;

async function run<Row extends pg.QueryResultRow>(
  client: pg.Pool | pg.PoolClient,
  name: StatementName,
  values: unknown[],
): Promise<Row[]> {
  const { rows } = await client.query<Row>({ name: `inventory.${name}`, text: INVENTORY_SQL[name], values });
  return rows;
}

type ProductRow = { sku: string; name: string; on_hand: number; reserved: number; updated_at: Date };

type OrderRequestRow = {
  order_id: string;
  customer_id: string;
  fulfilment: Fulfilment;
  line_count: number;
  status: OrderRequestStatus;
  reservations: {
    id: string;
    sku: string;
    requestedQuantity: number;
    quantity: number;
    status: ReservationStatus;
    expiresAt: string;
  }[];
};

type SaveRow = {
  created_products: string[];
  stock: number;
  created_orders: number;
  order_statuses: number;
  created_reservations: number;
  reservations: number;
  adjustments: number;
};

function productOf(row: ProductRow): ProductRecord {
  return {
    sku: row.sku,
    name: row.name,
    onHand: row.on_hand,
    reserved: row.reserved,
    updatedAt: row.updated_at,
  };
}

function orderOf(row: OrderRequestRow): OrderRequest {
  return {
    orderId: row.order_id,
    customerId: row.customer_id,
    fulfilment: row.fulfilment,
    lineCount: row.line_count,
    status: row.status,
    reservations: row.reservations.map((reservation) => ({
      id: reservation.id,
      sku: reservation.sku,
      requestedQuantity: reservation.requestedQuantity,
      quantity: reservation.quantity,
      status: reservation.status,
      expiresAt: new Date(reservation.expiresAt),
    })),
  };
}

function changedUnderLock(what: string, expected: number, actual: number): Error {
  return new Error(`${expected - actual} of ${expected} ${what} changed under a held lock`);
}

/** The values of `INVENTORY_SQL.save`, in the order of its parameters. */
function saveParameters(changes: RowChanges, at: Date): unknown[] {
  const { createdProducts: np, stock, createdOrders: no, orderStatuses: os } = changes;
  const { createdReservations: nr, reservations: rc, adjustments: a } = changes;
  return [
    at,
    np.map((p) => p.sku),
    np.map((p) => p.name),
    np.map((p) => p.onHand),
    np.map((p) => p.reserved),
    stock.map((s) => s.sku),
    stock.map((s) => s.wasOnHand),
    stock.map((s) => s.wasReserved),
    stock.map((s) => s.onHand),
    stock.map((s) => s.reserved),
    no.map((o) => o.orderId),
    no.map((o) => o.customerId),
    no.map((o) => o.fulfilment),
    no.map((o) => o.lineCount),
    no.map((o) => o.status),
    os.map((o) => o.orderId),
    os.map((o) => o.was),
    os.map((o) => o.status),
    nr.map((r) => r.id),
    nr.map((r) => r.orderId),
    nr.map((r) => r.sku),
    nr.map((r) => r.requestedQuantity),
    nr.map((r) => r.quantity),
    nr.map((r) => r.status),
    nr.map((r) => r.expiresAt.toISOString()),
    rc.map((r) => r.id),
    rc.map((r) => r.was),
    rc.map((r) => r.status),
    rc.map((r) => r.quantity),
    a.map((x) => x.sku),
    a.map((x) => x.delta),
    a.map((x) => x.reason),
    a.map((x) => x.actor),
    a.map((x) => x.at.toISOString()),
  ];
}

function checkSaved(changes: RowChanges, saved: SaveRow): void {
  const created = new Set(saved.created_products);
  // Another request created it between our lock, which found nothing to lock, and this insert.
  const existing = changes.createdProducts.find((product) => !created.has(product.sku));
  if (existing) throw new ProductAlreadyExists(existing.sku);
  const counts: [string, number, number][] = [
    ["products", changes.stock.length, saved.stock],
    ["new order requests", changes.createdOrders.length, saved.created_orders],
    ["order requests", changes.orderStatuses.length, saved.order_statuses],
    ["new reservations", changes.createdReservations.length, saved.created_reservations],
    ["reservations", changes.reservations.length, saved.reservations],
    ["stock adjustments", changes.adjustments.length, saved.adjustments],
  ];
  for (const [what, expected, actual] of counts) {
    if (actual !== expected) throw changedUnderLock(what, expected, actual);
  }
}

class PgInventoryTransaction implements InventoryTransaction {
  constructor(private readonly client: pg.PoolClient) {}

  claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]> {
    return claimInbox(this.client, consumer, entries);
  }

  unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void> {
    return unclaimInbox(this.client, consumer, eventIds);
  }

  async lockOrderRequests(orderIds: Iterable<string>): Promise<OrderRequest[]> {
    const ids = [...new Set(orderIds)].sort();
    if (ids.length === 0) return [];
    await run(this.client, "lockOrderIds", [ORDER_REQUEST_LOCK_CLASS, ids]);
    return (await run<OrderRequestRow>(this.client, "lockOrderRequests", [ids])).map(orderOf);
  }

  async lockProducts(skus: Iterable<string>): Promise<ProductRecord[]> {
    const distinct = [...new Set(skus)].sort();
    if (distinct.length === 0) return [];
    return (await run<ProductRow>(this.client, "lockProducts", [distinct])).map(productOf);
  }

  async save(decided: Decided): Promise<void> {
    const changes = rowChanges(decided);
    if (isUnchanged(changes)) return;
    const [saved] = await run<SaveRow>(this.client, "save", saveParameters(changes, decided.at));
    if (!saved) throw new Error("the save statement returned no row");
    checkSaved(changes, saved);
  }

  recordEvents(entries: readonly OutboxEntry[]): Promise<void> {
    return writeOutbox(this.client, entries);
  }
}

/** The inventory's state in its PostgreSQL database, through the pg driver. */
export class PgInventoryStore implements InventoryStore {
  constructor(private readonly pool: pg.Pool) {}

  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) => work(new PgInventoryTransaction(client)));
  }

  async findProduct(sku: string): Promise<ProductRecord | undefined> {
    const [row] = await run<ProductRow>(this.pool, "findProduct", [sku]);
    return row ? productOf(row) : undefined;
  }

  async findProducts(skus: readonly string[]): Promise<ProductRecord[]> {
    if (skus.length === 0) return [];
    return (await run<ProductRow>(this.pool, "findProducts", [[...skus]])).map(productOf);
  }

  async listProducts(page: { limit: number; after?: string }): Promise<ProductRecord[]> {
    return (await run<ProductRow>(this.pool, "listProducts", [page.after ?? "", page.limit])).map(productOf);
  }

  async reservationsOfOrder(orderId: string): Promise<ReservationRecord[]> {
    const rows = await run<{
      id: string;
      order_id: string;
      sku: string;
      quantity: number;
      status: ReservationStatus;
      expires_at: Date;
      created_at: Date;
      updated_at: Date;
    }>(this.pool, "reservationsOfOrder", [orderId]);
    return rows.map((row) => ({
      id: row.id,
      orderId: row.order_id,
      sku: row.sku,
      quantity: row.quantity,
      status: row.status,
      expiresAt: row.expires_at,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }));
  }

  async overdueReservations(now: Date, limit: number): Promise<DueReservation[]> {
    const rows = await run<{ reservation_id: string; order_id: string }>(this.pool, "overdueReservations", [
      now,
      limit,
    ]);
    return rows.map((row) => ({ reservationId: row.reservation_id, orderId: row.order_id }));
  }

  async ping(): Promise<boolean> {
    return (await run(this.pool, "ping", [])).length === 1;
  }
}

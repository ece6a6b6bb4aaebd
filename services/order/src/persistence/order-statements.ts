import type { Fulfilment, LineStatus, OrderStatus } from "../domain/index.js";

/** An `orders` row as the statements below select it. */
export interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  fulfilment: Fulfilment;
  reason: string | null;
  rejection_detail: string | null;
  cancelled_by: string | null;
  decision_deadline: Date;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** An `order_lines` row as the statements below select it (as rows, or as JSON objects). */
export interface LineRow {
  order_id: string;
  line_no: number;
  sku: string;
  requested_quantity: number;
  confirmed_quantity: number | null;
  status: LineStatus;
  reason: string | null;
  reservation_id: string | null;
  available_quantity: number | null;
}

const ORDER_COLUMNS = `o.id::text as id, o.customer_id, o.status::text as status, o.fulfilment::text as fulfilment,
       o.reason, o.rejection_detail, o.cancelled_by, o.decision_deadline, o.version, o.created_at, o.updated_at`;

const LINE_COLUMNS = `l.order_id::text as order_id, l.line_no, l.sku, l.requested_quantity, l.confirmed_quantity,
       l.status::text as status, l.reason, l.reservation_id::text as reservation_id, l.available_quantity`;

/** The order's lines as one JSON array, read in the same snapshot as the order (reads that lock nothing). */
const LINES_AS_JSON = `coalesce((
         select json_agg(json_build_object(
                  'order_id', l.order_id, 'line_no', l.line_no, 'sku', l.sku,
                  'requested_quantity', l.requested_quantity, 'confirmed_quantity', l.confirmed_quantity,
                  'status', l.status, 'reason', l.reason, 'reservation_id', l.reservation_id,
                  'available_quantity', l.available_quantity) order by l.line_no)
           from order_lines l where l.order_id = o.id), '[]') as lines`;

/**
 * Every statement the order store sends, by name. Values always go as parameters; each parameter's
 * type is spelled out so the statements can be prepared on their own (a test prepares each one
 * against a freshly migrated database, so a column renamed in the schema fails there first).
 */
export const ORDER_STATEMENTS = {
  lockOrders: `
    select ${ORDER_COLUMNS}
      from orders o where o.id = any($1::uuid[]) order by o.id for update`,

  lockOverdueOrders: `
    select ${ORDER_COLUMNS}
      from orders o
     where o.status = 'PENDING' and o.decision_deadline < $1::timestamptz
       and ($3::uuid[] is null or o.id = any($3::uuid[]))
     order by o.decision_deadline
     limit $2::int
       for update skip locked`,

  linesOf: `
    select ${LINE_COLUMNS}
      from order_lines l where l.order_id = any($1::uuid[]) order by l.order_id, l.line_no`,

  /**
   * New orders and their lines in one statement. An order whose (customer, Idempotency-Key) exists
   * is left out, and so are its lines; the insert waits for a transaction inserting the same key.
   */
  insertOrders: `
    with placed as (
      insert into orders (id, customer_id, status, fulfilment, reason, rejection_detail, cancelled_by,
                          decision_deadline, idempotency_key, request_hash, created_at, updated_at)
      select o.id, o.customer_id, o.status::order_status, o.fulfilment::fulfilment_policy, o.reason,
             o.rejection_detail, o.cancelled_by, o.decision_deadline, o.idempotency_key, o.request_hash,
             o.created_at, o.updated_at
        from unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::timestamptz[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[])
             with ordinality as o(id, customer_id, status, fulfilment, reason, rejection_detail, cancelled_by,
                                  decision_deadline, idempotency_key, request_hash, created_at, updated_at, n)
       order by o.n
          on conflict (customer_id, idempotency_key) do nothing
      returning id),
    lines as (
      insert into order_lines (order_id, line_no, sku, requested_quantity, confirmed_quantity, status, reason,
                               reservation_id, available_quantity)
      select l.order_id, l.line_no, l.sku, l.requested_quantity, l.confirmed_quantity,
             l.status::order_line_status, l.reason, l.reservation_id, l.available_quantity
        from unnest($13::uuid[], $14::int[], $15::text[], $16::int[], $17::int[], $18::text[], $19::text[],
                    $20::uuid[], $21::int[])
             as l(order_id, line_no, sku, requested_quantity, confirmed_quantity, status, reason, reservation_id,
                  available_quantity)
        join placed on placed.id = l.order_id)
    select id::text from placed`,

  findIdempotentPlacements: `
    select ${ORDER_COLUMNS}, o.idempotency_key, o.request_hash, ${LINES_AS_JSON}
      from orders o
      join unnest($1::text[], $2::text[]) as k(customer_id, idempotency_key)
        on o.customer_id = k.customer_id and o.idempotency_key = k.idempotency_key`,

  /**
   * Changed orders, each only if still at the version it was loaded at (a second guard behind the
   * row lock), and their changed lines; answers how many orders were saved.
   */
  updateOrders: `
    with saved as (
      update orders as o
         set status = c.status::order_status, reason = c.reason, rejection_detail = c.rejection_detail,
             cancelled_by = c.cancelled_by, version = c.version + 1, updated_at = c.updated_at
        from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
             as c(id, version, status, reason, rejection_detail, cancelled_by, updated_at)
       where o.id = c.id and o.version = c.version
      returning o.id),
    lines as (
      update order_lines as ol
         set status = c.status::order_line_status, confirmed_quantity = c.confirmed_quantity,
             reservation_id = c.reservation_id, available_quantity = c.available_quantity, reason = c.reason
        from unnest($8::uuid[], $9::text[], $10::text[], $11::int[], $12::uuid[], $13::int[], $14::text[])
             as c(order_id, sku, status, confirmed_quantity, reservation_id, available_quantity, reason)
       where ol.order_id = c.order_id and ol.sku = c.sku and ol.order_id in (select id from saved))
    select count(*)::int as saved from saved`,

  /** History lines in the given order; a received event already there (a redelivery) is kept once. */
  recordTimeline: `
    insert into order_timeline (order_id, event_id, event_type, direction, occurred_at, payload)
    select t.order_id, t.event_id, t.event_type, t.direction::timeline_direction, t.occurred_at, t.payload
      from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::jsonb[])
           with ordinality as t(order_id, event_id, event_type, direction, occurred_at, payload, n)
     order by t.n
        on conflict (event_id) do nothing`,

  findOrder: `
    select ${ORDER_COLUMNS}, ${LINES_AS_JSON}
      from orders o where o.id = $1::uuid`,

  /** Newest first, keyset-paginated on (created_at, id); each filter applies when given. */
  listOrders: `
    select ${ORDER_COLUMNS}, ${LINES_AS_JSON}
      from orders o
     where ($1::text is null or o.customer_id = $1::text)
       and ($2::text is null or o.status = $2::text::order_status)
       and ($3::timestamptz is null or (o.created_at, o.id) < ($3::timestamptz, $4::uuid))
     order by o.created_at desc, o.id desc
     limit $5::int`,

  timeline: `
    select event_id::text, event_type, direction::text as direction, occurred_at, recorded_at, payload
      from order_timeline where order_id = $1::uuid order by id`,

  ping: "select 1",
  // The sweeper's index (status, decision_deadline) serves both; every order has the same time to
  // decide, so deadline order is placement order. $1: the rank whose age is read, from 1.
  pendingBacklog: `select (select count(*)::int from orders where status = 'PENDING') as pending,
         coalesce((select extract(epoch from now() - created_at) * 1000 from orders
                    where status = 'PENDING' order by decision_deadline offset $1::int - 1 limit 1), 0)::float8
           as age_ms`,
} as const;

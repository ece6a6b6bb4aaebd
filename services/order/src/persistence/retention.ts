import { inboxRetention, type RetentionRule } from "@stocksaga/messaging";

/**
 * Decided orders (any status but PENDING) unchanged since the cutoff go with their lines and
 * timeline, oldest first along `orders_created_at_id_idx` (updated_at >= created_at, so every such
 * order is created before the cutoff too). The timeline goes with its order, not before it: a
 * history cut short would misreport an order that can still be read.
 */
export const DELETE_DECIDED_ORDERS = `
  with doomed as (
    select id from orders
     where created_at < $1 and updated_at < $1 and status <> 'PENDING'
     order by created_at, id
     limit $2
     for update skip locked),
  timeline as (delete from order_timeline where order_id in (select id from doomed) returning 1),
  lines as (delete from order_lines where order_id in (select id from doomed) returning 1),
  gone as (delete from orders where id in (select id from doomed) returning 1)
  select (select count(*) from gone)::int as orders,
         (select count(*) from lines)::int as order_lines,
         (select count(*) from timeline)::int as order_timeline`;

/** Updated in place after insert (status, `updated_at`): vacuumed on their dead rows, not only on deletions. */
export const ORDER_TABLES_UPDATED_IN_PLACE = ["orders"] as const;

export function orderRetentionRules(windows: { inboxMs: number; ordersMs: number }): RetentionRule[] {
  return [
    inboxRetention(windows.inboxMs),
    { name: "decided orders", windowMs: windows.ordersMs, deleteBatch: DELETE_DECIDED_ORDERS },
  ];
}

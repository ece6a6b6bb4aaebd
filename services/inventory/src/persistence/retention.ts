import { inboxRetention, type RetentionRule } from "@stocksaga/messaging";

/**
 * Order requests unchanged since the cutoff and holding no ACTIVE reservation go with their
 * reservations (committed, released or expired: the stock is settled), oldest first along
 * `order_requests_created_at_idx`. A released order's tombstone goes too: by then no OrderRequested
 * for it can arrive (the inbox window bounds every late delivery, and this window is no shorter).
 */
export const DELETE_SETTLED_ORDER_REQUESTS = `
  with doomed as (
    select o.order_id from order_requests o
     where o.created_at < $1 and o.updated_at < $1
       and not exists (select 1 from reservations r where r.order_id = o.order_id and r.status = 'ACTIVE')
     order by o.created_at
     limit $2
     for update skip locked),
  held as (delete from reservations where order_id in (select order_id from doomed) returning 1),
  gone as (delete from order_requests where order_id in (select order_id from doomed) returning 1)
  select (select count(*) from gone)::int as order_requests,
         (select count(*) from held)::int as reservations`;

/**
 * Updated in place (a request's and a reservation's status, a product's on-hand and reserved
 * counts): vacuumed on their dead rows, not only on deletions.
 */
export const INVENTORY_TABLES_UPDATED_IN_PLACE = ["order_requests", "reservations", "products"] as const;

export function inventoryRetentionRules(windows: {
  inboxMs: number;
  orderRequestsMs: number;
}): RetentionRule[] {
  return [
    inboxRetention(windows.inboxMs),
    {
      name: "settled order requests",
      windowMs: windows.orderRequestsMs,
      deleteBatch: DELETE_SETTLED_ORDER_REQUESTS,
    },
  ];
}

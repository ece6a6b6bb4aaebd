export const OUTBOX_CHANNEL = "inventory_outbox";
/** Elects the one relay of this database; distinct from the order service's key. */
export const OUTBOX_LOCK_KEY = 0x5a6a_0002;
/**
 * First key of the two-key advisory lock that serialises the changes of one order (the second is
 * the hash of its id). It covers an order whose `order_requests` row does not exist yet; the
 * two-key space never collides with the one-key relay lock.
 */
export const ORDER_REQUEST_LOCK_CLASS = 0x5a6b;
/** NOTIFY channel of committed product changes: the payload is the changed SKUs joined by ",". */
export const PRODUCT_CHANGED_CHANNEL = "inventory_product_changed";

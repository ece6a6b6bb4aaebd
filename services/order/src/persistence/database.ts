/** Where order changes are announced, after their commit, to every instance's live streams (see order-changes.ts). */
export const ORDER_CHANGED_CHANNEL = "order_changed";
/** The outbox relay's wake-up channel, and the advisory lock that elects the one relay of the database. */
export const OUTBOX_CHANNEL = "order_outbox";
export const OUTBOX_LOCK_KEY = 0x5a6a_0001;

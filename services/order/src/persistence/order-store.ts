import type { IntegrationEvent } from "@stocksaga/contracts";
import type { InboxEntry, OutboxEntry } from "@stocksaga/messaging";
import type { Order, OrderStatus } from "../domain/index.js";

/** An order as stored, with the version its next change must be conditional on. */
export interface LoadedOrder {
  order: Order;
  version: number;
}

/** A new order, and the Idempotency-Key of the request that placed it (unique per customer). */
export interface NewOrder {
  order: Order;
  idempotency: { key: string; requestHash: string } | undefined;
}

/** An order an earlier request placed under an Idempotency-Key, as it stands now. */
export interface IdempotentPlacement {
  customerId: string;
  key: string;
  requestHash: string;
  order: Order;
}

/** A change of one order, saved only if the order is still at the version it was loaded at. */
export interface OrderUpdate {
  before: Order;
  after: Order;
  version: number;
}

/** One line of an order's history: an event it emitted or one it received. */
export interface TimelineEntry {
  orderId: string;
  event: IntegrationEvent;
  direction: "EMITTED" | "RECEIVED";
}

/** A history line as read back. */
export interface TimelineRecord {
  eventId: string;
  type: string;
  direction: "EMITTED" | "RECEIVED";
  occurredAt: Date;
  recordedAt: Date;
  event: unknown;
}

/** Keyset position in a listing: orders are listed newest first, by (placedAt, orderId). */
export interface OrderCursor {
  placedAt: Date;
  orderId: string;
}

export interface OrderListQuery {
  customerId?: string;
  status?: OrderStatus;
  limit: number;
  after?: OrderCursor;
}

export interface OrderPage {
  orders: Order[];
  /** Where the next page starts; null on the last page. */
  next: OrderCursor | null;
}

/**
 * One unit of work: everything done through it commits together or not at all. Each method is one
 * statement per table whatever the number of orders it is given, so a batch costs what one does.
 */
export interface OrderTransaction {
  /** For each entry in order, whether to apply it: false for an event this consumer applied before. */
  claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]>;
  /** Takes back the inbox marks of events refused in the end (a redelivery is refused again). */
  unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void>;
  /**
   * Loads the orders and locks them until the transaction ends, in id order (two transactions
   * sharing orders wait for each other instead of deadlocking). Ids with no order are left out.
   */
  lockOrders(orderIds: Iterable<string>): Promise<Map<string, LoadedOrder>>;
  /**
   * Loads and locks PENDING orders whose decision deadline is before `now`, oldest deadline first,
   * skipping any another transaction holds (a sweeper never queues behind a reaction or another
   * sweeper). `among` narrows the search to those ids.
   */
  lockOverdueOrders(now: Date, limit: number, among?: readonly string[]): Promise<LoadedOrder[]>;
  /**
   * Inserts the orders with their lines. An order whose Idempotency-Key its customer has used
   * already (committed, or committing meanwhile: the insert waits for it) is not inserted. Returns
   * the ids of the orders inserted.
   */
  insertOrders(orders: readonly NewOrder[]): Promise<Set<string>>;
  /** The orders placed under these keys, as they stand now (keys not used are left out). */
  findIdempotentPlacements(
    keys: readonly { customerId: string; key: string }[],
  ): Promise<IdempotentPlacement[]>;
  /** Saves the changes and the lines they changed; throws if any order is no longer at its version. */
  updateOrders(updates: readonly OrderUpdate[]): Promise<void>;
  /** Outgoing events into the outbox (in order), and lines of the orders' histories (kept once per event). */
  recordEvents(outbox: readonly OutboxEntry[], timeline: readonly TimelineEntry[]): Promise<void>;
}

/** Where the order service keeps its orders: the one boundary between the application and the database. */
export interface OrderStore {
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (tx: OrderTransaction) => Promise<T>): Promise<T>;
  findOrder(orderId: string): Promise<Order | undefined>;
  listOrders(query: OrderListQuery): Promise<OrderPage>;
  /** The order's history, oldest first. */
  timeline(orderId: string): Promise<TimelineRecord[]>;
  /** Whether the database answers (readiness). */
  ping(): Promise<boolean>;
  /** Orders waiting for their decision, and how long they have waited (admission control). */
  pendingBacklog(): Promise<PendingBacklog>;
}

/**
 * The age of a backlog is how long its `PENDING_AGE_RANK`-th oldest order has waited, not its
 * oldest: a few orders whose answer was lost (dead-lettered, say) wait for the sweeper whatever
 * the load, and must not make admission control refuse every placement meanwhile.
 */
export const PENDING_AGE_RANK = 50;

export interface PendingBacklog {
  pendingOrders: number;
  /** How long the PENDING_AGE_RANK-th oldest pending order has waited; 0 with fewer pending. */
  pendingAgeMs: number;
}

import type { InboxEntry, OutboxEntry } from "@stocksaga/messaging";
import type {
  InventoryEvent,
  InventoryState,
  OrderRequest,
  ProductStock,
  ReservationStatus,
} from "../domain/index.js";

/** A product row: its stock, and what the API shows besides. */
export interface ProductRecord extends ProductStock {
  name: string;
  updatedAt: Date;
}

/** A reservation row, as operators read it. */
export interface ReservationRecord {
  id: string;
  orderId: string;
  sku: string;
  quantity: number;
  status: ReservationStatus;
  expiresAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** An ACTIVE reservation past its expiry, as the sweeper finds it (before it locks anything). */
export interface DueReservation {
  reservationId: string;
  orderId: string;
}

/**
 * What one transaction decided, as the store writes it: the state as it was locked, the state the
 * events folded it into, the events themselves, and when.
 */
export interface Decided {
  before: InventoryState;
  after: InventoryState;
  events: readonly InventoryEvent[];
  at: Date;
}

/**
 * One transaction of the inventory. Locks are taken in a fixed order — every order first (in
 * order-id order), then every product (in SKU order) — so two transactions sharing orders or
 * products wait for each other instead of deadlocking; call each lock once per transaction.
 */
export interface InventoryTransaction {
  /** Marks the events this consumer applies now; per entry, whether to apply it (see claimInbox). */
  claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]>;
  /** Takes back the marks of events refused in the end, so that a redelivery is refused again. */
  unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void>;
  /**
   * Locks the orders until the transaction ends — also an order not recorded yet, so that two
   * deliveries of one request cannot both reserve — and returns those recorded, in order-id order,
   * each with its reservations in SKU order.
   */
  lockOrderRequests(orderIds: Iterable<string>): Promise<OrderRequest[]>;
  /** Locks the products that exist among `skus` and returns them, in SKU order. */
  lockProducts(skus: Iterable<string>): Promise<ProductRecord[]>;
  /**
   * Writes what was decided: every row whose state changed, each update conditional on the values
   * it was decided on (a second guard behind the locks). Fails the transaction when a row changed
   * under a held lock, and with ProductAlreadyExists when a product created here exists already.
   */
  save(decided: Decided): Promise<void>;
  /** Outgoing events, in order, in the transaction of the change. */
  recordEvents(entries: readonly OutboxEntry[]): Promise<void>;
}

/** Where the inventory keeps its state: the one door of the application to its database. */
export interface InventoryStore {
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T>;
  findProduct(sku: string): Promise<ProductRecord | undefined>;
  /** The products that exist among `skus`, in SKU order. */
  findProducts(skus: readonly string[]): Promise<ProductRecord[]>;
  /** At most `limit` products in SKU order, after the SKU `after` when given. */
  listProducts(page: { limit: number; after?: string }): Promise<ProductRecord[]>;
  /** The reservations of an order, in SKU order. */
  reservationsOfOrder(orderId: string): Promise<ReservationRecord[]>;
  /** At most `limit` ACTIVE reservations that expired before `now`, the longest overdue first. */
  overdueReservations(now: Date, limit: number): Promise<DueReservation[]>;
  /** Whether the database answers. */
  ping(): Promise<boolean>;
}

import type { InboxEntry, OutboxEntry } from "@stocksaga/messaging";
import {
  type Fulfilment,
  type OrderRequest,
  type OrderRequestStatus,
  ProductAlreadyExists,
  type Reservation,
} from "../domain/index.js";
import { rowChanges } from "./changes.js";
import type {
  Decided,
  DueReservation,
  InventoryStore,
  InventoryTransaction,
  ProductRecord,
  ReservationRecord,
} from "./inventory-store.js";

interface OrderRow {
  orderId: string;
  customerId: string;
  fulfilment: Fulfilment;
  lineCount: number;
  status: OrderRequestStatus;
  createdAt: Date;
  updatedAt: Date;
}

interface ReservationRow extends Reservation {
  orderId: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface StockAdjustmentRow {
  sku: string;
  delta: number;
  reason: string;
  actor: string;
  createdAt: Date;
}

/** Everything the store holds: what a transaction works on, and what it replaces once it commits. */
interface Tables {
  products: Map<string, ProductRecord>;
  orders: Map<string, OrderRow>;
  reservations: Map<string, ReservationRow>;
  adjustments: StockAdjustmentRow[];
  outbox: OutboxEntry[];
  /** Per consumer, the event ids applied (lower case, as the uuid column stores them). */
  inbox: Map<string, Set<string>>;
}

function copy(tables: Tables): Tables {
  return {
    products: new Map([...tables.products].map(([sku, row]) => [sku, { ...row }])),
    orders: new Map([...tables.orders].map(([id, row]) => [id, { ...row }])),
    reservations: new Map([...tables.reservations].map(([id, row]) => [id, { ...row }])),
    adjustments: [...tables.adjustments],
    outbox: [...tables.outbox],
    inbox: new Map([...tables.inbox].map(([consumer, ids]) => [consumer, new Set(ids)])),
  };
}

function bySku<T extends { sku: string }>(a: T, b: T): number {
  return a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
}

function changedUnderLock(what: string): Error {
  return new Error(`a ${what} changed under a held lock`);
}

class InMemoryTransaction implements InventoryTransaction {
  constructor(private readonly tables: Tables) {}

  async claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]> {
    const applied = this.tables.inbox.get(consumer) ?? new Set<string>();
    this.tables.inbox.set(consumer, applied);
    return entries.map(({ eventId }) => {
      const id = eventId.toLowerCase();
      if (applied.has(id)) return false;
      applied.add(id);
      return true;
    });
  }

  async unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.tables.inbox.get(consumer)?.delete(id.toLowerCase());
  }

  async lockOrderRequests(orderIds: Iterable<string>): Promise<OrderRequest[]> {
    const reservations = [...this.tables.reservations.values()].sort(bySku);
    return [...new Set(orderIds)].sort().flatMap((orderId) => {
      const row = this.tables.orders.get(orderId);
      if (row === undefined) return [];
      const { customerId, fulfilment, lineCount, status } = row;
      return [
        {
          orderId,
          customerId,
          fulfilment,
          lineCount,
          status,
          reservations: reservations
            .filter((reservation) => reservation.orderId === orderId)
            .map(({ id, sku, requestedQuantity, quantity, status, expiresAt }) => ({
              id,
              sku,
              requestedQuantity,
              quantity,
              status,
              expiresAt,
            })),
        },
      ];
    });
  }

  async lockProducts(skus: Iterable<string>): Promise<ProductRecord[]> {
    return [...new Set(skus)]
      .flatMap((sku) => {
        const product = this.tables.products.get(sku);
        return product ? [{ ...product }] : [];
      })
      .sort(bySku);
  }

  /** The same rows as the PostgreSQL store, with the same guards. */
  async save(decided: Decided): Promise<void> {
    const changes = rowChanges(decided);
    const at = decided.at;
    const { products, orders, reservations } = this.tables;
    for (const product of changes.createdProducts) {
      if (products.has(product.sku)) throw new ProductAlreadyExists(product.sku);
      products.set(product.sku, { ...product, updatedAt: at });
    }
    for (const change of changes.stock) {
      const product = products.get(change.sku);
      if (product?.onHand !== change.wasOnHand || product.reserved !== change.wasReserved) {
        throw changedUnderLock("product");
      }
      products.set(change.sku, {
        ...product,
        onHand: change.onHand,
        reserved: change.reserved,
        updatedAt: at,
      });
    }
    for (const order of changes.createdOrders) {
      if (orders.has(order.orderId)) throw changedUnderLock("new order request");
      orders.set(order.orderId, { ...order, createdAt: at, updatedAt: at });
    }
    for (const change of changes.orderStatuses) {
      const order = orders.get(change.orderId);
      if (order?.status !== change.was) throw changedUnderLock("order request");
      orders.set(change.orderId, { ...order, status: change.status, updatedAt: at });
    }
    for (const reservation of changes.createdReservations) {
      if (reservations.has(reservation.id)) throw changedUnderLock("new reservation");
      if (!orders.has(reservation.orderId) || !products.has(reservation.sku)) {
        throw new Error(`reservation ${reservation.id} names a missing order or product`);
      }
      reservations.set(reservation.id, { ...reservation, createdAt: at, updatedAt: at });
    }
    for (const change of changes.reservations) {
      const reservation = reservations.get(change.id);
      if (reservation?.status !== change.was) throw changedUnderLock("reservation");
      reservations.set(change.id, {
        ...reservation,
        status: change.status,
        quantity: change.quantity,
        updatedAt: at,
      });
    }
    for (const { sku, delta, reason, actor, at: createdAt } of changes.adjustments) {
      this.tables.adjustments.push({ sku, delta, reason, actor, createdAt });
    }
  }

  async recordEvents(entries: readonly OutboxEntry[]): Promise<void> {
    this.tables.outbox.push(...entries);
  }
}

/**
 * The inventory's state in memory, for tests of the application: transactions run one at a time
 * (which is what the locks of the real store amount to) on a copy of the tables that replaces them
 * when the work returns, and is dropped when it throws.
 */
export class InMemoryInventoryStore implements InventoryStore {
  private tables: Tables = {
    products: new Map(),
    orders: new Map(),
    reservations: new Map(),
    adjustments: [],
    outbox: [],
    inbox: new Map(),
  };
  private queue: Promise<unknown> = Promise.resolve();
  /** Transactions committed so far. */
  commits = 0;

  transaction<T>(work: (tx: InventoryTransaction) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const working = copy(this.tables);
      const result = await work(new InMemoryTransaction(working));
      this.tables = working;
      this.commits += 1;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async findProduct(sku: string): Promise<ProductRecord | undefined> {
    const product = this.tables.products.get(sku);
    return product ? { ...product } : undefined;
  }

  async findProducts(skus: readonly string[]): Promise<ProductRecord[]> {
    const wanted = new Set(skus);
    return [...this.tables.products.values()]
      .filter((product) => wanted.has(product.sku))
      .sort(bySku)
      .map((product) => ({ ...product }));
  }

  async listProducts(page: { limit: number; after?: string }): Promise<ProductRecord[]> {
    const after = page.after ?? "";
    return [...this.tables.products.values()]
      .filter((product) => product.sku > after)
      .sort(bySku)
      .slice(0, page.limit)
      .map((product) => ({ ...product }));
  }

  async reservationsOfOrder(orderId: string): Promise<ReservationRecord[]> {
    return [...this.tables.reservations.values()]
      .filter((reservation) => reservation.orderId === orderId)
      .sort(bySku)
      .map(({ id, sku, quantity, status, expiresAt, createdAt, updatedAt }) => ({
        id,
        orderId,
        sku,
        quantity,
        status,
        expiresAt,
        createdAt,
        updatedAt,
      }));
  }

  async overdueReservations(now: Date, limit: number): Promise<DueReservation[]> {
    return [...this.tables.reservations.values()]
      .filter((reservation) => reservation.status === "ACTIVE" && reservation.expiresAt < now)
      .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
      .slice(0, limit)
      .map((reservation) => ({ reservationId: reservation.id, orderId: reservation.orderId }));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  /** What a test reads back: the committed outbox, in order. */
  get outbox(): readonly OutboxEntry[] {
    return this.tables.outbox;
  }

  get adjustments(): readonly StockAdjustmentRow[] {
    return this.tables.adjustments;
  }

  /** Puts a product row as it is, bypassing the domain: for stock a test needs, even a corrupted one. */
  putProduct(product: ProductRecord): void {
    this.tables.products.set(product.sku, { ...product });
  }
}

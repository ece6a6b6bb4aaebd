import type { InboxEntry, OutboxEntry } from "@stocksaga/messaging";
import type { Order } from "../domain/index.js";
import type {
  IdempotentPlacement,
  LoadedOrder,
  NewOrder,
  OrderListQuery,
  OrderPage,
  OrderStore,
  OrderTransaction,
  OrderUpdate,
  PendingBacklog,
  TimelineEntry,
  TimelineRecord,
} from "./order-store.js";
import { PENDING_AGE_RANK } from "./order-store.js";

interface StoredOrder {
  order: Order;
  version: number;
  idempotency: { key: string; requestHash: string } | undefined;
}

interface State {
  orders: Map<string, StoredOrder>;
  outbox: OutboxEntry[];
  timeline: (TimelineEntry & { recordedAt: Date })[];
  inbox: Set<string>;
}

function copy(state: State): State {
  return {
    orders: new Map(state.orders),
    outbox: [...state.outbox],
    timeline: [...state.timeline],
    inbox: new Set(state.inbox),
  };
}

/**
 * The order store in memory, for tests of the application: transactions run one at a time and
 * either commit whole or leave nothing behind. `held` stands for rows another transaction has
 * locked (the sweeper skips them); a write that includes an order `failWrite` picks throws, as a
 * lost connection would.
 */
export class InMemoryOrderStore implements OrderStore {
  private state: State = { orders: new Map(), outbox: [], timeline: [], inbox: new Set() };
  private queue: Promise<unknown> = Promise.resolve();
  readonly held = new Set<string>();
  failWrite: (order: Order) => boolean = () => false;
  /**
   * The next transaction commits, then fails as if the reply to its COMMIT were lost with the
   * connection: the caller cannot tell whether it committed.
   */
  loseNextCommitReply = false;
  /** Transactions committed so far. */
  commits = 0;

  constructor(private readonly clock: () => Date = () => new Date()) {}

  transaction<T>(work: (tx: OrderTransaction) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const staged = copy(this.state);
      const result = await work(new InMemoryOrderTransaction(staged, this));
      this.state = staged;
      this.commits++;
      if (this.loseNextCommitReply) {
        this.loseNextCommitReply = false;
        throw new Error("Connection terminated unexpectedly (the reply to COMMIT was lost)");
      }
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async findOrder(orderId: string): Promise<Order | undefined> {
    return this.state.orders.get(orderId)?.order;
  }

  async listOrders(query: OrderListQuery): Promise<OrderPage> {
    const after = query.after;
    const matching = [...this.state.orders.values()]
      .map(({ order }) => order)
      .filter(
        (order) =>
          (query.customerId === undefined || order.customerId === query.customerId) &&
          (query.status === undefined || order.status === query.status) &&
          (after === undefined || compareNewestFirst(order, after) > 0),
      )
      .sort(compareNewestFirst);
    const orders = matching.slice(0, query.limit);
    const last = orders.at(-1);
    return {
      orders,
      next: matching.length > query.limit && last ? { placedAt: last.placedAt, orderId: last.orderId } : null,
    };
  }

  async timeline(orderId: string): Promise<TimelineRecord[]> {
    return this.state.timeline
      .filter((entry) => entry.orderId === orderId)
      .map((entry) => ({
        eventId: entry.event.metadata.eventId,
        type: entry.event.type,
        direction: entry.direction,
        occurredAt: new Date(entry.event.metadata.occurredAt),
        recordedAt: entry.recordedAt,
        event: entry.event,
      }));
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async pendingBacklog(): Promise<PendingBacklog> {
    const placed = [...this.state.orders.values()]
      .filter(({ order }) => order.status === "PENDING")
      .map(({ order }) => order.placedAt.getTime())
      .sort((a, b) => a - b);
    const ranked = placed[PENDING_AGE_RANK - 1];
    return {
      pendingOrders: placed.length,
      pendingAgeMs: ranked === undefined ? 0 : Math.max(0, this.clock().getTime() - ranked),
    };
  }

  /** Committed outbox entries, in the order the relay would publish them. */
  get outbox(): readonly OutboxEntry[] {
    return this.state.outbox;
  }

  /** The committed version of an order (-1 when there is none). */
  versionOf(orderId: string): number {
    return this.state.orders.get(orderId)?.version ?? -1;
  }

  /** Puts an order in the store as committed, as a test's starting point. */
  seed(order: Order, version = 0): void {
    this.state.orders.set(order.orderId, { order, version, idempotency: undefined });
  }

  now(): Date {
    return this.clock();
  }
}

/** (placedAt, orderId) descending: negative when `a` is listed before `b`. */
function compareNewestFirst(a: { placedAt: Date; orderId: string }, b: { placedAt: Date; orderId: string }) {
  const byTime = b.placedAt.getTime() - a.placedAt.getTime();
  return byTime !== 0 ? byTime : b.orderId < a.orderId ? -1 : b.orderId > a.orderId ? 1 : 0;
}

class InMemoryOrderTransaction implements OrderTransaction {
  constructor(
    private readonly state: State,
    private readonly store: InMemoryOrderStore,
  ) {}

  async claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]> {
    return entries.map((entry) => {
      const mark = `${consumer}\n${entry.eventId.toLowerCase()}`;
      if (this.state.inbox.has(mark)) return false;
      this.state.inbox.add(mark);
      return true;
    });
  }

  async unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void> {
    for (const eventId of eventIds) this.state.inbox.delete(`${consumer}\n${eventId.toLowerCase()}`);
  }

  async lockOrders(orderIds: Iterable<string>): Promise<Map<string, LoadedOrder>> {
    const loaded = new Map<string, LoadedOrder>();
    for (const orderId of [...new Set(orderIds)].sort()) {
      const stored = this.state.orders.get(orderId);
      if (stored) loaded.set(orderId, { order: stored.order, version: stored.version });
    }
    return loaded;
  }

  async lockOverdueOrders(now: Date, limit: number, among?: readonly string[]): Promise<LoadedOrder[]> {
    return [...this.state.orders.values()]
      .filter(
        ({ order }) =>
          order.status === "PENDING" &&
          order.decisionDeadline.getTime() < now.getTime() &&
          (among === undefined || among.includes(order.orderId)) &&
          !this.store.held.has(order.orderId),
      )
      .sort((a, b) => a.order.decisionDeadline.getTime() - b.order.decisionDeadline.getTime())
      .slice(0, limit)
      .map(({ order, version }) => ({ order, version }));
  }

  async insertOrders(orders: readonly NewOrder[]): Promise<Set<string>> {
    this.failIfAnyFailing(orders.map(({ order }) => order));
    const inserted = new Set<string>();
    for (const { order, idempotency } of orders) {
      if (this.state.orders.has(order.orderId)) throw new Error(`duplicate key: order ${order.orderId}`);
      if (idempotency && this.placedUnder(order.customerId, idempotency.key)) continue;
      this.state.orders.set(order.orderId, { order, version: 0, idempotency });
      inserted.add(order.orderId);
    }
    return inserted;
  }

  async findIdempotentPlacements(
    keys: readonly { customerId: string; key: string }[],
  ): Promise<IdempotentPlacement[]> {
    return keys.flatMap(({ customerId, key }) => {
      const stored = this.placedUnder(customerId, key);
      return stored?.idempotency
        ? [{ customerId, key, requestHash: stored.idempotency.requestHash, order: stored.order }]
        : [];
    });
  }

  private placedUnder(customerId: string, key: string): StoredOrder | undefined {
    return [...this.state.orders.values()].find(
      (stored) => stored.order.customerId === customerId && stored.idempotency?.key === key,
    );
  }

  async updateOrders(updates: readonly OrderUpdate[]): Promise<void> {
    this.failIfAnyFailing(updates.map(({ after }) => after));
    for (const { after, version } of updates) {
      const stored = this.state.orders.get(after.orderId);
      if (!stored || stored.version !== version) {
        throw new Error(`order ${after.orderId} changed under a held lock`);
      }
      this.state.orders.set(after.orderId, { ...stored, order: after, version: version + 1 });
    }
  }

  async recordEvents(outbox: readonly OutboxEntry[], timeline: readonly TimelineEntry[]): Promise<void> {
    this.state.outbox.push(...outbox);
    const recorded = new Set(this.state.timeline.map((entry) => entry.event.metadata.eventId));
    for (const entry of timeline) {
      if (recorded.has(entry.event.metadata.eventId)) continue;
      recorded.add(entry.event.metadata.eventId);
      this.state.timeline.push({ ...entry, recordedAt: this.store.now() });
    }
  }

  private failIfAnyFailing(orders: readonly Order[]): void {
    const failing = orders.find((order) => this.store.failWrite(order));
    if (failing !== undefined) throw new Error(`connection reset (writing order ${failing.orderId})`);
  }
}

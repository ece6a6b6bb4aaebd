import {
  claimInbox,
  type InboxEntry,
  inTransaction,
  type OutboxEntry,
  type Queryable,
  unclaimInbox,
  writeOutbox,
} from "@stocksaga/messaging";
import type pg from "pg";
import type { Order } from "../domain/index.js";
import { linesChanged, reasonColumn, toOrder } from "./order-rows.js";
import { type LineRow, ORDER_STATEMENTS, type OrderRow } from "./order-statements.js";
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

/** The order store on PostgreSQL through plain `pg`: one statement per table per unit of work. */
export class PgOrderStore implements OrderStore {
  constructor(private readonly pool: pg.Pool) {}

  transaction<T>(work: (tx: OrderTransaction) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, (client) => work(new PgOrderTransaction(client)));
  }

  async findOrder(orderId: string): Promise<Order | undefined> {
    const { rows } = await this.pool.query<OrderRow & { lines: LineRow[] }>(ORDER_STATEMENTS.findOrder, [
      orderId,
    ]);
    const row = rows[0];
    return row ? toOrder(row, row.lines) : undefined;
  }

  async listOrders(query: OrderListQuery): Promise<OrderPage> {
    const { rows } = await this.pool.query<OrderRow & { lines: LineRow[] }>(ORDER_STATEMENTS.listOrders, [
      query.customerId ?? null,
      query.status ?? null,
      query.after?.placedAt ?? null,
      query.after?.orderId ?? null,
      query.limit + 1,
    ]);
    const orders = rows.slice(0, query.limit).map((row) => toOrder(row, row.lines));
    const last = orders.at(-1);
    return {
      orders,
      next: rows.length > query.limit && last ? { placedAt: last.placedAt, orderId: last.orderId } : null,
    };
  }

  async timeline(orderId: string): Promise<TimelineRecord[]> {
    const { rows } = await this.pool.query<{
      event_id: string;
      event_type: string;
      direction: "EMITTED" | "RECEIVED";
      occurred_at: Date;
      recorded_at: Date;
      payload: unknown;
    }>(ORDER_STATEMENTS.timeline, [orderId]);
    return rows.map((row) => ({
      eventId: row.event_id,
      type: row.event_type,
      direction: row.direction,
      occurredAt: row.occurred_at,
      recordedAt: row.recorded_at,
      event: row.payload,
    }));
  }

  async ping(): Promise<boolean> {
    const { rows } = await this.pool.query(ORDER_STATEMENTS.ping);
    return rows.length === 1;
  }

  async pendingBacklog(): Promise<PendingBacklog> {
    const { rows } = await this.pool.query<{ pending: number; age_ms: number }>(
      ORDER_STATEMENTS.pendingBacklog,
      [PENDING_AGE_RANK],
    );
    return { pendingOrders: rows[0]?.pending ?? 0, pendingAgeMs: Math.max(0, rows[0]?.age_ms ?? 0) };
  }
}

class PgOrderTransaction implements OrderTransaction {
  constructor(private readonly client: Queryable) {}

  claimInbox(consumer: string, entries: readonly InboxEntry[]): Promise<boolean[]> {
    return claimInbox(this.client, consumer, entries);
  }

  unclaimInbox(consumer: string, eventIds: readonly string[]): Promise<void> {
    return unclaimInbox(this.client, consumer, eventIds);
  }

  async lockOrders(orderIds: Iterable<string>): Promise<Map<string, LoadedOrder>> {
    const ids = [...new Set(orderIds)].sort();
    if (ids.length === 0) return new Map();
    const { rows } = await this.client.query<OrderRow>(ORDER_STATEMENTS.lockOrders, [ids]);
    return this.withLines(rows);
  }

  async lockOverdueOrders(now: Date, limit: number, among?: readonly string[]): Promise<LoadedOrder[]> {
    const { rows } = await this.client.query<OrderRow>(ORDER_STATEMENTS.lockOverdueOrders, [
      now,
      limit,
      among ?? null,
    ]);
    return [...(await this.withLines(rows)).values()];
  }

  /**
   * Lines are read in a statement of their own, after the orders are locked: a statement that
   * waited for a lock sees the locked row as committed, but the rest of the database as it was when
   * the statement started, so lines read with the lock could be older than their order.
   */
  private async withLines(rows: readonly OrderRow[]): Promise<Map<string, LoadedOrder>> {
    const loaded = new Map<string, LoadedOrder>();
    if (rows.length === 0) return loaded;
    const { rows: lines } = await this.client.query<LineRow>(ORDER_STATEMENTS.linesOf, [
      rows.map((row) => row.id),
    ]);
    const linesOf = new Map<string, LineRow[]>();
    for (const line of lines) {
      const ofOrder = linesOf.get(line.order_id);
      if (ofOrder) ofOrder.push(line);
      else linesOf.set(line.order_id, [line]);
    }
    for (const row of rows) {
      loaded.set(row.id, { order: toOrder(row, linesOf.get(row.id) ?? []), version: row.version });
    }
    return loaded;
  }

  async insertOrders(orders: readonly NewOrder[]): Promise<Set<string>> {
    if (orders.length === 0) return new Set();
    // Inserting in one order of keys everywhere: two groups sharing keys wait, never deadlock.
    const sorted = [...orders].sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
    const placed = sorted.map(({ order }) => order);
    const lines = placed.flatMap((order) => order.lines.map((line, lineNo) => ({ order, line, lineNo })));
    const { rows } = await this.client.query<{ id: string }>(ORDER_STATEMENTS.insertOrders, [
      placed.map((o) => o.orderId),
      placed.map((o) => o.customerId),
      placed.map((o) => o.status),
      placed.map((o) => o.fulfilment),
      placed.map(reasonColumn),
      placed.map((o) => o.rejectionDetail),
      placed.map((o) => o.cancellation?.cancelledBy ?? null),
      placed.map((o) => o.decisionDeadline.toISOString()),
      sorted.map(({ idempotency }) => idempotency?.key ?? null),
      sorted.map(({ idempotency }) => idempotency?.requestHash ?? null),
      placed.map((o) => o.placedAt.toISOString()),
      placed.map((o) => o.updatedAt.toISOString()),
      lines.map(({ order }) => order.orderId),
      lines.map(({ lineNo }) => lineNo),
      lines.map(({ line }) => line.sku),
      lines.map(({ line }) => line.requestedQuantity),
      lines.map(({ line }) => line.confirmedQuantity),
      lines.map(({ line }) => line.status),
      lines.map(({ line }) => line.reason),
      lines.map(({ line }) => line.reservationId),
      lines.map(({ line }) => line.availableQuantity),
    ]);
    return new Set(rows.map((row) => row.id));
  }

  async findIdempotentPlacements(
    keys: readonly { customerId: string; key: string }[],
  ): Promise<IdempotentPlacement[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.client.query<
      OrderRow & { lines: LineRow[]; idempotency_key: string; request_hash: string | null }
    >(ORDER_STATEMENTS.findIdempotentPlacements, [keys.map((k) => k.customerId), keys.map((k) => k.key)]);
    return rows.map((row) => ({
      customerId: row.customer_id,
      key: row.idempotency_key,
      requestHash: row.request_hash ?? "",
      order: toOrder(row, row.lines),
    }));
  }

  async updateOrders(updates: readonly OrderUpdate[]): Promise<void> {
    if (updates.length === 0) return;
    const orders = updates.map(({ after }) => after);
    const lines = updates.flatMap(({ before, after }) =>
      after.lines
        .filter((line, index) => linesChanged(before.lines[index], line))
        .map((line) => ({ after, line })),
    );
    const { rows } = await this.client.query<{ saved: number }>(ORDER_STATEMENTS.updateOrders, [
      orders.map((o) => o.orderId),
      updates.map(({ version }) => version),
      orders.map((o) => o.status),
      orders.map(reasonColumn),
      orders.map((o) => o.rejectionDetail),
      orders.map((o) => o.cancellation?.cancelledBy ?? null),
      orders.map((o) => o.updatedAt.toISOString()),
      lines.map(({ after }) => after.orderId),
      lines.map(({ line }) => line.sku),
      lines.map(({ line }) => line.status),
      lines.map(({ line }) => line.confirmedQuantity),
      lines.map(({ line }) => line.reservationId),
      lines.map(({ line }) => line.availableQuantity),
      lines.map(({ line }) => line.reason),
    ]);
    const saved = rows[0]?.saved ?? 0;
    if (saved !== updates.length) {
      throw new Error(`${updates.length - saved} of ${updates.length} orders changed under a held lock`);
    }
  }

  async recordEvents(outbox: readonly OutboxEntry[], timeline: readonly TimelineEntry[]): Promise<void> {
    await writeOutbox(this.client, outbox);
    if (timeline.length === 0) return;
    await this.client.query(ORDER_STATEMENTS.recordTimeline, [
      timeline.map((e) => e.orderId),
      timeline.map((e) => e.event.metadata.eventId),
      timeline.map((e) => e.event.type),
      timeline.map((e) => e.direction),
      timeline.map((e) => new Date(e.event.metadata.occurredAt).toISOString()),
      timeline.map((e) => JSON.stringify(e.event)),
    ]);
  }
}

function keyOf({ order, idempotency }: NewOrder): [string, string] {
  return [order.customerId, idempotency?.key ?? ""];
}

function compareKeys(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

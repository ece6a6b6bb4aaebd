import { createHash, randomUUID } from "node:crypto";
import type { IntegrationEvent } from "@stocksaga/contracts";
import {
  type Causation,
  causedBy,
  claimInbox,
  type Received,
  startedByClock,
  unclaimInbox,
} from "@stocksaga/messaging";
import {
  decide,
  evolve,
  type Fulfilment,
  InconsistentStockMessage,
  type Order,
  type OrderCommand,
  type OrderEvent,
  OrderNotFound,
  type OrderState,
  type RequestedLine,
} from "../domain/index.js";
import type { Database, Tx } from "../persistence/database.js";
import {
  claimPendingOrder,
  insertOrder,
  lockOrder,
  lockOrders,
  recordEvents,
  type TimelineEntry,
  updateOrder,
  updateOrders,
} from "../persistence/order-store.js";
import { toIntegrationEvents } from "./integration.js";

/** The key request of an idempotent submission was already used for another body. */
export class IdempotencyKeyReused extends Error {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used for a different request`);
    this.name = "IdempotencyKeyReused";
  }
}

/** A change of one order, told after its transaction committed (what metrics count). */
export interface OrderChange {
  before: OrderState;
  after: Order;
  events: readonly OrderEvent[];
}

/** An order the timeout sweeper rejected, and the trace its rejection started. */
export interface OverdueRejection {
  orderId: string;
  traceparent: string;
}

/** One pass of the timeout sweeper: the orders it rejected, and those it could not (left for the next). */
export interface TimeoutSweep {
  rejected: OverdueRejection[];
  failures: { orderId: string; error: unknown }[];
}

/** One inventory event to apply: the command it asks of its order (none: only recorded in the history). */
export interface Reaction {
  orderId: string;
  command: OrderCommand | undefined;
  received: Received<IntegrationEvent>;
}

/** The domain refused the event itself (no such order, or it contradicts the order): nothing was applied for it. */
export type Refusal = OrderNotFound | InconsistentStockMessage;

function isRefusal(error: unknown): error is Refusal {
  return error instanceof OrderNotFound || error instanceof InconsistentStockMessage;
}

export interface OrderApplicationOptions {
  db: Database;
  /** Told of each committed change that produced events; never of one rolled back. */
  onCommitted?: (change: OrderChange) => void;
  decisionTimeoutMs: number;
  /** Topic and key of an outgoing event: the topic map of @stocksaga/contracts. */
  route: (event: IntegrationEvent) => { topic: string; key: string };
  clock?: () => Date;
  newOrderId?: () => string;
}

export interface PlaceOrderRequest {
  customerId: string;
  fulfilment: Fulfilment;
  lines: readonly RequestedLine[];
  idempotencyKey?: string | undefined;
  traceparent: string | null;
}

/**
 * Use cases of the order service: load (and lock) the order, let the domain decide, then save
 * state, outgoing events, history and the inbox mark in one transaction.
 */
export class OrderApplication {
  private readonly clock: () => Date;
  private readonly newOrderId: () => string;

  constructor(private readonly options: OrderApplicationOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.newOrderId = options.newOrderId ?? randomUUID;
  }

  async placeOrder(request: PlaceOrderRequest): Promise<{ order: Order; replayed: boolean }> {
    const requestHash = createHash("sha256")
      .update(
        JSON.stringify({
          fulfilment: request.fulfilment,
          lines: request.lines.map((l) => [l.sku, l.quantity]),
        }),
      )
      .digest("hex");
    const result = await this.options.db.$transaction(async (tx) => {
      if (request.idempotencyKey !== undefined) {
        // Two requests with one key wait for each other here, so exactly one creates the order.
        await tx.$executeRaw`select pg_advisory_xact_lock(hashtextextended(${`${request.customerId}\n${request.idempotencyKey}`}, 0))`;
        const existing = await tx.order.findUnique({
          where: {
            customerId_idempotencyKey: {
              customerId: request.customerId,
              idempotencyKey: request.idempotencyKey,
            },
          },
          select: { id: true, requestHash: true },
        });
        if (existing) {
          if (existing.requestHash !== requestHash) throw new IdempotencyKeyReused(request.idempotencyKey);
          const { state } = await lockOrder(tx, existing.id);
          if (state.status === "NOT_PLACED") throw new OrderNotFound(existing.id);
          return { order: state, replayed: true, change: undefined };
        }
      }
      const orderId = this.newOrderId();
      const command: OrderCommand = {
        type: "PlaceOrder",
        orderId,
        customerId: request.customerId,
        fulfilment: request.fulfilment,
        lines: request.lines,
        now: this.clock(),
        decisionTimeoutMs: this.options.decisionTimeoutMs,
      };
      const initial: OrderState = { status: "NOT_PLACED" };
      const events = decide(command, initial);
      const placed = fold(initial, events);
      if (placed.status === "NOT_PLACED") throw new Error("PlaceOrder produced no order");
      await insertOrder(
        tx,
        placed,
        request.idempotencyKey !== undefined ? { key: request.idempotencyKey, requestHash } : undefined,
      );
      await this.record(tx, orderId, events, { causationId: null, traceparent: request.traceparent });
      return { order: placed, replayed: false, change: { before: initial, after: placed, events } };
    });
    this.committed(result.change);
    return { order: result.order, replayed: result.replayed };
  }

  /** Cancels on behalf of a customer; another customer's order does not exist for them. */
  async cancelOrder(request: {
    orderId: string;
    requestedBy: string;
    isAdmin: boolean;
    reason: string;
    traceparent: string | null;
  }): Promise<{ order: Order; changed: boolean }> {
    const result = await this.options.db.$transaction(async (tx) => {
      const { state, version } = await lockOrder(tx, request.orderId);
      if (state.status === "NOT_PLACED" || (!request.isAdmin && state.customerId !== request.requestedBy)) {
        throw new OrderNotFound(request.orderId);
      }
      const events = decide(
        {
          type: "CancelOrder",
          orderId: request.orderId,
          cancelledBy: request.requestedBy,
          reason: request.reason,
          now: this.clock(),
        },
        state,
      );
      if (events.length === 0) return { order: state, changed: false, change: undefined };
      const next = fold(state, events) as Order;
      await updateOrder(tx, state, next, version);
      await this.record(tx, request.orderId, events, { causationId: null, traceparent: request.traceparent });
      return { order: next, changed: true, change: { before: state, after: next, events } };
    });
    this.committed(result.change);
    return { order: result.order, changed: result.changed };
  }

  /**
   * Applies a run of inventory events in one transaction, in their order, each exactly once per
   * event id: the orders they name are locked (in id order), the domain decides each command on
   * the state the earlier ones left, and each changed order is saved once. Returns per reaction
   * the refusal that kept it from being applied, or undefined. Any other failure rolls the whole
   * run back.
   */
  async reactAll(reactions: readonly Reaction[]): Promise<(Refusal | undefined)[]> {
    if (reactions.length === 0) return [];
    const consumer = reactions[0]?.received.consumer ?? "";
    const { outcomes, changes } = await this.options.db.$transaction(async (tx) => {
      const applying = await claimInbox(
        tx,
        consumer,
        reactions.map(({ received }) => ({ eventId: received.event.metadata.eventId, ...received })),
      );
      const loaded = await lockOrders(
        tx,
        reactions.filter((_, index) => applying[index]).map(({ orderId }) => orderId),
      );
      const current = new Map([...loaded].map(([orderId, { state }]) => [orderId, state]));
      const changes: OrderChange[] = [];
      const emitted: IntegrationEvent[] = [];
      const timeline: TimelineEntry[] = [];
      const refused: string[] = [];
      const outcomes = reactions.map(({ orderId, command, received }, index): Refusal | undefined => {
        if (!applying[index]) return undefined;
        const state = current.get(orderId) ?? { status: "NOT_PLACED" };
        let events: OrderEvent[];
        try {
          if (state.status === "NOT_PLACED") throw new OrderNotFound(orderId);
          events = command ? decide(command, state) : [];
        } catch (error) {
          if (!isRefusal(error)) throw error;
          refused.push(received.event.metadata.eventId);
          return error;
        }
        const out = toIntegrationEvents(events, causedBy(received.event));
        timeline.push(
          { orderId, event: received.event, direction: "RECEIVED" },
          ...out.map((event) => ({ orderId, event, direction: "EMITTED" as const })),
        );
        emitted.push(...out);
        if (events.length > 0) {
          const after = fold(state, events) as Order;
          current.set(orderId, after);
          changes.push({ before: state, after, events });
        }
        return undefined;
      });
      await updateOrders(
        tx,
        [...loaded].flatMap(([orderId, { state: before, version }]) => {
          const after = current.get(orderId);
          if (before.status === "NOT_PLACED" || !after || after === before) return [];
          return [{ before, after: after as Order, version }];
        }),
      );
      await recordEvents(tx, emitted, this.options.route, timeline);
      await unclaimInbox(tx, consumer, refused);
      return { outcomes, changes };
    });
    for (const change of changes) this.committed(change);
    return outcomes;
  }

  /**
   * Rejects orders still PENDING past their deadline, each in a transaction and a trace of its
   * own. Instances sweep side by side: an order another transaction holds is skipped, not waited
   * for (see claimPendingOrder). One order failing does not hold up the others.
   */
  async rejectOverdue(limit: number): Promise<TimeoutSweep> {
    const now = this.clock();
    const overdue = await this.options.db.order.findMany({
      where: { status: "PENDING", decisionDeadline: { lt: now } },
      select: { id: true },
      orderBy: { decisionDeadline: "asc" },
      take: limit,
    });
    const sweep: TimeoutSweep = { rejected: [], failures: [] };
    for (const { id } of overdue) {
      const cause = startedByClock();
      try {
        const change = await this.options.db.$transaction(async (tx): Promise<OrderChange | undefined> => {
          if (!(await claimPendingOrder(tx, id))) return undefined;
          const { state, version } = await lockOrder(tx, id);
          if (state.status === "NOT_PLACED") return undefined;
          const events = decide({ type: "RejectForTimeout", orderId: id, now: this.clock() }, state);
          if (events.length === 0) return undefined;
          const after = fold(state, events) as Order;
          await updateOrder(tx, state, after, version);
          await this.record(tx, id, events, cause);
          return { before: state, after, events };
        });
        this.committed(change);
        if (change && cause.traceparent) sweep.rejected.push({ orderId: id, traceparent: cause.traceparent });
      } catch (error) {
        sweep.failures.push({ orderId: id, error });
      }
    }
    return sweep;
  }

  private committed(change: OrderChange | undefined): void {
    if (change) this.options.onCommitted?.(change);
  }

  private async record(
    tx: Tx,
    orderId: string,
    events: readonly OrderEvent[],
    cause: Causation,
  ): Promise<void> {
    const emitted = toIntegrationEvents(events, cause);
    const timeline: TimelineEntry[] = emitted.map((event) => ({ orderId, event, direction: "EMITTED" }));
    await recordEvents(tx, emitted, this.options.route, timeline);
  }
}

function fold(state: OrderState, events: readonly OrderEvent[]): OrderState {
  return events.reduce(evolve, state);
}

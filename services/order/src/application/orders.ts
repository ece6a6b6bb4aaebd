import { randomUUID } from "node:crypto";
import type { Span } from "@opentelemetry/api";
import type { IntegrationEvent } from "@stocksaga/contracts";
import { causedBy, handlingSpanOf, type Received, startedByClock } from "@stocksaga/messaging";
import { contextOf, inSpan, linkTo } from "@stocksaga/platform";
import {
  decide,
  evolve,
  InconsistentStockMessage,
  type Order,
  type OrderCommand,
  type OrderEvent,
  OrderNotFound,
  type OrderState,
} from "../domain/index.js";
import type { LoadedOrder, OrderStore, OrderTransaction } from "../persistence/order-store.js";
import { GroupCommit } from "./group-commit.js";
import type { OrderChange } from "./order-change.js";
import { type Placement, type PlacementRequest, type PlaceOrderRequest, placeGroup } from "./placement.js";
import { RecordedEvents } from "./recorded-events.js";

export type { OrderChange } from "./order-change.js";
export { IdempotencyKeyReused, type Placement, type PlaceOrderRequest } from "./placement.js";

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

/** Placements committed together at most, unless configured otherwise. */
export const DEFAULT_PLACEMENT_GROUP_SIZE = 100;

export interface OrderApplicationOptions {
  store: OrderStore;
  /** Told once per committed transaction of the changes that produced events; never of one rolled back. */
  onCommitted?: (changes: readonly OrderChange[]) => void;
  decisionTimeoutMs: number;
  /** Topic and key of an outgoing event: the topic map of @stocksaga/contracts. */
  route: (event: IntegrationEvent) => { topic: string; key: string };
  /** Most placements committed in one transaction (see `placeOrder`). */
  placementGroupSize?: number;
  clock?: () => Date;
  newOrderId?: () => string;
}

/**
 * Use cases of the order service: load (and lock) the orders, let the domain decide, then save
 * state, outgoing events, history and the inbox mark in one transaction through the store.
 */
export class OrderApplication {
  private readonly clock: () => Date;
  private readonly newOrderId: () => string;
  private readonly placements: GroupCommit<PlacementRequest, Placement>;

  constructor(private readonly options: OrderApplicationOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.newOrderId = options.newOrderId ?? randomUUID;
    this.placements = new GroupCommit(
      (requests) => this.placeOrders(requests),
      options.placementGroupSize ?? DEFAULT_PLACEMENT_GROUP_SIZE,
    );
  }

  /**
   * Places an order, answered once it is committed. Requests that arrive while a placement
   * transaction is in flight are committed together in the next one (see GroupCommit).
   */
  /** Placements waiting for their group commit (admission control). */
  get placementsWaiting(): number {
    return this.placements.backlog;
  }

  placeOrder(request: PlaceOrderRequest): Promise<Placement> {
    return this.placements.submit({ ...request, orderId: this.newOrderId() });
  }

  /**
   * Places the requests in one transaction, each with its own outcome. Should the transaction
   * fail, each request is tried again alone, so that whatever failed it fails no other request.
   */
  async placeOrders(requests: readonly PlacementRequest[]): Promise<PromiseSettledResult<Placement>[]> {
    const context = {
      store: this.options.store,
      now: this.clock(),
      decisionTimeoutMs: this.options.decisionTimeoutMs,
      route: this.options.route,
    };
    let placed: Awaited<ReturnType<typeof placeGroup>>;
    try {
      // One transaction for many requests: in the trace of the first, linked to the others'.
      placed = await inSpan(
        "order placement commit",
        () => {
          const [first, ...others] = requests;
          return {
            parent: contextOf(first?.traceparent),
            links: others.flatMap((request) => linkTo(request.traceparent)),
            attributes: { ...TRANSACTION, "stocksaga.placements": requests.length },
          };
        },
        () => placeGroup(requests, context),
      );
    } catch (error) {
      if (requests.length === 1) return [{ status: "rejected", reason: error }];
      const outcomes: PromiseSettledResult<Placement>[] = [];
      for (const request of requests) outcomes.push(...(await this.placeOrders([request])));
      return outcomes;
    }
    this.committed(placed.changes);
    return placed.outcomes;
  }

  /** Cancels on behalf of a customer; another customer's order does not exist for them. */
  async cancelOrder(request: {
    orderId: string;
    requestedBy: string;
    isAdmin: boolean;
    reason: string;
    traceparent: string | null;
  }): Promise<{ order: Order; changed: boolean }> {
    const result = await inSpan(
      "order cancellation commit",
      () => ({ parent: contextOf(request.traceparent), attributes: TRANSACTION }),
      (span) =>
        this.options.store.transaction(async (tx) => {
          const { order, version } = (await tx.lockOrders([request.orderId])).get(request.orderId) ?? {};
          if (
            !order ||
            version === undefined ||
            (!request.isAdmin && order.customerId !== request.requestedBy)
          ) {
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
            order,
          );
          if (events.length === 0) return { order, change: undefined };
          recordDecisions(span, request.orderId, events);
          const change = await this.save(tx, { order, version }, events, {
            causationId: null,
            traceparent: request.traceparent,
          });
          return { order: change.after, change };
        }),
    );
    this.committed(result.change ? [result.change] : []);
    return { order: result.order, changed: result.change !== undefined };
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
    const { outcomes, changes } = await inSpan(
      "order reactions commit",
      { attributes: { ...TRANSACTION, "stocksaga.reactions": reactions.length } },
      () =>
        this.options.store.transaction(async (tx) => {
          const applying = await tx.claimInbox(
            consumer,
            reactions.map(({ received }) => ({ eventId: received.event.metadata.eventId, ...received })),
          );
          const loaded = await tx.lockOrders(
            reactions.filter((_, index) => applying[index]).map(({ orderId }) => orderId),
          );
          const current = new Map<string, OrderState>(
            [...loaded].map(([orderId, { order }]) => [orderId, order]),
          );
          const changes: OrderChange[] = [];
          const recorded = new RecordedEvents(this.options.route);
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
            recorded.receive(orderId, received.event);
            recorded.emit(orderId, events, causedBy(received.event));
            recordDecisions(handlingSpanOf(received.event), orderId, events);
            if (events.length > 0) {
              const after = fold(state, events) as Order;
              current.set(orderId, after);
              changes.push({ before: state, after, events });
            }
            return undefined;
          });
          await tx.updateOrders(
            [...loaded].flatMap(([orderId, { order: before, version }]) => {
              const after = current.get(orderId);
              if (!after || after === before || after.status === "NOT_PLACED") return [];
              return [{ before, after, version }];
            }),
          );
          await recorded.writeTo(tx);
          await tx.unclaimInbox(consumer, refused);
          return { outcomes, changes };
        }),
    );
    this.committed(changes);
    return outcomes;
  }

  /**
   * Rejects orders still PENDING past their deadline, all in one transaction, each in a trace of
   * its own. Instances sweep side by side: an order another transaction holds is skipped, not
   * waited for, and seen again on the next pass. Should the transaction fail, each order it held
   * is tried again alone, so that one order failing does not hold up the others.
   */
  async rejectOverdue(limit: number): Promise<TimeoutSweep> {
    const claimed: string[] = [];
    try {
      const rejected = await this.rejectOverdueTogether(limit, undefined, claimed);
      return { rejected, failures: [] };
    } catch (error) {
      if (claimed.length === 0) throw error;
    }
    const sweep: TimeoutSweep = { rejected: [], failures: [] };
    for (const orderId of claimed) {
      try {
        sweep.rejected.push(...(await this.rejectOverdueTogether(1, [orderId], [])));
      } catch (error) {
        sweep.failures.push({ orderId, error });
      }
    }
    return sweep;
  }

  private async rejectOverdueTogether(
    limit: number,
    among: readonly string[] | undefined,
    claimed: string[],
  ): Promise<OverdueRejection[]> {
    const now = this.clock();
    const { rejections, changes } = await inSpan("order timeout commit", { attributes: TRANSACTION }, () =>
      this.options.store.transaction(async (tx) => {
        const overdue = await tx.lockOverdueOrders(now, limit, among);
        claimed.push(...overdue.map(({ order }) => order.orderId));
        const changes: OrderChange[] = [];
        const rejections: OverdueRejection[] = [];
        const recorded = new RecordedEvents(this.options.route);
        const updates = overdue.flatMap(({ order, version }) => {
          const events = decide({ type: "RejectForTimeout", orderId: order.orderId, now }, order);
          if (events.length === 0) return [];
          const cause = startedByClock("order decision timeout", {
            "stocksaga.order.id": order.orderId,
            "stocksaga.decision": "REJECTED",
          });
          const after = fold(order, events) as Order;
          recorded.emit(order.orderId, events, cause);
          changes.push({ before: order, after, events });
          if (cause.traceparent) rejections.push({ orderId: order.orderId, traceparent: cause.traceparent });
          return [{ before: order, after, version }];
        });
        await tx.updateOrders(updates);
        await recorded.writeTo(tx);
        return { rejections, changes };
      }),
    );
    this.committed(changes);
    return rejections;
  }

  /** Saves one order's change and what it publishes. */
  private async save(
    tx: OrderTransaction,
    { order, version }: LoadedOrder,
    events: readonly OrderEvent[],
    cause: Parameters<RecordedEvents["emit"]>[2],
  ): Promise<OrderChange & { after: Order }> {
    const after = fold(order, events) as Order;
    await tx.updateOrders([{ before: order, after, version }]);
    const recorded = new RecordedEvents(this.options.route);
    recorded.emit(order.orderId, events, cause);
    await recorded.writeTo(tx);
    return { before: order, after, events };
  }

  private committed(changes: readonly OrderChange[]): void {
    if (changes.length > 0) this.options.onCommitted?.(changes);
  }
}

const TRANSACTION = { "db.system.name": "postgresql", "db.operation.name": "transaction" } as const;

const DECISIONS: Partial<Record<OrderEvent["type"], string>> = {
  OrderConfirmed: "CONFIRMED",
  OrderAdjusted: "ADJUSTED",
  OrderRejected: "REJECTED",
  OrderCancelled: "CANCELLED",
};

/** The saga's decisions among `events`, as events `saga decision` of the span that made them. */
function recordDecisions(span: Span | undefined, orderId: string, events: readonly OrderEvent[]): void {
  if (!span?.isRecording()) return;
  for (const event of events) {
    const decision = DECISIONS[event.type];
    if (!decision) continue;
    span.addEvent("saga decision", {
      "stocksaga.order.id": orderId,
      "stocksaga.decision": decision,
      ...("reason" in event && typeof event.reason === "string" ? { "stocksaga.reason": event.reason } : {}),
    });
  }
}

function fold(state: OrderState, events: readonly OrderEvent[]): OrderState {
  return events.reduce(evolve, state);
}

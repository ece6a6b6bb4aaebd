import type { IntegrationEvent } from "@stocksaga/contracts";
import { type Causation, causedBy, outboxEntry, type Received, startedByClock } from "@stocksaga/messaging";
import { contextOf, inSpan } from "@stocksaga/platform";
import {
  type CommitReservations,
  InconsistentOrderMessage,
  InvalidStockAdjustment,
  type InventoryCommand,
  type InventoryEvent,
  type InventoryState,
  inventoryState,
  MAX_ON_HAND,
  ProductNotFound,
  type ReleaseReservations,
  type ReserveStock,
  UnknownOrderRequest,
} from "../domain/index.js";
import type {
  DueReservation,
  InventoryStore,
  InventoryTransaction,
  ProductRecord,
} from "../persistence/inventory-store.js";
import { type StockAnswers, toIntegrationEvents } from "./integration.js";
import { WorkingState } from "./working-state.js";

/** What an order event asks of the inventory. */
export type OrderReaction = ReserveStock | CommitReservations | ReleaseReservations;

/** One order event to apply, with the command it asks for. */
export interface Reaction {
  command: OrderReaction;
  received: Received<IntegrationEvent>;
}

/** The domain refused the event itself (it names an order never seen, or contradicts it): nothing was applied for it. */
export type Refusal = UnknownOrderRequest | InconsistentOrderMessage;

function isRefusal(error: unknown): error is Refusal {
  return error instanceof UnknownOrderRequest || error instanceof InconsistentOrderMessage;
}

export interface InventoryApplicationOptions {
  store: InventoryStore;
  /** Told of the domain events of each committed transaction; never of one rolled back. */
  onCommitted?: (events: readonly InventoryEvent[]) => void;
  /** Topic and key of an outgoing event: the topic map of @stocksaga/contracts. */
  route: (event: IntegrationEvent) => { topic: string; key: string };
  /** How the answer to an order request is published; one event per request unless told otherwise. */
  answers?: StockAnswers;
  clock?: () => Date;
}

export interface CreateProductRequest {
  sku: string;
  name: string;
  onHand: number;
  traceparent: string | null;
}

export interface AdjustStockRequest {
  sku: string;
  delta: number;
  reason: string;
  actor: string;
  traceparent: string | null;
}

export interface ExpirySweep {
  expired: { reservationId: string; orderId: string; traceparent: string }[];
  failures: { reservationId: string; orderId: string; error: unknown }[];
}

/** The domain events of one transaction, and the integration events to publish for them. */
interface Decisions {
  readonly events: InventoryEvent[];
  readonly outgoing: IntegrationEvent[];
}

/**
 * Use cases of the inventory service: lock the order requests (when there are any), then the
 * products, let the domain decide, then save state, outgoing events and the inbox marks in one
 * transaction of the store.
 */
export class InventoryApplication {
  private readonly clock: () => Date;
  private readonly store: InventoryStore;

  constructor(private readonly options: InventoryApplicationOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.store = options.store;
  }

  async createProduct(request: CreateProductRequest): Promise<ProductRecord> {
    return this.committing("product creation commit", request.traceparent, async (tx, decisions) => {
      const now = this.clock();
      const state = inventoryState({ products: await tx.lockProducts([request.sku]) });
      await this.apply(
        tx,
        { type: "CreateProduct", sku: request.sku, name: request.name, onHand: request.onHand, now },
        state,
        { causationId: null, traceparent: request.traceparent },
        decisions,
      );
      return { sku: request.sku, name: request.name, onHand: request.onHand, reserved: 0, updatedAt: now };
    });
  }

  async adjustStock(request: AdjustStockRequest): Promise<ProductRecord> {
    return this.committing("stock adjustment commit", request.traceparent, async (tx, decisions) => {
      const now = this.clock();
      const [product] = await tx.lockProducts([request.sku]);
      if (product === undefined) throw new ProductNotFound(request.sku);
      if (product.onHand + request.delta > MAX_ON_HAND) {
        throw new InvalidStockAdjustment([
          { field: "delta", message: `would take onHand above ${MAX_ON_HAND}` },
        ]);
      }
      const after = await this.apply(
        tx,
        {
          type: "AdjustStock",
          sku: request.sku,
          delta: request.delta,
          reason: request.reason,
          actor: request.actor,
          now,
        },
        inventoryState({ products: [product] }),
        { causationId: null, traceparent: request.traceparent },
        decisions,
      );
      const stock = after.products.get(request.sku) ?? product;
      return { ...product, onHand: stock.onHand, reserved: stock.reserved, updatedAt: now };
    });
  }

  /**
   * Applies a run of order events in one transaction, in their order, each exactly once per event
   * id: the orders they name are locked (in id order), then their products (in SKU order), the
   * domain decides each command on the state the earlier ones left, and everything is saved at
   * once. Returns per reaction the refusal that kept it from being applied, or undefined. Any other
   * failure rolls the whole run back.
   */
  async reactAll(reactions: readonly Reaction[]): Promise<(Refusal | undefined)[]> {
    if (reactions.length === 0) return [];
    const consumer = reactions[0]?.received.consumer ?? "";
    // Under the span of the run's first message (the active one).
    return this.committing("inventory reactions commit", undefined, async (tx, decisions) => {
      const applying = await tx.claimInbox(
        consumer,
        reactions.map(({ received }) => ({ eventId: received.event.metadata.eventId, ...received })),
      );
      const mine = reactions.filter((_, index) => applying[index]);
      const orders = await tx.lockOrderRequests(mine.map(({ command }) => command.orderId));
      const skus = mine.flatMap(({ command }) =>
        command.type === "ReserveStock" ? command.lines.map((l) => l.sku) : [],
      );
      for (const order of orders) skus.push(...order.reservations.map((reservation) => reservation.sku));
      const before = inventoryState({ products: await tx.lockProducts(skus), orders });
      const working = new WorkingState(before);
      const refused: string[] = [];
      const outcomes = reactions.map((reaction, index): Refusal | undefined => {
        if (!applying[index]) return undefined;
        try {
          this.decideInto(decisions, working, reaction.command, causedBy(reaction.received.event));
          return undefined;
        } catch (error) {
          if (!isRefusal(error)) throw error;
          refused.push(reaction.received.event.metadata.eventId);
          return error;
        }
      });
      await this.save(tx, before, working.state, decisions);
      await tx.unclaimInbox(consumer, refused);
      return outcomes;
    });
  }

  /**
   * Expires ACTIVE reservations past their expiry: all that are due in one transaction, and when
   * that fails, each in its own, so that one reservation failing does not hold up the others.
   * Several instances may sweep at once: the order locks serialise them and the domain ignores a
   * settled reservation.
   */
  async expireOverdue(limit: number): Promise<ExpirySweep> {
    const due = (await this.store.overdueReservations(this.clock(), limit)).map((reservation) => ({
      ...reservation,
      cause: startedByClock("reservation expiry", {
        "stocksaga.order.id": reservation.orderId,
        "stocksaga.reservation.id": reservation.reservationId,
      }),
    }));
    const sweep: ExpirySweep = { expired: [], failures: [] };
    const report = (expired: typeof due) => {
      for (const { reservationId, orderId, cause } of expired) {
        if (cause.traceparent) sweep.expired.push({ reservationId, orderId, traceparent: cause.traceparent });
      }
    };
    if (due.length === 0) return sweep;
    try {
      report(await this.expire(due));
      return sweep;
    } catch (error) {
      if (due.length === 1) {
        const [only] = due;
        if (only) sweep.failures.push({ reservationId: only.reservationId, orderId: only.orderId, error });
        return sweep;
      }
    }
    for (const reservation of due) {
      try {
        report(await this.expire([reservation]));
      } catch (error) {
        sweep.failures.push({
          reservationId: reservation.reservationId,
          orderId: reservation.orderId,
          error,
        });
      }
    }
    return sweep;
  }

  /** Expires the reservations in one transaction; returns those it expired. */
  private async expire<Due extends DueReservation & { cause: Causation }>(
    due: readonly Due[],
  ): Promise<Due[]> {
    return this.committing("reservation expiry commit", null, async (tx, decisions) => {
      const orders = await tx.lockOrderRequests(due.map(({ orderId }) => orderId));
      const skus = orders.flatMap((order) => order.reservations.map((reservation) => reservation.sku));
      const before = inventoryState({ products: await tx.lockProducts(skus), orders });
      const working = new WorkingState(before);
      const expired = due.filter(({ orderId, reservationId, cause }) => {
        // Gone since it was found: nothing to expire.
        if (!before.orders.has(orderId)) return false;
        const command: InventoryCommand = {
          type: "ExpireReservation",
          orderId,
          reservationId,
          now: this.clock(),
        };
        return this.decideInto(decisions, working, command, cause).length > 0;
      });
      await this.save(tx, before, working.state, decisions);
      return expired;
    });
  }

  /** One transaction; the events it decided are told to `onCommitted` once it committed. */
  private async committing<T>(
    name: string,
    parent: string | null | undefined,
    work: (tx: InventoryTransaction, decisions: Decisions) => Promise<T>,
  ): Promise<T> {
    const decisions: Decisions = { events: [], outgoing: [] };
    const result = await inSpan(
      name,
      () => ({
        ...(parent !== undefined ? { parent: contextOf(parent) } : {}),
        attributes: { "db.system.name": "postgresql", "db.operation.name": "transaction" },
      }),
      () => this.store.transaction((tx) => work(tx, decisions)),
    );
    if (decisions.events.length > 0) this.options.onCommitted?.(decisions.events);
    return result;
  }

  /** Decides the command on the working state, and keeps what it decided and what to publish for it. */
  private decideInto(
    decisions: Decisions,
    working: WorkingState,
    command: InventoryCommand,
    cause: Causation,
  ): InventoryEvent[] {
    const events = working.decide(command);
    decisions.events.push(...events);
    decisions.outgoing.push(...toIntegrationEvents(events, cause, this.options.answers));
    return events;
  }

  /** Writes the state the decisions led to and the events to publish, when anything was decided. */
  private async save(
    tx: InventoryTransaction,
    before: InventoryState,
    after: InventoryState,
    decisions: Decisions,
  ): Promise<void> {
    if (decisions.events.length === 0) return;
    await tx.save({ before, after, events: decisions.events, at: this.clock() });
    await tx.recordEvents(decisions.outgoing.map((event) => outboxEntry(event, this.options.route(event))));
  }

  /** decide → evolve → save one command: returns the state after it. */
  private async apply(
    tx: InventoryTransaction,
    command: InventoryCommand,
    state: InventoryState,
    cause: Causation,
    decisions: Decisions,
  ): Promise<InventoryState> {
    const working = new WorkingState(state);
    this.decideInto(decisions, working, command, cause);
    await this.save(tx, state, working.state, decisions);
    return working.state;
  }
}

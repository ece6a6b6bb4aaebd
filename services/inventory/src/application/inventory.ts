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
  type CommitReservations,
  decide,
  evolve,
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
import type { Database, Tx } from "../persistence/database.js";
import {
  type LockedProduct,
  lockOrderRequest,
  lockOrderRequests,
  lockProducts,
  recordEvents,
  saveChanges,
} from "../persistence/inventory-store.js";
import { toIntegrationEvents } from "./integration.js";

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
  db: Database;
  /** Told of the domain events of each committed transaction; never of one rolled back. */
  onCommitted?: (events: readonly InventoryEvent[]) => void;
  /** Topic and key of an outgoing event: the topic map of @stocksaga/contracts. */
  route: (event: IntegrationEvent) => { topic: string; key: string };
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

/**
 * Use cases of the inventory service: lock the order request (when there is one), then the
 * products in SKU order, let the domain decide, then save state, outgoing events and the inbox
 * mark in one transaction.
 */
export class InventoryApplication {
  private readonly clock: () => Date;

  constructor(private readonly options: InventoryApplicationOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  async createProduct(request: CreateProductRequest): Promise<LockedProduct> {
    return this.committing(async (tx, emitted) => {
      const now = this.clock();
      const state = inventoryState({ products: await lockProducts(tx, [request.sku]) });
      await this.apply(
        tx,
        { type: "CreateProduct", sku: request.sku, name: request.name, onHand: request.onHand, now },
        state,
        { causationId: null, traceparent: request.traceparent },
        emitted,
      );
      return { sku: request.sku, name: request.name, onHand: request.onHand, reserved: 0, updatedAt: now };
    });
  }

  async adjustStock(request: AdjustStockRequest): Promise<LockedProduct> {
    return this.committing(async (tx, emitted) => {
      const now = this.clock();
      const [product] = await lockProducts(tx, [request.sku]);
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
        emitted,
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
    return this.committing(async (tx, emitted) => {
      const applying = await claimInbox(
        tx,
        consumer,
        reactions.map(({ received }) => ({ eventId: received.event.metadata.eventId, ...received })),
      );
      const mine = reactions.filter((_, index) => applying[index]);
      const orders = await lockOrderRequests(
        tx,
        mine.map(({ command }) => command.orderId),
      );
      const skus = mine.flatMap(({ command }) =>
        command.type === "ReserveStock" ? command.lines.map((l) => l.sku) : [],
      );
      for (const order of orders) skus.push(...order.reservations.map((reservation) => reservation.sku));
      const before = inventoryState({ products: await lockProducts(tx, skus), orders });
      let state = before;
      const decided: InventoryEvent[] = [];
      const outgoing: IntegrationEvent[] = [];
      const refused: string[] = [];
      const outcomes = reactions.map((reaction, index): Refusal | undefined => {
        if (!applying[index]) return undefined;
        let events: InventoryEvent[];
        try {
          events = decide(reaction.command, state);
        } catch (error) {
          if (!isRefusal(error)) throw error;
          refused.push(reaction.received.event.metadata.eventId);
          return error;
        }
        state = events.reduce(evolve, state);
        decided.push(...events);
        outgoing.push(...toIntegrationEvents(events, causedBy(reaction.received.event)));
        return undefined;
      });
      if (decided.length > 0) {
        emitted.push(...decided);
        await saveChanges(tx, before, state, decided, this.clock());
        await recordEvents(tx, outgoing, this.options.route);
      }
      await unclaimInbox(tx, consumer, refused);
      return outcomes;
    });
  }

  /**
   * Expires ACTIVE reservations past their expiry, each in its own transaction. Several instances
   * may sweep at once: the order lock serialises them and the domain ignores a settled reservation.
   * One reservation failing does not hold up the others.
   */
  async expireOverdue(limit: number): Promise<ExpirySweep> {
    const due = await this.options.db.reservation.findMany({
      where: { status: "ACTIVE", expiresAt: { lt: this.clock() } },
      select: { id: true, orderId: true },
      orderBy: { expiresAt: "asc" },
      take: limit,
    });
    const sweep: ExpirySweep = { expired: [], failures: [] };
    for (const { id, orderId } of due) {
      const cause = startedByClock();
      try {
        const expired = await this.committing(async (tx, emitted) => {
          const order = await lockOrderRequest(tx, orderId);
          if (!order) return false;
          const state = inventoryState({
            products: await lockProducts(
              tx,
              order.reservations.map((reservation) => reservation.sku),
            ),
            orders: [order],
          });
          const after = await this.apply(
            tx,
            { type: "ExpireReservation", orderId, reservationId: id, now: this.clock() },
            state,
            cause,
            emitted,
          );
          return after !== state;
        });
        if (expired && cause.traceparent) {
          sweep.expired.push({ reservationId: id, orderId, traceparent: cause.traceparent });
        }
      } catch (error) {
        sweep.failures.push({ reservationId: id, orderId, error });
      }
    }
    return sweep;
  }

  /** One transaction; the events it decided are told to `onCommitted` once it committed. */
  private async committing<T>(work: (tx: Tx, emitted: InventoryEvent[]) => Promise<T>): Promise<T> {
    const emitted: InventoryEvent[] = [];
    const result = await this.options.db.$transaction((tx) => work(tx, emitted));
    if (emitted.length > 0) this.options.onCommitted?.(emitted);
    return result;
  }

  /** decide → evolve → save: returns the state after the command (the same object when nothing changed). */
  private async apply(
    tx: Tx,
    command: InventoryCommand,
    state: InventoryState,
    cause: Causation,
    emitted: InventoryEvent[],
  ): Promise<InventoryState> {
    const events = decide(command, state);
    if (events.length === 0) return state;
    emitted.push(...events);
    const after = events.reduce(evolve, state);
    await saveChanges(tx, state, after, events, this.clock());
    await recordEvents(tx, toIntegrationEvents(events, cause), this.options.route);
    return after;
  }
}

import { createHash } from "node:crypto";
import type { IntegrationEvent } from "@stocksaga/contracts";
import {
  decide,
  evolve,
  type Fulfilment,
  type Order,
  type OrderEvent,
  type OrderState,
  type RequestedLine,
} from "../domain/index.js";
import type { IdempotentPlacement, OrderStore } from "../persistence/order-store.js";
import type { OrderChange } from "./order-change.js";
import { RecordedEvents } from "./recorded-events.js";

export interface PlaceOrderRequest {
  customerId: string;
  fulfilment: Fulfilment;
  lines: readonly RequestedLine[];
  idempotencyKey?: string | undefined;
  traceparent: string | null;
}

/**
 * A request with the id its order gets, given once when it is submitted: should its group's
 * commit fail after the server committed, trying it again alone cannot place it a second time
 * (the id is taken), where a fresh id would.
 */
export interface PlacementRequest extends PlaceOrderRequest {
  orderId: string;
}

export interface Placement {
  order: Order;
  /** An earlier request with the same Idempotency-Key and body placed this order. */
  replayed: boolean;
}

/** The key request of an idempotent submission was already used for another body. */
export class IdempotencyKeyReused extends Error {
  readonly code = "IDEMPOTENCY_KEY_REUSED";
  constructor(readonly key: string) {
    super(`Idempotency-Key ${key} was already used for a different request`);
    this.name = "IdempotencyKeyReused";
  }
}

export interface PlacementContext {
  store: OrderStore;
  now: Date;
  decisionTimeoutMs: number;
  route: (event: IntegrationEvent) => { topic: string; key: string };
}

/** A request the domain accepted, with the order it would place. */
interface Candidate {
  index: number;
  request: PlacementRequest;
  requestHash: string;
  /** Customer and Idempotency-Key, one string; undefined without a key. */
  keyId: string | undefined;
  order: Order;
  events: OrderEvent[];
}

/**
 * Places a group of requests in one transaction (one insert for every order and line, one outbox
 * and one history statement). Requests sharing an Idempotency-Key, in the group or with an order
 * placed before, get that one order when their bodies match and IdempotencyKeyReused when not.
 * Each request's outcome is its own: one refused does not refuse the others.
 */
export async function placeGroup(
  requests: readonly PlacementRequest[],
  context: PlacementContext,
): Promise<{ outcomes: PromiseSettledResult<Placement>[]; changes: OrderChange[] }> {
  const outcomes: PromiseSettledResult<Placement>[] = new Array(requests.length);
  const candidates: Candidate[] = [];
  requests.forEach((request, index) => {
    try {
      candidates.push(candidateFor(request, index, context));
    } catch (error) {
      outcomes[index] = { status: "rejected", reason: error };
    }
  });
  // The first accepted request of each key places the order; the others with that key follow it.
  const owners = new Map<string, Candidate>();
  const toInsert = candidates.filter((candidate) => {
    if (candidate.keyId === undefined) return true;
    if (owners.has(candidate.keyId)) return false;
    owners.set(candidate.keyId, candidate);
    return true;
  });

  const { inserted, earlier } = await context.store.transaction(async (tx) => {
    const inserted = await tx.insertOrders(
      toInsert.map(({ order, request, requestHash }) => ({
        order,
        idempotency:
          request.idempotencyKey !== undefined ? { key: request.idempotencyKey, requestHash } : undefined,
      })),
    );
    const keysTaken = toInsert.filter(({ order }) => !inserted.has(order.orderId));
    const earlier = await tx.findIdempotentPlacements(
      keysTaken.map(({ request }) => ({ customerId: request.customerId, key: request.idempotencyKey ?? "" })),
    );
    const recorded = new RecordedEvents(context.route);
    for (const { order, events, request } of toInsert) {
      if (inserted.has(order.orderId)) {
        recorded.emit(order.orderId, events, { causationId: null, traceparent: request.traceparent });
      }
    }
    await recorded.writeTo(tx);
    return {
      inserted,
      earlier: new Map(earlier.map((placement) => [keyIdOf(placement.customerId, placement.key), placement])),
    };
  });

  for (const candidate of candidates) {
    outcomes[candidate.index] = outcomeOf(candidate, owners, inserted, earlier);
  }
  const changes = toInsert
    .filter(({ order }) => inserted.has(order.orderId))
    .map(({ order, events }): OrderChange => ({ before: { status: "NOT_PLACED" }, after: order, events }));
  return { outcomes, changes };
}

function candidateFor(request: PlacementRequest, index: number, context: PlacementContext): Candidate {
  const initial: OrderState = { status: "NOT_PLACED" };
  const events = decide(
    {
      type: "PlaceOrder",
      orderId: request.orderId,
      customerId: request.customerId,
      fulfilment: request.fulfilment,
      lines: request.lines,
      now: context.now,
      decisionTimeoutMs: context.decisionTimeoutMs,
    },
    initial,
  );
  const order = events.reduce(evolve, initial);
  if (order.status === "NOT_PLACED") throw new Error("PlaceOrder produced no order");
  return {
    index,
    request,
    requestHash: requestHashOf(request),
    keyId:
      request.idempotencyKey !== undefined ? keyIdOf(request.customerId, request.idempotencyKey) : undefined,
    order,
    events,
  };
}

function outcomeOf(
  candidate: Candidate,
  owners: ReadonlyMap<string, Candidate>,
  inserted: ReadonlySet<string>,
  earlier: ReadonlyMap<string, IdempotentPlacement>,
): PromiseSettledResult<Placement> {
  const { keyId, request, requestHash } = candidate;
  if (keyId === undefined) return { status: "fulfilled", value: { order: candidate.order, replayed: false } };
  const owner = owners.get(keyId) ?? candidate;
  const placed = inserted.has(owner.order.orderId)
    ? { order: owner.order, requestHash: owner.requestHash }
    : earlier.get(keyId);
  if (!placed) {
    const error = new Error(
      `Idempotency-Key ${request.idempotencyKey} is taken, but by no order to be found`,
    );
    return { status: "rejected", reason: error };
  }
  if (placed.requestHash !== requestHash) {
    return { status: "rejected", reason: new IdempotencyKeyReused(request.idempotencyKey ?? "") };
  }
  const placedNow = candidate === owner && inserted.has(owner.order.orderId);
  return { status: "fulfilled", value: { order: placed.order, replayed: !placedNow } };
}

function keyIdOf(customerId: string, key: string): string {
  return `${customerId}\n${key}`;
}

/** What makes two requests with one key the same request: the policy and the lines, in order. */
function requestHashOf(request: PlaceOrderRequest): string {
  return createHash("sha256")
    .update(
      JSON.stringify({
        fulfilment: request.fulfilment,
        lines: request.lines.map((l) => [l.sku, l.quantity]),
      }),
    )
    .digest("hex");
}

import type { IntegrationEvent } from "@stocksaga/contracts";
import { SAMPLE_EVENTS } from "@stocksaga/contracts/fixtures";
import { type ConsumedMessage, InvalidEventError } from "@stocksaga/messaging";
import { describe, expect, it, vi } from "vitest";
import type { Reaction, Refusal } from "../application/inventory.js";
import { InconsistentOrderMessage, UnknownOrderRequest } from "../domain/index.js";
import {
  commandFor,
  inventoryReactions,
  onOrderAdjusted,
  onOrderCancelled,
  onOrderConfirmed,
  onOrderRejected,
  onOrderRequested,
  type ReactionContext,
} from "./reactions.js";

const ORDER_ID = SAMPLE_EVENTS.OrderRequested.orderId;
/** Processing happens after the event was written: commands carry the processing time. */
const PROCESSED_AT = new Date(SAMPLE_EVENTS.OrderRequested.metadata.occurredAt + 90_000);

function context(): ReactionContext {
  let next = 0;
  return {
    reservationTtlMs: 60_000,
    newReservationId: () => `reservation-${++next}`,
    now: () => PROCESSED_AT,
  };
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("each order event becomes one inventory command; time comes in on the event", () => {
  it("onOrderRequested → ReserveStock, a fresh reservation id per line", () => {
    expect(onOrderRequested(SAMPLE_EVENTS.OrderRequested, context())).toEqual({
      type: "ReserveStock",
      orderId: ORDER_ID,
      customerId: "customer-42",
      fulfilment: "PARTIAL",
      lines: [
        { sku: "SKU-RED-MUG", quantity: 3, reservationId: "reservation-1" },
        { sku: "SKU-BLUE-CUP", quantity: 1, reservationId: "reservation-2" },
      ],
      now: PROCESSED_AT,
      reservationTtlMs: 60_000,
    });
  });

  it("onOrderConfirmed → CommitReservations with every line as requested", () => {
    expect(onOrderConfirmed(SAMPLE_EVENTS.OrderConfirmed, context())).toEqual({
      type: "CommitReservations",
      orderId: ORDER_ID,
      lines: [{ sku: "SKU-RED-MUG", quantity: 3 }],
      now: PROCESSED_AT,
    });
  });

  it("onOrderAdjusted → CommitReservations with each line's confirmed quantity", () => {
    expect(onOrderAdjusted(SAMPLE_EVENTS.OrderAdjusted, context())).toEqual({
      type: "CommitReservations",
      orderId: ORDER_ID,
      lines: [{ sku: "SKU-RED-MUG", quantity: 2 }],
      now: PROCESSED_AT,
    });
  });

  it("onOrderRejected → ReleaseReservations ORDER_REJECTED, whatever the order's reason", () => {
    expect(onOrderRejected(SAMPLE_EVENTS.OrderRejected, context())).toEqual({
      type: "ReleaseReservations",
      orderId: ORDER_ID,
      reason: "ORDER_REJECTED",
      now: PROCESSED_AT,
    });
    expect(onOrderRejected({ ...SAMPLE_EVENTS.OrderRejected, reason: "UNSPECIFIED" }, context()).reason).toBe(
      "ORDER_REJECTED",
    );
  });

  it("onOrderCancelled → ReleaseReservations ORDER_CANCELLED", () => {
    expect(onOrderCancelled(SAMPLE_EVENTS.OrderCancelled, context())).toEqual({
      type: "ReleaseReservations",
      orderId: ORDER_ID,
      reason: "ORDER_CANCELLED",
      now: PROCESSED_AT,
    });
  });

  it("commandFor dispatches on the event type", () => {
    expect(commandFor(SAMPLE_EVENTS.OrderRequested, context()).type).toBe("ReserveStock");
    expect(commandFor(SAMPLE_EVENTS.OrderConfirmed, context()).type).toBe("CommitReservations");
    expect(commandFor(SAMPLE_EVENTS.OrderAdjusted, context()).type).toBe("CommitReservations");
    expect(commandFor(SAMPLE_EVENTS.OrderRejected, context())).toMatchObject({ reason: "ORDER_REJECTED" });
    expect(commandFor(SAMPLE_EVENTS.OrderCancelled, context())).toMatchObject({ reason: "ORDER_CANCELLED" });
  });

  it("stores order ids in canonical lower case, so a repeat in upper case finds the same request", () => {
    const upper = { ...SAMPLE_EVENTS.OrderConfirmed, orderId: ORDER_ID.toUpperCase() };
    expect(onOrderConfirmed(upper, context()).orderId).toBe(ORDER_ID);
  });

  it.each([
    [
      "an order id that is not a UUID",
      { ...SAMPLE_EVENTS.OrderCancelled, orderId: "order-1" },
      "INVALID_ORDER_ID",
    ],
    [
      "a fulfilment policy this build does not know",
      { ...SAMPLE_EVENTS.OrderRequested, fulfilment: "UNSPECIFIED" as const },
      "UNKNOWN_FULFILMENT",
    ],
    ["an event the inventory does not consume", SAMPLE_EVENTS.StockReserved, "UNEXPECTED_EVENT"],
  ])("refuses %s as an invalid event (dead letter)", (_, event: IntegrationEvent, reason) => {
    const error = thrown(() => commandFor(event, context()));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ reason });
  });
});

describe("inventoryReactions", () => {
  function message(event: IntegrationEvent, offset = "41"): ConsumedMessage<IntegrationEvent> {
    return { event, topic: "order-events", partition: 2, offset, key: ORDER_ID, headers: {} };
  }

  function reactingWith(reactAll: (reactions: readonly Reaction[]) => Promise<(Refusal | undefined)[]>) {
    return inventoryReactions({ reactAll: vi.fn(reactAll) }, "inventory-service", context());
  }

  it("applies the commands of a run at once, with what the inbox records", async () => {
    const reactAll = vi.fn(async (reactions: readonly Reaction[]) => reactions.map(() => undefined));
    const outcomes = await inventoryReactions(
      { reactAll },
      "inventory-service",
      context(),
    )([message(SAMPLE_EVENTS.OrderConfirmed, "41"), message(SAMPLE_EVENTS.OrderCancelled, "42")]);
    expect(outcomes).toEqual([undefined, undefined]);
    expect(reactAll).toHaveBeenCalledTimes(1);
    expect(reactAll).toHaveBeenCalledWith([
      {
        command: onOrderConfirmed(SAMPLE_EVENTS.OrderConfirmed, context()),
        received: {
          event: SAMPLE_EVENTS.OrderConfirmed,
          consumer: "inventory-service",
          topic: "order-events",
          partition: 2,
          offset: "41",
        },
      },
      {
        command: onOrderCancelled(SAMPLE_EVENTS.OrderCancelled, context()),
        received: {
          event: SAMPLE_EVENTS.OrderCancelled,
          consumer: "inventory-service",
          topic: "order-events",
          partition: 2,
          offset: "42",
        },
      },
    ]);
  });

  it.each([
    [new UnknownOrderRequest(ORDER_ID), "UNKNOWN_ORDER_REQUEST"],
    [new InconsistentOrderMessage(ORDER_ID, "-1 units of SKU-RED-MUG"), "INCONSISTENT_CONTENT"],
  ])("turns %s into an invalid event", async (domainError, reason) => {
    const handle = reactingWith(async () => [domainError]);
    const [outcome] = await handle([message(SAMPLE_EVENTS.OrderConfirmed)]);
    expect(outcome).toMatchObject({ name: "InvalidEventError", reason });
  });

  it("lets every other failure through, so the consumer retries it", async () => {
    const outage = new Error("connection refused");
    const handle = reactingWith(async () => {
      throw outage;
    });
    await expect(handle([message(SAMPLE_EVENTS.OrderConfirmed)])).rejects.toBe(outage);
  });

  it("refuses an event id that is not a UUID before touching anything (the inbox stores UUIDs)", async () => {
    const reactAll = vi.fn(async (reactions: readonly Reaction[]) => reactions.map(() => undefined));
    const event = {
      ...SAMPLE_EVENTS.OrderRejected,
      metadata: { ...SAMPLE_EVENTS.OrderRejected.metadata, eventId: "event-1" },
    };
    const outcomes = await inventoryReactions(
      { reactAll },
      "inventory-service",
      context(),
    )([message(event, "41"), message(SAMPLE_EVENTS.OrderConfirmed, "42")]);
    expect(outcomes[0]).toMatchObject({ name: "InvalidEventError", reason: "INVALID_EVENT_ID" });
    expect(outcomes[1]).toBeUndefined();
    expect(reactAll).toHaveBeenCalledWith([
      expect.objectContaining({ received: expect.objectContaining({ offset: "42" }) }),
    ]);
  });
});

import { describe, expect, it } from "vitest";
import {
  InconsistentStockMessage,
  InvalidOrder,
  OrderAlreadyPlaced,
  OrderDomainError,
  OrderNotCancellable,
  OrderNotFound,
} from "./errors.js";
import type { Order } from "./order.js";
import {
  ADJUSTED_HISTORY,
  at,
  CONFIRMED_HISTORY,
  CUSTOMER_ID,
  DEADLINE,
  lineRejected,
  lineReserved,
  NOW,
  ORDER_ID,
  orderCancelled,
  orderPlaced,
  orderRejected,
  spec,
} from "./testing.js";

function stateAfter(...history: Parameters<typeof spec.given>[0][]): Order {
  const state = spec.given(history.flat()).state;
  if (state.status === "NOT_PLACED") {
    throw new Error("expected an order");
  }
  return state;
}

describe("evolve", () => {
  it("starts from an order that is not placed", () => {
    expect(spec.given([]).state).toEqual({ status: "NOT_PLACED" });
  });

  it("places a PENDING order with one PENDING line per SKU", () => {
    expect(stateAfter([orderPlaced()])).toEqual({
      status: "PENDING",
      orderId: ORDER_ID,
      customerId: CUSTOMER_ID,
      fulfilment: "PARTIAL",
      lines: [
        {
          sku: "SKU-A",
          requestedQuantity: 2,
          confirmedQuantity: null,
          status: "PENDING",
          reason: null,
          reservationId: null,
          availableQuantity: null,
        },
        {
          sku: "SKU-B",
          requestedQuantity: 5,
          confirmedQuantity: null,
          status: "PENDING",
          reason: null,
          reservationId: null,
          availableQuantity: null,
        },
      ],
      reason: null,
      rejectionDetail: null,
      cancellation: null,
      decisionDeadline: DEADLINE,
      placedAt: NOW,
      updatedAt: NOW,
    });
  });

  it("records answers on their lines: RESERVED in full, PARTIAL when short, REJECTED with why", () => {
    const order = stateAfter([
      orderPlaced([
        { sku: "SKU-A", quantity: 2 },
        { sku: "SKU-B", quantity: 5 },
        { sku: "SKU-C", quantity: 1 },
      ]),
      lineReserved("SKU-A", 2, at(1)),
      lineReserved("SKU-B", 3, at(2)),
      lineRejected("SKU-C", 0, at(3), "UNKNOWN_PRODUCT"),
    ]);
    expect(order.lines).toEqual([
      {
        sku: "SKU-A",
        requestedQuantity: 2,
        confirmedQuantity: 2,
        status: "RESERVED",
        reason: null,
        reservationId: "reservation-SKU-A",
        availableQuantity: null,
      },
      {
        sku: "SKU-B",
        requestedQuantity: 5,
        confirmedQuantity: 3,
        status: "PARTIAL",
        reason: null,
        reservationId: "reservation-SKU-B",
        availableQuantity: 3,
      },
      {
        sku: "SKU-C",
        requestedQuantity: 1,
        confirmedQuantity: 0,
        status: "REJECTED",
        reason: "UNKNOWN_PRODUCT",
        reservationId: null,
        availableQuantity: 0,
      },
    ]);
    expect(order.status).toBe("PENDING");
    expect(order.updatedAt).toEqual(at(3));
  });

  it("confirms", () => {
    const order = stateAfter(CONFIRMED_HISTORY);
    expect(order.status).toBe("CONFIRMED");
    expect(order.lines.map((line) => line.confirmedQuantity)).toEqual([2, 5]);
  });

  it("adjusts to the quantities of the event, 0 for a line left out", () => {
    expect(stateAfter(ADJUSTED_HISTORY).lines.map((line) => line.confirmedQuantity)).toEqual([2, 3]);
    const readjusted = stateAfter(ADJUSTED_HISTORY, [
      {
        type: "OrderAdjusted",
        orderId: ORDER_ID,
        lines: [{ sku: "SKU-B", requestedQuantity: 5, confirmedQuantity: 1 }],
        at: at(9),
      },
    ]);
    expect(readjusted.status).toBe("ADJUSTED");
    expect(readjusted.lines.map((line) => line.confirmedQuantity)).toEqual([0, 1]);
    expect(readjusted.updatedAt).toEqual(at(9));
  });

  it("rejects with reason and detail, leaving the lines as the inventory answered them", () => {
    const order = stateAfter(CONFIRMED_HISTORY, [orderRejected("NOT_HONOURED", "none", at(9))]);
    expect(order.status).toBe("REJECTED");
    expect(order.reason).toBe("NOT_HONOURED");
    expect(order.rejectionDetail).toBe("none");
    expect(order.lines).toEqual(stateAfter(CONFIRMED_HISTORY).lines);
    expect(order.updatedAt).toEqual(at(9));
  });

  it("cancels, keeping who and why, and what had been confirmed", () => {
    const order = stateAfter(ADJUSTED_HISTORY, [orderCancelled(at(9))]);
    expect(order.status).toBe("CANCELLED");
    expect(order.cancellation).toEqual({ reason: "changed my mind", cancelledBy: CUSTOMER_ID });
    expect(order.lines.map((line) => line.confirmedQuantity)).toEqual([2, 3]);
    expect(order.updatedAt).toEqual(at(9));
  });

  it("ignores events for an order that is not placed, and a second OrderPlaced", () => {
    expect(spec.given([lineReserved("SKU-A", 2), orderCancelled()]).state).toEqual({ status: "NOT_PLACED" });
    const twice = stateAfter([orderPlaced(), { ...orderPlaced([{ sku: "SKU-X", quantity: 1 }]), at: at(5) }]);
    expect(twice).toEqual(stateAfter([orderPlaced()]));
  });
});

describe("errors", () => {
  it.each([
    [new InvalidOrder([{ field: "lines", message: "must have at least one line" }]), "INVALID_ORDER"],
    [new OrderAlreadyPlaced(ORDER_ID), "ORDER_ALREADY_PLACED"],
    [new OrderNotFound(ORDER_ID), "ORDER_NOT_FOUND"],
    [new OrderNotCancellable(ORDER_ID, "REJECTED"), "ORDER_NOT_CANCELLABLE"],
    [new InconsistentStockMessage(ORDER_ID, "x"), "INCONSISTENT_STOCK_MESSAGE"],
  ])("%o has the stable code %s and the class name", (error, code) => {
    expect(error).toBeInstanceOf(OrderDomainError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.name).toBe(error.constructor.name);
  });

  it("says what is wrong in the message", () => {
    expect(new InvalidOrder([{ field: "lines.0.quantity", message: "must be an integer" }]).message).toBe(
      "Invalid order: lines.0.quantity must be an integer",
    );
    expect(new OrderNotCancellable(ORDER_ID, "REJECTED").message).toBe(
      "Order order-1 is REJECTED and cannot be cancelled",
    );
  });
});
